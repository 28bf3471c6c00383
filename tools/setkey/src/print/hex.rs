// SPDX-License-Identifier: GPL-2.0

//! The two hex dumps: keys in `setkey -D` and `-x`, and the raw message
//! dump of `setkey -H -x`.

use core::fmt::Write;

/// ipsec-tools' `ipsec_hexdump` (`src/libipsec/key_debug.c`): a space
/// before every 4 bytes, a newline before every 32 bytes but the first,
/// no newline at the end. Keys print as ` 01234567 89abcdef`.
pub fn groups(bytes: &[u8], out: &mut String) {
    for (i, b) in bytes.iter().enumerate() {
        if i != 0 && i % 32 == 0 {
            out.push('\n');
        }
        if i % 4 == 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02x}");
    }
}

/// setkey's `-H` dump of a whole message (`promisc()` in
/// `src/setkey/setkey.c`): 16 bytes a line, each line starting with its
/// offset as `%08x: `, each byte followed by a space, and a newline after
/// a short last line.
pub fn lines(bytes: &[u8], out: &mut String) {
    for (i, b) in bytes.iter().enumerate() {
        if i % 16 == 0 {
            let _ = write!(out, "{i:08x}: ");
        }
        let _ = write!(out, "{b:02x} ");
        if i % 16 == 15 {
            out.push('\n');
        }
    }
    if bytes.len() % 16 != 0 {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_wrap_after_32_bytes() {
        let mut s = String::new();
        groups(&[], &mut s);
        assert_eq!(s, "");
        let key: Vec<u8> = (0..36).collect();
        groups(&key, &mut s);
        assert_eq!(
            s,
            " 00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f\n 20212223"
        );
        s.clear();
        groups(&[0xab, 0xcd, 0xef, 0x01, 0x23], &mut s);
        assert_eq!(s, " abcdef01 23");
    }

    #[test]
    fn lines_of_sixteen() {
        let mut s = String::new();
        let b: Vec<u8> = (0..17).collect();
        lines(&b, &mut s);
        assert_eq!(
            s,
            "00000000: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f \n00000010: 10 \n"
        );
        s.clear();
        lines(&b[..16], &mut s);
        assert_eq!(
            s,
            "00000000: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f \n"
        );
    }
}
