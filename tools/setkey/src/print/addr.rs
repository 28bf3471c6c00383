// SPDX-License-Identifier: GPL-2.0

//! Addresses as `getnameinfo(NI_NUMERICHOST)` writes them on glibc
//! (ipsec-tools' `str_ipaddr` and `set_address`): dotted quads, IPv6 in
//! glibc's `inet_ntop` form (longest run of two or more zero groups as
//! `::`, the first on a tie; `::a.b.c.d` and `::ffff:a.b.c.d` for
//! IPv4-compatible and -mapped addresses), and `%scope` when
//! `sin6_scope_id` is set.

use core::fmt::Write;

use ipsec_core::inet::Addr;
use ipsec_core::pfkey::sockaddr::SockAddr;

/// A dotted quad.
fn v4(a: &[u8; 4], out: &mut String) {
    let _ = write!(out, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
}

/// The longest run of at least two zero groups: (start, length).
fn v6(a: &[u8; 16], out: &mut String) {
    let _ = write!(out, "{}", Addr::V6(*a));
}

fn scope_by_name(a: &[u8; 16]) -> bool {
    (a[0] == 0xfe && a[1] & 0xc0 == 0x80) || (a[0] == 0xff && a[1] & 0x0f == 0x02)
}

/// The interface name of an index, as `if_indextoname(3)`.
fn interface_name(index: u32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has the IF_NAMESIZE bytes if_indextoname writes at
    // most; it returns null or `buf`, NUL-terminated.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success `buf` holds a NUL-terminated string.
    let name = unsafe { core::ffi::CStr::from_ptr(buf.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

/// The numeric host of a socket address, `%scope` included.
pub fn host(sa: &SockAddr) -> String {
    let mut s = String::new();
    match sa {
        SockAddr::V4 { addr, .. } => v4(addr, &mut s),
        SockAddr::V6 { addr, scope_id, .. } => {
            v6(addr, &mut s);
            if *scope_id != 0 {
                s.push('%');
                match interface_name(*scope_id).filter(|_| scope_by_name(addr)) {
                    Some(name) => s.push_str(&name),
                    None => {
                        let _ = write!(s, "{scope_id}");
                    }
                }
            }
        }
    }
    s
}

/// `host[port]`, as ipsec-tools' `-p` forms print it.
pub fn host_port(sa: &SockAddr) -> String {
    format!("{}[{}]", host(sa), sa.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn six(s: [u16; 8]) -> String {
        let mut a = [0u8; 16];
        for (i, w) in s.iter().enumerate() {
            a[2 * i..2 * i + 2].copy_from_slice(&w.to_be_bytes());
        }
        host(&SockAddr::new(Addr::V6(a), 0))
    }

    #[test]
    fn inet_ntop6_forms() {
        assert_eq!(six([0; 8]), "::");
        assert_eq!(six([0, 0, 0, 0, 0, 0, 0, 1]), "::1");
        assert_eq!(six([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]), "2001:db8::1");
        assert_eq!(six([0x2001, 0xdb8, 0, 1, 0, 0, 0, 1]), "2001:db8:0:1::1");
        assert_eq!(six([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), "2001:db8::1:0:0:1");
        assert_eq!(six([1, 0, 0, 0, 0, 0, 0, 0]), "1::");
        assert_eq!(
            six([0x2001, 0xdb8, 1, 2, 3, 4, 5, 6]),
            "2001:db8:1:2:3:4:5:6"
        );
        assert_eq!(
            six([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]),
            "::ffff:192.0.2.1"
        );
        assert_eq!(six([0, 0, 0, 0, 0, 0, 0xc000, 0x0201]), "::192.0.2.1");
        assert_eq!(
            six([0, 0, 0, 0, 0, 0xfffe, 0xc000, 0x0201]),
            "::fffe:c000:201"
        );
        assert_eq!(six([0xfe80, 0, 0, 0, 0xabcd, 0, 0, 0]), "fe80::abcd:0:0:0");
    }

    #[test]
    fn scopes_and_ports() {
        let mut a = [0u8; 16];
        a[0] = 0x20;
        a[1] = 0x01;
        a[15] = 1;
        let sa = SockAddr::V6 {
            addr: a,
            port: 500,
            flowinfo: 0,
            scope_id: 7,
        };
        assert_eq!(host(&sa), "2001::1%7");
        assert_eq!(host_port(&sa), "2001::1%7[500]");
        let sa = SockAddr::new(Addr::V4([10, 0, 0, 1]), 4500);
        assert_eq!(host_port(&sa), "10.0.0.1[4500]");
    }
}
