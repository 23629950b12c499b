//! ZooKeeper's dynamic configuration as zkpod reads it: a dynamic config
//! file on the volume, `/zookeeper/config`, and a `conf` reply's
//! membership (`config::dynamic`). Properties: every parsed server line is
//! written back (as text, and as a file through the Properties encoder) as
//! a line that parses to the same server; the version in a
//! file name is the hex ZooKeeper wrote; a `conf` reply's membership parses
//! to the same servers as the lines themselves.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkpod::client::reply::parse_conf;
use zkpod::config::dynamic::{from_conf, version_from_file_name, Config};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(c) = Config::parse_bytes(data) {
        assert!(!c.servers.is_empty());
        // The file as zkpod writes it, read back as ZooKeeper reads it.
        let file = c
            .render_file()
            .expect("parsed hosts hold no control character");
        let again = Config::parse_bytes(file.as_bytes()).expect("a rendered config parses");
        assert_eq!(again.servers, c.servers, "{file}");
    }
    if let Ok(c) = Config::parse(&text) {
        assert!(!c.servers.is_empty());
        let again = Config::parse(&c.render()).expect("a rendered config parses");
        assert_eq!(again.servers, c.servers, "{}", c.render());
        for s in c.servers.values() {
            assert!(!s.line().contains('\n'));
        }
        // The same servers through a `conf` reply.
        let reply = format!("serverId=1\nmembership: \n{}version=1\n", c.render());
        let conf = parse_conf(&reply).expect("a conf reply parses");
        let via = from_conf(&conf)
            .expect("has members")
            .expect("same lines parse");
        assert_eq!(via.servers, c.servers);
    }
    if let Some(v) = version_from_file_name(&text) {
        let suffix = text.rsplit_once('.').map(|(_, s)| s).unwrap_or_default();
        assert_eq!(u64::from_str_radix(suffix, 16).ok(), Some(v));
    }
});
