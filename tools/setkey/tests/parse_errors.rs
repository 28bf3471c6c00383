// SPDX-License-Identifier: GPL-2.0

//! Bad input: each error is `file:line:col: message` naming the token and
//! what was expected, and nothing at all is returned, even for the valid
//! statements before it.

use setkey::parse::parse;

const GOOD: &str = "add 10.0.0.1 10.0.0.2 esp 0x100 -E null;\nspdflush;\n";

/// Parses `GOOD` followed by `bad` (so `bad` starts on line 3) and
/// returns the diagnostic.
fn error(bad: &str) -> String {
    let src = format!("{GOOD}{bad}");
    match parse(&src, "conf") {
        Ok(v) => panic!("{bad:?} parsed: {v:?}"),
        Err(e) => {
            assert_eq!(e.file, "conf");
            assert_eq!(
                e.to_string(),
                format!("conf:{}:{}: {}", e.line, e.col, e.message)
            );
            e.to_string()
        }
    }
}

macro_rules! cases {
    ($($name:ident: $input:expr => $want:expr;)*) => {
        $(
            #[test]
            fn $name() {
                assert_eq!(error($input), $want);
            }
        )*
    };
}

cases! {
    unknown_auth_algorithm:
        "add 10.0.0.1 10.0.0.2 ah 1 -A hmac-sha3 0x00;"
        => "conf:3:31: unexpected 'hmac-sha3', expected an authentication algorithm";
    unknown_enc_algorithm:
        "add 10.0.0.1 10.0.0.2 esp 1 -E aes-xts 0x00;"
        => "conf:3:32: unexpected 'aes-xts', expected an encryption algorithm";
    unknown_command:
        "ad 10.0.0.1;"
        => "conf:3:1: unexpected 'ad', expected a command";
    missing_semicolon_at_end:
        "flush"
        => "conf:3:6: unexpected end of input, expected a protocol (esp, ah, ipcomp) or ';'";
    missing_semicolon_before_next_command:
        "spddump\nflush;"
        => "conf:4:1: unexpected 'flush', expected ';'";
    bad_address:
        "get 10.0.0.300 10.0.0.2 esp 1;"
        => "conf:3:5: unexpected '10.0.0.300', expected a source address";
    host_name:
        "get host.example 10.0.0.2 esp 1;"
        => "conf:3:5: unexpected 'host.example', expected a source address (host names are not resolved)";
    family_flag:
        "get -4 10.0.0.1 ::1 esp 1;"
        => "conf:3:17: unexpected '::1', expected an IPv4 address (-4)";
    mixed_families:
        "get 10.0.0.1 ::1 esp 1;"
        => "conf:3:14: address families differ: '::1' is not the same family as the source";
    bad_protocol:
        "add 10.0.0.1 10.0.0.2 esb 1 -E null;"
        => "conf:3:23: unexpected 'esb', expected a protocol (esp, esp-old, ah, ah-old, ipcomp, esp-udp)";
    tcp_refused:
        "add 10.0.0.1 10.0.0.2 tcp 1 -A tcp-md5 \"secret\";"
        => "conf:3:23: 'tcp' (TCP-MD5 signature) SAs are not supported: Linux PF_KEY has no SA type for them";
    bad_spi:
        "add 10.0.0.1 10.0.0.2 esp 0x1g -E null;"
        => "conf:3:27: unexpected '0x1g', expected an SPI (decimal or 0x hex, 32 bits)";
    spi_too_big:
        "add 10.0.0.1 10.0.0.2 esp 0x100000000 -E null;"
        => "conf:3:27: unexpected '0x100000000', expected an SPI (decimal or 0x hex, 32 bits)";
    spi_zero:
        "add 10.0.0.1 10.0.0.2 esp 0 -E null;"
        => "conf:3:27: SPI 0 is not valid for an SA";
    short_gcm_key:
        "add 10.0.0.1 10.0.0.2 esp 1 -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f;"
        => "conf:3:43: aes-gcm-16 takes a key of 160, 224 or 288 bits (key and 32-bit salt), not 128 bits";
    wrong_sha256_key:
        "add 10.0.0.1 10.0.0.2 ah 1 -A hmac-sha256 \"0123456789abcdef\";"
        => "conf:3:43: hmac-sha256 takes a key of 256 bits, not 128 bits";
    odd_blowfish_key:
        "add 10.0.0.1 10.0.0.2 esp 1 -E blowfish-cbc 0x01020304;"
        => "conf:3:45: blowfish-cbc takes a key of 40 to 448 bits, not 32 bits";
    key_not_a_key:
        "add 10.0.0.1 10.0.0.2 esp 1 -E aes-cbc secret;"
        => "conf:3:40: unexpected 'secret', expected a key (\"string\" or 0x hex)";
    aead_with_auth:
        "add 10.0.0.1 10.0.0.2 esp 1 -E chacha20-poly1305 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223 -A hmac-sha1 0x0001020304050607080910111213141516171819;"
        => "conf:3:125: unexpected '-A': chacha20-poly1305 is an AEAD algorithm and takes no authentication algorithm";
    esp_without_encryption:
        "add 10.0.0.1 10.0.0.2 esp 1 -A hmac-md5 0x000102030405060708090a0b0c0d0e0f;"
        => "conf:3:29: unexpected '-A', expected -E (an esp SA takes an encryption algorithm)";
    ah_with_encryption:
        "add 10.0.0.1 10.0.0.2 ah 1 -E null;"
        => "conf:3:28: unexpected '-E', expected -A (an ah SA takes an authentication algorithm)";
    add_without_algorithm:
        "add 10.0.0.1 10.0.0.2 esp 1;"
        => "conf:3:28: unexpected ';', expected an option (-m, -r, -u, -f, -lh, -ls, -bh, -bs, -esn) or -E (an esp SA takes an encryption algorithm)";
    ipcomp_needs_compression:
        "add 10.0.0.1 10.0.0.2 ipcomp 1 -C gzip;"
        => "conf:3:35: unexpected 'gzip', expected a compression algorithm";
    null_auth_takes_no_key:
        "add 10.0.0.1 10.0.0.2 ah 1 -A null 0x00;"
        => "conf:3:36: unexpected '0x00', expected ';'";
    get_takes_no_algorithm:
        "get 10.0.0.1 10.0.0.2 esp 1 -E null;"
        => "conf:3:29: unexpected '-E', expected an option (-m, -r, -u, -f, -lh, -ls, -bh, -bs, -esn) or ';'";
    bad_mode:
        "add 10.0.0.1 10.0.0.2 esp 1 -m beet -E null;"
        => "conf:3:32: unexpected 'beet', expected a mode (transport, tunnel, any)";
    replay_too_large:
        "add 10.0.0.1 10.0.0.2 esp 1 -r 4097 -E null;"
        => "conf:3:32: 4097 is too large, expected a replay window in packets up to 4096";
    replay_with_old:
        "add 10.0.0.1 10.0.0.2 esp-old 1 -r 8 -E null;"
        => "conf:3:36: replay prevention cannot be used with esp-old";
    esn_without_window:
        "add 10.0.0.1 10.0.0.2 esp 1 -esn -E null;"
        => "conf:3:29: -esn needs a replay window: add -r N with N > 0";
    bad_flag:
        "add 10.0.0.1 10.0.0.2 esp 1 -f pad -E null;"
        => "conf:3:32: unexpected 'pad', expected a flag (zero-pad, random-pad, seq-pad, nocyclic-seq)";
    lifetime_not_a_number:
        "add 10.0.0.1 10.0.0.2 esp 1 -lh 1h -E null;"
        => "conf:3:33: unexpected '1h', expected seconds";
    sec_ctx_refused:
        "add 10.0.0.1 10.0.0.2 esp 1 -ctx 1 1 \"system_u:object_r:ipsec_spd_t:s0\" -E null;"
        => "conf:3:29: security contexts (-ctx) are not supported: the kernel refuses SADB_X_EXT_SEC_CTX";
    sec_ctx_refused_in_spd:
        "spdadd 10.0.0.1 10.0.0.2 any -ctx 1 1 \"x\" -P out none;"
        => "conf:3:30: security contexts (-ctx) are not supported: the kernel refuses SADB_X_EXT_SEC_CTX";
    des_32iv_needs_old:
        "add 10.0.0.1 10.0.0.2 esp 1 -E des-32iv 0x0102030405060708;"
        => "conf:3:32: des-32iv needs esp-old";
    unterminated_string:
        "add 10.0.0.1 10.0.0.2 ah 1 -A hmac-md5 \"abc;\n"
        => "conf:3:40: unterminated quoted string";
    stray_character:
        "flush; @"
        => "conf:3:8: unexpected character '@'";
    bad_port:
        "get 10.0.0.1[70000] 10.0.0.2 esp 1;"
        => "conf:3:14: 70000 is too large, expected a port number or 'any' up to 65535";
    unclosed_port:
        "get 10.0.0.1[500 10.0.0.2 esp 1;"
        => "conf:3:18: unexpected '10.0.0.2', expected ']'";
    deleteall_needs_protocol:
        "deleteall 10.0.0.1 10.0.0.2;"
        => "conf:3:28: unexpected ';', expected a protocol (esp, esp-old, ah, ah-old, ipcomp, esp-udp)";
    prefix_too_long:
        "spdadd 10.0.0.0/33 10.0.0.2 any -P out none;"
        => "conf:3:17: 33 is too large, expected a prefix length up to 32";
    bad_upper_layer:
        "spdadd 10.0.0.1 10.0.0.2 foo -P out none;"
        => "conf:3:26: unexpected 'foo', expected an upper-layer protocol (a name from /etc/protocols, a number or 'any')";
    upper_layer_number_too_large:
        "spdadd 10.0.0.1 10.0.0.2 256 -P out none;"
        => "conf:3:26: 256 is too large, expected a protocol number up to 255";
    icmp_type_bad:
        "spdadd 10.0.0.1 10.0.0.2 icmp 8,300 -P out none;"
        => "conf:3:31: unexpected '8,300', expected an ICMP type[,code] (each 0 to 255)";
    misc_spec_for_udp:
        "spdadd 10.0.0.1 10.0.0.2 udp 8 -P out none;"
        => "conf:3:30: unexpected '8', expected -P (a type/code or key follows only icmp, ipv6-icmp, mh and gre)";
    missing_policy:
        "spdadd 10.0.0.1 10.0.0.2 any;"
        => "conf:3:29: unexpected ';', expected -P and a policy";
    bad_direction:
        "spdadd 10.0.0.1 10.0.0.2 any -P output ipsec esp/transport//require;"
        => "conf:3:33: unexpected 'output', expected a direction (in, out, fwd)";
    bad_action:
        "spdadd 10.0.0.1 10.0.0.2 any -P out encrypt;"
        => "conf:3:37: unexpected 'encrypt', expected an action (discard, none, ipsec, entrust, bypass)";
    bare_direction_in_spdadd:
        "spdadd 10.0.0.1 10.0.0.2 any -P out;"
        => "conf:3:36: unexpected end of policy, expected an action (discard, none, ipsec, entrust, bypass)";
    entrust_refused:
        "spdadd 10.0.0.1 10.0.0.2 any -P out entrust;"
        => "conf:3:37: 'entrust' policies are refused by the kernel (only discard, none and ipsec)";
    ipsec_without_request:
        "spdadd 10.0.0.1 10.0.0.2 any -P out ipsec;"
        => "conf:3:42: unexpected end of policy, expected a request such as esp/transport//require (an ipsec policy needs one)";
    requests_after_none:
        "spdadd 10.0.0.1 10.0.0.2 any -P out none esp/transport//require;"
        => "conf:3:42: unexpected 'esp', expected end of policy (only 'ipsec' takes requests)";
    bad_request_protocol:
        "spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esb/transport//require;"
        => "conf:3:43: unexpected 'esb', expected a request protocol (esp, ah, ipcomp)";
    request_without_mode:
        "spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp;"
        => "conf:3:46: unexpected end of policy, expected '/' and a mode";
    tunnel_without_endpoints:
        "spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/tunnel//require;"
        => "conf:3:47: tunnel mode needs endpoints: esp/tunnel/src-dst/level";
    level_in_endpoint_slot:
        "spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport/require;"
        => "conf:3:57: unexpected 'require', expected endpoints (src-dst) or '/' (a level follows '//' in transport mode)";
    bad_level:
        "spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//must;"
        => "conf:3:58: unexpected 'must', expected a level (default, use, require, unique, unique:N)";
    unique_out_of_range:
        "spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/tunnel/1.1.1.1-2.2.2.2/unique:40000;"
        => "conf:3:70: unique:N takes N from 1 to 32767";
    endpoint_families_differ:
        "spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/tunnel/1.1.1.1-::2/require;"
        => "conf:3:62: tunnel endpoints of different address families";
    me_any_inbound:
        "spdadd 10.0.0.1 10.0.0.2 any -P in ipsec esp/transport/me-any/require;"
        => "conf:3:56: me-any does not fit this direction";
    too_many_requests:
        "spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//require ah/transport//require\n  ipcomp/transport//use esp/transport//use ah/transport//use;"
        => "conf:4:44: too many requests: a policy takes at most 4";
    bad_priority:
        "spdadd 10.0.0.1 10.0.0.2 any -P out prio top ipsec esp/transport//require;"
        => "conf:3:42: unexpected 'top', expected a priority (low, def, high or a number)";
    priority_offset_too_large:
        "spdadd 10.0.0.1 10.0.0.2 any -P out prio high + 1073741825 none;"
        => "conf:3:49: 1073741825 is too large, expected a priority offset up to 1073741824";
    policy_spans_lines:
        "spdadd 10.0.0.1 10.0.0.2 any -P out ipsec\n\tesp/transport//require\n\tah/tunnel/1.1.1.1-2.2.2.2/requir;"
        => "conf:5:28: unexpected 'requir', expected a level (default, use, require, unique, unique:N)";
    tagged_refused:
        "spdadd tagged \"mytag\" -P out ipsec esp/transport//require;"
        => "conf:3:8: 'tagged' policies are not supported: Linux PF_KEY has no tag extension";
    tagged_bad_policy:
        "spdadd tagged \"mytag\" -P sideways none;"
        => "conf:3:26: unexpected 'sideways', expected a direction (in, out, fwd)";
    flush_at_end_of_line:
        "flush\n"
        => "conf:4:1: unexpected end of input, expected a protocol (esp, ah, ipcomp) or ';'";
}

#[test]
fn nothing_after_exit_is_read() {
    let v = parse("flush;\nexit;\nthis would not parse;", "conf").unwrap();
    assert_eq!(v.len(), 2);
}
