//! zoo.cfg as `zkpod start` renders it, from any flag values and `--set`
//! entries that `settings::build` accepts, and any member names. Property:
//! the rendered file is ASCII with one line per entry, and read back with
//! zkpod's faithful Properties parser (held to Java's own by
//! tests/properties_java.rs) gives exactly the values zkpod meant: every key
//! it writes, every server line, every extra setting; or the encoder refuses
//! a value with a control character (only a member name can still hold one
//! here: `ensemble::members` checks those as DNS names before).
//!
//! Nothing is left out any more (issue 8: line breaks, a `:` or `!` in a
//! `--set` key and padded values all went through the encoder).
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zkpod::config::settings::{build, Member, SettingsInput};
use zkpod::config::version::v;
use zkpod::config::zoocfg;

#[derive(Arbitrary, Debug)]
struct Flags {
    client_port: u16,
    client_address: Option<String>,
    server_port: u16,
    election_port: u16,
    data_dir: String,
    data_log_dir: String,
    tick_time: u32,
    init_limit: u32,
    sync_limit: u32,
    max_client_cnxns: u32,
    min_session_timeout: Option<u32>,
    max_session_timeout: Option<u32>,
    snap_retain_count: u32,
    purge_interval: u32,
    four_letter_words: String,
    admin_server: bool,
    admin_port: u16,
    admin_address: String,
    quorum_listen_on_all_ips: bool,
    metrics_port: Option<u16>,
    metrics_host: Option<String>,
    set: Vec<String>,
    cfg_extra: Option<String>,
    myid: u32,
    members: Vec<(u32, String)>,
    /// The release rendered for: 3.5.x to 3.9.x.
    release: (u8, u8),
}

fuzz_target!(|f: Flags| {
    let input = SettingsInput {
        client_port: f.client_port,
        client_address: f.client_address.clone(),
        server_port: f.server_port,
        election_port: f.election_port,
        data_dir: f.data_dir.clone().into(),
        data_log_dir: f.data_log_dir.clone().into(),
        tick_time: f.tick_time,
        init_limit: f.init_limit,
        sync_limit: f.sync_limit,
        max_client_cnxns: f.max_client_cnxns,
        min_session_timeout: f.min_session_timeout,
        max_session_timeout: f.max_session_timeout,
        snap_retain_count: f.snap_retain_count,
        purge_interval: f.purge_interval,
        four_letter_words: f.four_letter_words.clone(),
        admin_server: f.admin_server,
        admin_port: f.admin_port,
        admin_address: f.admin_address.clone(),
        quorum_listen_on_all_ips: f.quorum_listen_on_all_ips,
        metrics_port: f.metrics_port,
        metrics_host: f.metrics_host.clone(),
        set: f.set.clone(),
        cfg_extra: f.cfg_extra.clone(),
    };
    let members: Vec<Member> = f
        .members
        .iter()
        .map(|(id, host)| Member {
            id: *id,
            host: host.clone(),
        })
        .collect();
    let Ok(s) = build(&input, f.myid, members) else {
        return;
    };
    let release = v(3, 5 + u16::from(f.release.0 % 5), u16::from(f.release.1));
    let text = match zoocfg::render(&s, release) {
        Ok(t) => t,
        Err(e) => {
            let control = s.servers.iter().any(|m| {
                m.host
                    .chars()
                    .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
            });
            assert!(control, "render refused: {e}");
            assert!(!e.to_string().contains('\n'), "{e}");
            return;
        }
    };
    assert!(text.is_ascii(), "{text:?}");
    let parsed = zoocfg::parse(text.as_bytes()).expect("zkpod's own zoo.cfg parses");

    let mut meant: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in s.entries(release) {
        assert!(key.known_in(release), "{} written for {release}", key.name);
        meant.insert(key.name.to_string(), value);
    }
    if s.servers.len() > 1 {
        for m in &s.servers {
            meant.insert(
                format!("server.{}", m.id),
                format!(
                    "{}:{}:{}",
                    m.host, s.input.server_port, s.input.election_port
                ),
            );
        }
    }
    for (k, v) in &s.extra {
        meant.insert(k.clone(), v.clone());
    }
    let lines = text.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(
        lines,
        s.entries(release).len()
            + if s.servers.len() > 1 {
                s.servers.len()
            } else {
                0
            }
            + s.extra.len(),
        "{text}"
    );
    assert_eq!(parsed, meant, "zoo.cfg read back differs:\n{text}");
});
