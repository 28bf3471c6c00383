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
