// SPDX-License-Identifier: GPL-2.0

//! SPD index tests: first match by (priority, id) across the bins a
//! lookup probes, directions and families apart, the early stop, and a
//! random cross-check against a linear scan.

use std::collections::BTreeMap;
use std::vec::Vec;

use super::super::inet::IpProto;
use super::super::pfkey::ext::Address;
use super::super::pfkey::sockaddr::SockAddr;
use super::super::spd::Selector;
use super::*;
use crate::ipsec::PolicyType;

const OUT: IpsecDir = IpsecDir::OUTBOUND;
const IN: IpsecDir = IpsecDir::INBOUND;
const ANY: IpProto = IpProto::IPSEC_ANY;

fn address(a: Addr, prefixlen: u8, port: u16, proto: IpProto) -> Address {
    Address {
        proto,
        prefixlen,
        sockaddr: SockAddr::new(a, port),
    }
}

/// A policy from anywhere to `dst`/`plen` (port `dport`, 0: any).
fn policy(dir: IpsecDir, dst: Addr, plen: u8, dport: u16, priority: u32, id: u32) -> PolicyRecord {
    let any = match dst {
        Addr::V4(_) => Addr::V4([0; 4]),
        Addr::V6(_) => Addr::V6([0; 16]),
    };
    let proto = if dport == 0 { ANY } else { IpProto::TCP };
    let selector = Selector {
        src: address(any, 0, 0, proto),
        dst: address(dst, plen, dport, proto),
    };
    PolicyRecord {
        action: PolicyType::IPSEC,
        priority,
        id,
        ..PolicyRecord::new(selector, dir)
    }
}

/// A TCP packet from 192.0.2.1 (or 2001:db8::1) to `dst`:`dport`.
fn packet(dst: Addr, dport: u16) -> PacketSelector {
    let src = match dst {
        Addr::V4(_) => Addr::V4([192, 0, 2, 1]),
        Addr::V6(_) => Addr::V6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    };
    PacketSelector {
        src,
        dst,
        proto: 6,
        sport: 40000,
        dport,
        is_later_fragment: false,
    }
}

/// A map that counts the entries walks visit.
#[derive(Default)]
struct Counting {
    map: BTreeMap<BinKey, PolicyRecord>,
    visits: usize,
}

impl OrderedMap<BinKey, PolicyRecord> for Counting {
    fn walk_from(&mut self, start: &BinKey, mut visit: impl FnMut(&BinKey, &PolicyRecord) -> Walk) {
        let visits = &mut self.visits;
        self.map.walk_from(start, |k, v| {
            *visits += 1;
            visit(k, v)
        });
    }

    fn get(&self, key: &BinKey) -> Option<&PolicyRecord> {
        self.map.get(key)
    }
}

/// The index as the datapath keeps it: the map and the prefix lengths.
#[derive(Default)]
struct Index {
    map: Counting,
    lengths: PrefixLengths,
}

impl Index {
    fn add(&mut self, rec: PolicyRecord) {
        let k = BinKey::of(&rec);
        if self.map.map.insert(k, rec).is_none() {
            k.count(&mut self.lengths);
        }
    }

    fn remove(&mut self, rec: &PolicyRecord) {
        let k = BinKey::of(rec);
        if self.map.map.remove(&k).is_some() {
            k.uncount(&mut self.lengths);
        }
    }

    /// The id of the policy a lookup finds.
    fn lookup(&mut self, dir: IpsecDir, sel: &PacketSelector) -> Option<u32> {
        let k = lookup(&mut self.map, &self.lengths, dir, sel)?;
        self.map.get(&k).map(|r| r.id)
    }
}

/// What a lookup must find: the first matching policy of `dir` in
/// (priority, id) order, by a walk over all of them.
fn linear(all: &[PolicyRecord], dir: IpsecDir, sel: &PacketSelector) -> Option<u32> {
    let mut v: Vec<&PolicyRecord> = all.iter().filter(|r| r.dir == dir).collect();
    v.sort_by_key(|r| (r.priority, r.id));
    v.into_iter()
        .find(|r| r.selector.matches(sel))
        .map(|r| r.id)
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> Addr {
    Addr::V4([a, b, c, d])
}

#[test]
fn priority_then_age_not_the_longest_prefix() {
    let mut x = Index::default();
    x.add(policy(OUT, v4(0, 0, 0, 0), 0, 0, 100, 8));
    x.add(policy(OUT, v4(10, 1, 5, 0), 24, 0, 100, 16));
    let p = packet(v4(10, 1, 5, 7), 22);
    // Same priority: the older policy wins, though its prefix is shorter.
    assert_eq!(x.lookup(OUT, &p), Some(8));
    // A smaller priority value wins whatever the prefix.
    x.add(policy(OUT, v4(10, 1, 5, 0), 24, 0, 50, 24));
    assert_eq!(x.lookup(OUT, &p), Some(24));
    x.add(policy(OUT, v4(0, 0, 0, 0), 0, 0, 10, 32));
    assert_eq!(x.lookup(OUT, &p), Some(32));
    // Outside the /24, only catch-alls match.
    assert_eq!(x.lookup(OUT, &packet(v4(10, 1, 6, 7), 22)), Some(32));
}

#[test]
fn catch_all_and_many_networks_probe_two_bins() {
    let mut x = Index::default();
    for i in 0..200u32 {
        let [_, _, b, c] = i.to_be_bytes();
        x.add(policy(OUT, v4(10, b, c, 0), 24, 0, 100, 8 * (i + 2)));
    }
    x.add(policy(OUT, v4(0, 0, 0, 0), 0, 0, 200, 8));
    let p = packet(v4(10, 0, 77, 1), 443);
    x.map.visits = 0;
    assert_eq!(x.lookup(OUT, &p), Some(8 * 79));
    // The /24 bin's one policy matches; the catch-all's walk stops at its
    // first key, ranked after that.
    assert_eq!(x.map.visits, 2);
    assert_eq!(x.lookup(OUT, &packet(v4(172, 16, 0, 1), 443)), Some(8));
}

#[test]
fn a_walk_goes_past_policies_that_do_not_match() {
    let mut x = Index::default();
    let net = v4(10, 2, 0, 0);
    x.add(policy(OUT, net, 16, 22, 1, 8));
    x.add(policy(OUT, net, 16, 80, 2, 16));
    x.add(policy(OUT, net, 16, 0, 3, 24));
    assert_eq!(x.lookup(OUT, &packet(v4(10, 2, 3, 4), 80)), Some(16));
    assert_eq!(x.lookup(OUT, &packet(v4(10, 2, 3, 4), 22)), Some(8));
    assert_eq!(x.lookup(OUT, &packet(v4(10, 2, 3, 4), 443)), Some(24));
    assert_eq!(x.lookup(OUT, &packet(v4(10, 3, 3, 4), 443)), None);
}

#[test]
fn directions_and_families_stay_apart() {
    let mut x = Index::default();
    let six = Addr::V6([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    x.add(policy(IN, v4(0, 0, 0, 0), 0, 0, 1, 8));
    x.add(policy(OUT, six, 48, 0, 1, 17));
    x.add(policy(OUT, Addr::V6([0; 16]), 0, 0, 5, 25));
    assert_eq!(x.lookup(OUT, &packet(v4(10, 0, 0, 1), 1)), None);
    assert_eq!(x.lookup(IN, &packet(v4(10, 0, 0, 1), 1)), Some(8));
    let mut in_net = [0u8; 16];
    in_net[..6].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 1]);
    in_net[15] = 9;
    assert_eq!(x.lookup(OUT, &packet(Addr::V6(in_net), 1)), Some(17));
    in_net[5] = 2;
    assert_eq!(x.lookup(OUT, &packet(Addr::V6(in_net), 1)), Some(25));
    assert_eq!(x.lookup(IN, &packet(Addr::V6(in_net), 1)), None);
}

#[test]
fn removed_policies_and_lengths_are_gone() {
    let mut x = Index::default();
    let host = policy(OUT, v4(10, 0, 0, 1), 32, 0, 1, 8);
    let net = policy(OUT, v4(10, 0, 0, 0), 8, 0, 2, 16);
    x.add(host);
    x.add(net);
    let p = packet(v4(10, 0, 0, 1), 1);
    assert_eq!(x.lookup(OUT, &p), Some(8));
    x.remove(&host);
    assert_eq!(x.lookup(OUT, &p), Some(16));
    assert_eq!(x.lengths.in_use(OUT.0, false).collect::<Vec<_>>(), [8]);
    x.remove(&net);
    x.remove(&net);
    assert_eq!(x.lookup(OUT, &p), None);
    assert_eq!(x.lengths.in_use(OUT.0, false).count(), 0);
}

#[test]
fn lookups_agree_with_a_linear_scan() {
    // A small xorshift, so the sequence is the same on every run.
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s % n
    };
    let byte = |v: u64| u8::try_from(v).unwrap();
    let mut x = Index::default();
    let mut all: Vec<PolicyRecord> = Vec::new();
    for id in 1..400u32 {
        let dir = if next(4) == 0 { IN } else { OUT };
        let plen = [0u8, 8, 16, 23, 24, 32][usize::try_from(next(6)).unwrap()];
        let dst = v4(10, byte(next(3)), byte(next(4)), byte(next(4)));
        let dport = [0u16, 0, 22, 80][usize::try_from(next(4)).unwrap()];
        let rec = policy(
            dir,
            dst,
            plen,
            dport,
            u32::try_from(next(5)).unwrap(),
            8 * id,
        );
        x.add(rec);
        all.push(rec);
        if next(5) == 0 {
            let gone = all.swap_remove(usize::try_from(next(all.len() as u64)).unwrap());
            x.remove(&gone);
        }
    }
    for _ in 0..2000 {
        let p = packet(
            v4(10, byte(next(3)), byte(next(4)), byte(next(4))),
            [22u16, 80, 443][usize::try_from(next(3)).unwrap()],
        );
        for dir in [IN, OUT] {
            assert_eq!(x.lookup(dir, &p), linear(&all, dir, &p), "{p:?} {dir:?}");
        }
    }
}
