// SPDX-License-Identifier: GPL-2.0

//! ESP-in-UDP classification, the UDP header and the port set.

use super::*;

#[test]
fn keepalive_ike_and_esp() {
    assert_eq!(classify(&[0xff]), Carried::Keepalive);
    // A single other byte, or 0xFF with more after it, is not a keepalive.
    assert_eq!(classify(&[0xfe]), Carried::Socket);
    assert_eq!(classify(&[0xff, 0]), Carried::Socket);
    assert_eq!(classify(&[]), Carried::Socket);
    // The non-ESP marker: IKE, whatever follows.
    let mut ike = [0u8; 64];
    ike[4] = 0x11;
    assert_eq!(classify(&ike), Carried::Socket);
    // A non-zero SPI and more than the ESP header: ESP.
    let mut esp = [0u8; 9];
    esp[3] = 1;
    assert_eq!(classify(&esp), Carried::Esp);
    // Exactly an ESP header (nothing after it) is not ESP, as in Linux.
    assert_eq!(classify(&esp[..8]), Carried::Socket);
    assert_eq!(classify(&esp[..3]), Carried::Socket);
}

#[test]
fn udp_header_round_trip() {
    let mut d = [0xaau8; 40];
    let p = UdpPorts {
        sport: 4500,
        dport: 61234,
    };
    emit_udp_header(&mut d, p).unwrap();
    assert_eq!(&d[..8], &[0x11, 0x94, 0xef, 0x32, 0, 40, 0, 0]);
    assert_eq!(ports(&d).unwrap(), p);
    assert_eq!(d[8], 0xaa);
    assert_eq!(emit_udp_header(&mut d[..7], p), Err(EncapError::Truncated));
    assert_eq!(ports(&d[..3]), Err(EncapError::Truncated));
}

#[test]
fn udp_length_limit() {
    let mut big = [0u8; 65536];
    let p = UdpPorts { sport: 1, dport: 2 };
    assert_eq!(emit_udp_header(&mut big, p), Err(EncapError::Length));
    assert!(emit_udp_header(&mut big[..65535], p).is_ok());
    assert_eq!(&big[4..6], &[0xff, 0xff]);
}

#[test]
fn port_set_counts() {
    let mut s = PortSet::new();
    assert!(s.is_empty() && !s.contains(4500));
    s.add(4500);
    s.add(4500);
    s.add(4501);
    assert!(s.contains(4500) && s.contains(4501) && !s.contains(500));
    s.remove(4500);
    assert!(s.contains(4500));
    s.remove(4500);
    assert!(!s.contains(4500) && s.contains(4501));
    s.remove(4501);
    assert!(s.is_empty());
    // Port 0 is a port like any other (a free slot is one with no SA).
    s.add(0);
    assert!(s.contains(0));
    s.remove(0);
    assert!(s.is_empty());
}

#[test]
fn port_set_overflow_holds_every_port() {
    let mut s = PortSet::new();
    for p in 0..PORT_SET_LEN as u16 {
        s.add(1000 + p);
    }
    assert!(!s.contains(9));
    s.add(9);
    assert!(s.contains(9) && s.contains(12345));
    s.remove(9);
    assert!(!s.contains(12345) && s.contains(1000));
    for p in 0..PORT_SET_LEN as u16 {
        s.remove(1000 + p);
    }
    assert!(s.is_empty());
}

/// fd07::1 and fd07::2.
fn v6(last: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[0] = 0xfd;
    a[1] = 0x07;
    a[15] = last;
    a
}

#[test]
fn udp6_checksum_matches_an_independent_computation() {
    // 4500 -> 4500, payload 0..=20 (odd length): 0x7415, as Python's
    // straightforward RFC 1071 sum over the pseudo-header and datagram
    // gives.
    let mut d = vec![0u8; UDP_HDR_LEN];
    d.extend(0u8..21);
    emit_udp_header(
        &mut d,
        UdpPorts {
            sport: 4500,
            dport: 4500,
        },
    )
    .unwrap();
    set_udp6_checksum(&v6(1), &v6(2), &mut d).unwrap();
    assert_eq!(d[6..8], [0x74, 0x15]);
    // A receiver's check: the sum over pseudo-header and datagram, the
    // checksum included, is all ones.
    let mut pseudo = [0u8; 40];
    pseudo[..16].copy_from_slice(&v6(1));
    pseudo[16..32].copy_from_slice(&v6(2));
    pseudo[35] = d.len() as u8;
    pseudo[39] = 17;
    assert_eq!(super::ones_sum(super::ones_sum(0, &pseudo), &d), 0xffff);
    // Another address gives another checksum.
    let mut e = d.clone();
    e[6..8].copy_from_slice(&[0, 0]);
    set_udp6_checksum(&v6(1), &v6(3), &mut e).unwrap();
    assert_ne!(e[6..8], d[6..8]);
}

#[test]
fn udp6_checksum_refuses_a_short_datagram() {
    let mut d = [0u8; 7];
    assert_eq!(
        set_udp6_checksum(&v6(1), &v6(2), &mut d),
        Err(EncapError::Truncated)
    );
}
