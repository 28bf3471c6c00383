// SPDX-License-Identifier: GPL-2.0

//! Fuzz target for AH (`ipsec_core::ah`): the header view and the
//! mutable-field zeroing, on untrusted bytes.
//!
//! Input: three control bytes, then a packet. The control bytes pick the
//! direction, `ah_cleartos` and `ah_offsetmask` (bit 0 of byte 0: output;
//! bit 1: clear TOS; bytes 1-2: the mask, big-endian). For any input:
//! - nothing panics;
//! - `AhHeader::new_checked` on the packet, when it accepts, gives a header
//!   that fits the bytes, and `check_len`/`icv`/`zero_icv` agree on it;
//! - `emit_header` with fields taken from the bytes writes a header that
//!   parses back to the same fields;
//! - `zero_mutable`, when it succeeds, found AH inside the packet, touched
//!   only the bytes before it, kept the IP version, and is idempotent
//!   (zeroing its own result changes nothing);
//! - `zero_ipv4`/`zero_ipv6` run on the bytes whatever they are.
//!
//! Run with `FUZZ_TARGET=ah scripts/fuzz.sh [SECONDS]`.

#![no_main]

use ipsec_core::ah::mutable::{
    locate_ah, zero_ipv4, zero_ipv6, zero_mutable, Direction, Ipv4Rules,
};
use ipsec_core::ah::{emit_header, header_len, AhFields, AhHeader, Align, AH_FIXED_LEN};
use libfuzzer_sys::fuzz_target;

/// ICV lengths of the AH algorithms (bytes).
const ICV_LENS: [usize; 4] = [12, 16, 24, 32];

fuzz_target!(|data: &[u8]| {
    let Some((ctl, packet)) = data.split_first_chunk::<3>() else {
        return;
    };
    let dir = if ctl[0] & 1 != 0 {
        Direction::Output
    } else {
        Direction::Input
    };
    let rules = Ipv4Rules {
        clear_tos: ctl[0] & 2 != 0,
        offset_mask: u16::from_be_bytes([ctl[1], ctl[2]]),
    };
    check_view(packet);
    check_emit(packet);
    check_zeroing(packet, rules, dir);
});

fn check_view(bytes: &[u8]) {
    let Ok(h) = AhHeader::new_checked(bytes) else {
        return;
    };
    let len = h.header_len();
    assert!(len >= AH_FIXED_LEN && len <= bytes.len());
    assert_eq!(h.icv_and_padding().len(), len - AH_FIXED_LEN);
    assert_eq!(h.payload().len(), bytes.len() - len);
    let _ = (h.next_header(), h.reserved(), h.spi(), h.seq());
    for icv in ICV_LENS {
        for v6 in [false, true] {
            if h.check_len(icv, v6).is_ok() {
                assert!(h.icv(icv).is_some());
                assert!(len % if v6 { 8 } else { 4 } == 0);
                let mut copy = bytes.to_vec();
                let mut m = AhHeader::new_checked(&mut copy[..]).unwrap();
                m.zero_icv(icv).unwrap();
                assert!(m.icv(icv).unwrap().iter().all(|&b| b == 0));
                assert_eq!(copy[..AH_FIXED_LEN], bytes[..AH_FIXED_LEN]);
                assert_eq!(copy[AH_FIXED_LEN + icv..], bytes[AH_FIXED_LEN + icv..]);
            }
        }
    }
}

fn check_emit(bytes: &[u8]) {
    let Some(f) = bytes.first_chunk::<10>() else {
        return;
    };
    let fields = AhFields {
        next_header: f[0],
        spi: u32::from_be_bytes([f[1], f[2], f[3], f[4]]),
        seq_lo: u32::from_be_bytes([f[5], f[6], f[7], f[8]]),
        icv_len: usize::from(f[9]) * 4 + usize::from(f[9] & 3),
        align: if f[9] & 0x80 != 0 {
            Align::Eight
        } else {
            Align::Four
        },
    };
    let mut out = vec![0u8; 2048];
    let Ok(n) = emit_header(&mut out, &fields) else {
        assert!(header_len(fields.icv_len, fields.align).is_none());
        return;
    };
    assert_eq!(Some(n), header_len(fields.icv_len, fields.align));
    let h = AhHeader::new_checked(&out[..n]).expect("an emitted header parses");
    assert_eq!(
        (
            h.next_header(),
            h.spi(),
            h.seq(),
            h.reserved(),
            h.header_len()
        ),
        (fields.next_header, fields.spi, fields.seq_lo, 0, n)
    );
}

fn check_zeroing(packet: &[u8], rules: Ipv4Rules, dir: Direction) {
    // The building blocks take any bytes.
    let _ = zero_ipv4(&mut packet.to_vec(), rules, dir);
    let _ = zero_ipv6(&mut packet.to_vec());

    let mut once = packet.to_vec();
    let Ok(at) = zero_mutable(&mut once, rules, dir) else {
        return;
    };
    assert_eq!(locate_ah(packet), Ok(at));
    assert!(at.offset <= packet.len() && at.nexthdr_at < at.offset);
    assert_eq!(
        once[at.offset..],
        packet[at.offset..],
        "AH and after touched"
    );
    assert_eq!(once[0] >> 4, packet[0] >> 4, "version changed");
    assert_eq!(once[at.nexthdr_at], packet[at.nexthdr_at]);
    let mut twice = once.clone();
    assert_eq!(zero_mutable(&mut twice, rules, dir), Ok(at));
    assert_eq!(twice, once, "zeroing is not idempotent");
}
