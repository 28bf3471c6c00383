// SPDX-License-Identifier: GPL-2.0

//! Dates as setkey prints them: `str_time` in
//! `src/libipsec/pfkey_dump.c` (the 20 characters of `ctime(3)` after the
//! weekday, `Nov 28 10:00:00 2026`, blanks for 0) and `printdate` in
//! `src/setkey/setkey.c` (the `-x` time stamp).

use core::fmt::Write;

/// The time zone dates are shown in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeZone {
    /// UTC.
    Utc,
    /// A fixed offset east of UTC, in seconds.
    Fixed(i32),
    /// The process's local time zone (`TZ`, `/etc/localtime`), through
    /// `localtime_r(3)`, as ipsec-tools' `ctime(3)`.
    Local,
}

/// A broken-down time (`struct tm`), with the full year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tm {
    year: i64,
    /// 0 to 11.
    mon: u32,
    mday: u32,
    hour: u32,
    min: u32,
    sec: u32,
    /// 0 to 365.
    yday: u32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31), proleptic
/// Gregorian (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> Option<(i64, u32, u32)> {
    let z = days.checked_add(719_468)?;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).ok()?;
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).ok()?;
    let year = era.checked_mul(400)?.checked_add(yoe)? + i64::from(month <= 2);
    Some((year, month, day))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Day of the year (0-based) of a date.
fn day_of_year(year: i64, month: u32, day: u32) -> u32 {
    const BEFORE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let leap = u32::from(month > 2 && is_leap(year));
    BEFORE[(month - 1) as usize] + leap + day - 1
}

/// `t` shifted by `offset` seconds, broken down; `None` where `gmtime(3)`
/// fails (the year does not fit `tm_year`).
fn breakdown_offset(t: i64, offset: i64) -> Option<Tm> {
    let t = t.checked_add(offset)?;
    let secs = u32::try_from(t.rem_euclid(86_400)).ok()?;
    let (year, month, day) = civil_from_days(t.div_euclid(86_400))?;
    i32::try_from(year - 1900).ok()?;
    Some(Tm {
        year,
        mon: month - 1,
        mday: day,
        hour: secs / 3600,
        min: secs / 60 % 60,
        sec: secs % 60,
        yday: day_of_year(year, month, day),
    })
}

/// `localtime_r(3)` of `t`.
fn breakdown_local(t: i64) -> Option<Tm> {
    let t = libc::time_t::try_from(t).ok()?;
    // SAFETY: an all-zero `struct tm` is a valid value (integers and a
    // null `tm_zone`).
    let mut tm: libc::tm = unsafe { core::mem::zeroed() };
    // SAFETY: both pointers are to live locals of the right types;
    // localtime_r writes only `tm` and returns it or null.
    let r = unsafe { libc::localtime_r(&t, &mut tm) };
    if r.is_null() {
        return None;
    }
    Some(Tm {
        year: i64::from(tm.tm_year) + 1900,
        mon: u32::try_from(tm.tm_mon).ok()?,
        mday: u32::try_from(tm.tm_mday).ok()?,
        hour: u32::try_from(tm.tm_hour).ok()?,
        min: u32::try_from(tm.tm_min).ok()?,
        sec: u32::try_from(tm.tm_sec).ok()?,
        yday: u32::try_from(tm.tm_yday).ok()?,
    })
}

/// `t` broken down in `tz`.
fn breakdown(t: i64, tz: TimeZone) -> Option<Tm> {
    match tz {
        TimeZone::Utc => breakdown_offset(t, 0),
        TimeZone::Fixed(off) => breakdown_offset(t, off.into()),
        TimeZone::Local => breakdown_local(t),
    }
}

/// ipsec-tools' `str_time`: 20 blanks for 0, else the 20 characters of
/// `ctime(3)` after the weekday (`Nov  8 10:00:00 2026`), or 20 `?` when
/// `ctime` fails. Like `memcpy` of 20 bytes then `printf("%s")`, a shorter
/// `ctime` string (a year under 1000) keeps its newline.
pub fn date(t: i64, tz: TimeZone) -> String {
    if t == 0 {
        return " ".repeat(20);
    }
    let Some(tm) = breakdown(t, tz) else {
        return "?".repeat(20);
    };
    let month = MONTHS.get(tm.mon as usize).copied().unwrap_or("???");
    let mut s = format!(
        "{}{:3} {:02}:{:02}:{:02} {}\n",
        month, tm.mday, tm.hour, tm.min, tm.sec, tm.year
    );
    s.truncate(20);
    s
}

/// setkey's `gmt2local`: the offset of `tz` from UTC at `t` in seconds,
/// counting hours and minutes only.
pub fn zone_offset(t: i64, tz: TimeZone) -> i64 {
    let (Some(loc), Some(gmt)) = (breakdown(t, tz), breakdown(t, TimeZone::Utc)) else {
        return 0;
    };
    let mut dt = (i64::from(loc.hour) - i64::from(gmt.hour)) * 3600
        + (i64::from(loc.min) - i64::from(gmt.min)) * 60;
    let mut dir = loc.year - gmt.year;
    if dir == 0 {
        dir = i64::from(loc.yday) - i64::from(gmt.yday);
    }
    dt += dir * 86_400;
    dt
}

/// How `-x` stamps each message (setkey's `printdate`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Stamp {
    /// `-x`: local wall-clock time, `HH:MM:SS.uuuuuu`.
    #[default]
    Clock,
    /// `-xx`: seconds since the epoch, `S.uuuuuu`.
    Unix,
}

/// setkey's `printdate` line, newline included: `10:00:00.000123 ` (with
/// `zone`, the offset from [`zone_offset`] taken when setkey started) or
/// `1795860000.000123 `.
pub fn stamp_line(stamp: Stamp, now: i64, usec: u32, zone: i64, out: &mut String) {
    match stamp {
        Stamp::Clock => {
            // C's `%` truncates toward zero, as `rem` does.
            let s = now.wrapping_add(zone).wrapping_rem(86_400);
            let _ = write!(
                out,
                "{:02}:{:02}:{:02}.{:06} ",
                s / 3600,
                (s % 3600) / 60,
                s % 60,
                usec
            );
        }
        Stamp::Unix => {
            // `(uint32_t)tp.tv_sec`.
            let _ = write!(out, "{}.{:06} ", now as u32, usec);
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctime_layout() {
        // 2026-11-28 10:00:00 UTC.
        assert_eq!(date(1_795_860_000, TimeZone::Utc), "Nov 28 10:00:00 2026");
        assert_eq!(
            date(1_795_860_000, TimeZone::Fixed(3600)),
            "Nov 28 11:00:00 2026"
        );
        assert_eq!(date(1, TimeZone::Utc), "Jan  1 00:00:01 1970");
        assert_eq!(date(0, TimeZone::Utc), "                    ");
        assert_eq!(date(-1, TimeZone::Utc), "Dec 31 23:59:59 1969");
        // 2000-02-29, a leap day.
        assert_eq!(date(951_782_400, TimeZone::Utc), "Feb 29 00:00:00 2000");
        // A year under 1000 keeps ctime's newline.
        assert_eq!(
            date(-40_000_000_000, TimeZone::Utc),
            "Jun 15 00:53:20 702\n"
        );
        // A year past 9999 is cut at 20 characters.
        assert_eq!(date(400_000_000_000, TimeZone::Utc), "Jun 30 15:06:40 1464");
        // ctime fails when the year does not fit tm_year.
        assert_eq!(date(i64::MAX, TimeZone::Utc), "?".repeat(20));
        assert_eq!(date(i64::MIN, TimeZone::Fixed(-1)), "?".repeat(20));
    }

    #[test]
    fn day_of_year_counts_leap_days() {
        assert_eq!(day_of_year(2000, 3, 1), 60);
        assert_eq!(day_of_year(1900, 3, 1), 59);
        assert_eq!(day_of_year(2026, 12, 31), 364);
    }

    #[test]
    fn gmt2local_drops_seconds() {
        assert_eq!(zone_offset(1_795_860_000, TimeZone::Utc), 0);
        assert_eq!(
            zone_offset(1_795_860_000, TimeZone::Fixed(-5 * 3600)),
            -18_000
        );
        assert_eq!(
            zone_offset(1_795_860_000, TimeZone::Fixed(5 * 3600 + 45 * 60)),
            20_700
        );
        assert_eq!(zone_offset(1_795_860_000, TimeZone::Fixed(3600 + 7)), 3600);
        // Across midnight UTC.
        assert_eq!(zone_offset(1_795_910_400 - 60, TimeZone::Fixed(3600)), 3600);
    }

    #[test]
    fn local_time_has_the_ctime_shape() {
        // Whatever the host's zone: 20 characters, a month word, a
        // 4-digit year, and an offset in whole minutes.
        let d = date(1_795_860_000, TimeZone::Local);
        assert_eq!(d.len(), 20, "{d:?}");
        assert!(MONTHS.contains(&&d[..3]), "{d:?}");
        assert!(d.ends_with(" 2026"), "{d:?}");
        assert_eq!(date(0, TimeZone::Local), " ".repeat(20));
        assert_eq!(zone_offset(1_795_860_000, TimeZone::Local) % 60, 0);
    }

    #[test]
    fn stamps() {
        let mut s = String::new();
        stamp_line(Stamp::Clock, 1_795_860_000, 123, 3600, &mut s);
        assert_eq!(s, "11:00:00.000123 \n");
        s.clear();
        stamp_line(Stamp::Unix, 1_795_860_000, 5, 3600, &mut s);
        assert_eq!(s, "1795860000.000005 \n");
    }
}
