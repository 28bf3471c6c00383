// SPDX-License-Identifier: GPL-2.0

//! The configurations in `examples/` parse, build, and are accepted by
//! the module's own SA and SPD constructors.

use ipsec_core::pfkey::{parse as decode, MsgType};
use ipsec_core::sadb::SaRecord;
use ipsec_core::spd::PolicyRecord;
use setkey::build::requests;
use setkey::parse::{parse, CommandKind};

fn example(name: &str) -> String {
    let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Builds every command of `name`; returns (SAs, policy messages).
fn check(name: &str) -> (usize, usize) {
    let cmds = parse(&example(name), name).unwrap_or_else(|e| panic!("{e}"));
    let (mut sas, mut pols) = (0, 0);
    for (i, c) in cmds.iter().enumerate() {
        for b in requests(c, i as u32 + 1, 1).unwrap() {
            let m = decode(&b).unwrap();
            match m.msg_type() {
                MsgType::ADD => {
                    SaRecord::from_add(&m, 0).unwrap_or_else(|e| panic!("{name} {c:?}: {e:?}"));
                    sas += 1;
                }
                MsgType::X_SPDADD => {
                    PolicyRecord::from_message(&m, 0)
                        .unwrap_or_else(|e| panic!("{name} {c:?}: {e:?}"));
                    pols += 1;
                }
                _ => {}
            }
        }
    }
    assert!(matches!(cmds[0].kind, CommandKind::Flush(_)));
    (sas, pols)
}

#[test]
fn transport_esp() {
    assert_eq!(check("transport-esp.conf"), (4, 3));
}

#[test]
fn tunnel_esp() {
    assert_eq!(check("tunnel-esp.conf"), (2, 3));
}

#[test]
fn ipv6_ah_esp() {
    assert_eq!(check("ipv6-ah-esp.conf"), (4, 5));
}
