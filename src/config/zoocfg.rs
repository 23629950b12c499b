//! zoo.cfg: rendering it from the settings, and reading it back (the probes
//! find the client port and address in it).
//!
//! The format is Java properties: `key=value` lines and `#` comments. Every
//! key name comes from the key table (`keys`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::config::keys;
use crate::config::settings::Settings;
use crate::config::version::Version;

/// The header of every zoo.cfg zkpod writes.
pub const HEADER: &str = "# Written by zkpod start on every start: edits here are lost.\n# Change settings with zkpod flags, --set key=value or ZOO_CFG_EXTRA.\n";

/// Renders zoo.cfg for ZooKeeper `release`: the keys zkpod writes, in the
/// table's order (which starts with the tutorial's start-zookeeper, so the
/// two files diff cleanly), only those `release` reads; the server lines of
/// a static ensemble (with dynamic membership they live in the dynamic
/// config file instead); then the `--set` / `ZOO_CFG_EXTRA` entries (checked
/// against the release by `Settings::check_release`).
pub fn render(s: &Settings, release: Version) -> String {
    let mut out = String::from(HEADER);
    for (key, value) in s.entries(release) {
        let _ = writeln!(out, "{}={value}", key.name);
    }
    if s.servers.len() > 1 && s.dynamic.is_none() {
        for m in &s.servers {
            let _ = writeln!(
                out,
                "{}{}={}:{}:{}",
                keys::SERVER.name,
                m.id,
                m.host,
                s.input.server_port,
                s.input.election_port
            );
        }
    }
    for (k, v) in &s.extra {
        let _ = writeln!(out, "{k}={v}");
    }
    out
}

/// Parses zoo.cfg text into its settings. Later lines win, as in
/// `java.util.Properties`. Blank lines and `#`/`!` comments are skipped.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let (key, value) = match line.find(['=', ':']) {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, ""),
        };
        map.insert(key.trim().to_string(), value.trim().to_string());
    }
    map
}

/// Where a server takes client connections, as its zoo.cfg says: the
/// plaintext and the TLS port (each with its address when it names one
/// address, not all of them), and ZooKeeper's TLS key and trust stores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientPorts {
    pub plain: Option<u16>,
    pub plain_address: Option<String>,
    pub secure: Option<u16>,
    pub secure_address: Option<String>,
    /// `ssl.keyStore.location` and `ssl.keyStore.type`.
    pub keystore: Option<(String, Option<String>)>,
    /// `ssl.trustStore.location` and `ssl.trustStore.type`.
    pub truststore: Option<(String, Option<String>)>,
}

/// Reads the client ports and TLS stores of a zoo.cfg's `text`.
pub fn client_ports(text: &str) -> ClientPorts {
    let cfg = parse(text);
    let get = |k: &keys::Key| cfg.get(k.name).filter(|v| !v.is_empty()).cloned();
    let port = |k: &keys::Key| get(k).and_then(|p| p.parse().ok());
    let address = |k: &keys::Key| {
        get(k).filter(|a| a.as_str() != "0.0.0.0" && a.as_str() != "::" && a.as_str() != "[::]")
    };
    let store = |loc: &keys::Key, kind: &keys::Key| get(loc).map(|l| (l, get(kind)));
    ClientPorts {
        plain: port(&keys::CLIENT_PORT),
        plain_address: address(&keys::CLIENT_PORT_ADDRESS),
        secure: port(&keys::SECURE_CLIENT_PORT),
        secure_address: address(&keys::SECURE_CLIENT_PORT_ADDRESS),
        keystore: store(&keys::SSL_KEYSTORE_LOCATION, &keys::SSL_KEYSTORE_TYPE),
        truststore: store(&keys::SSL_TRUSTSTORE_LOCATION, &keys::SSL_TRUSTSTORE_TYPE),
    }
}

/// Reads `conf_dir/zoo.cfg` if it exists and is readable.
pub fn read(conf_dir: &Path) -> Option<String> {
    std::fs::read_to_string(conf_dir.join("zoo.cfg")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::{build, fixtures, Member};
    use crate::config::version::{v, Version};
    use crate::golden;

    /// The image's default release: what the release-independent goldens
    /// are rendered for.
    const DEFAULT_RELEASE: Version = v(3, 9, 4);

    fn members(domain: &str, n: u32) -> Vec<Member> {
        (0..n)
            .map(|i| Member {
                id: i + 1,
                host: format!("zk-{i}.{domain}"),
            })
            .collect()
    }

    /// The zoo.cfg that seed 004 printed from that command (less its header).
    const SEED_004_ZOO_CFG: &str = "clientPort=2181
dataDir=/var/lib/zookeeper/data
dataLogDir=/var/lib/zookeeper/data/log
tickTime=2000
initLimit=10
syncLimit=5
maxClientCnxns=60
minSessionTimeout=4000
maxSessionTimeout=40000
autopurge.snapRetainCount=3
autopurge.purgeInteval=12
server.1=zk-0.zk-hs.default.svc.cluster.local:2888:3888
server.2=zk-1.zk-hs.default.svc.cluster.local:2888:3888
server.3=zk-2.zk-hs.default.svc.cluster.local:2888:3888
";

    fn seed_zoo_cfg() -> String {
        let members = members("zk-hs.default.svc.cluster.local", 3);
        render(
            &build(&fixtures::seed004(), 1, members).unwrap(),
            DEFAULT_RELEASE,
        )
    }

    #[test]
    fn golden_zoo_cfg_for_the_tutorial_flags() {
        golden::check("zoo.cfg.seed004", &seed_zoo_cfg());
    }

    #[test]
    fn seed_zoo_cfg_settings_all_carried_over_with_the_purge_key_fixed() {
        let ours = parse(&seed_zoo_cfg());
        for (k, v) in parse(SEED_004_ZOO_CFG) {
            let k = if k == "autopurge.purgeInteval" {
                keys::PURGE_INTERVAL.name.to_string()
            } else {
                k
            };
            assert_eq!(ours.get(&k), Some(&v), "{k}");
        }
        assert!(!ours.contains_key("autopurge.purgeInteval"));
        let wl = &ours[keys::FOUR_LETTER_WORDS.name];
        for w in ["ruok", "srvr", "mntr", "conf"] {
            assert!(wl.split(',').any(|x| x == w), "{w} missing from {wl}");
        }
    }

    #[test]
    fn golden_zoo_cfg_with_every_option() {
        let members = members("zk-hs.kafka.svc.cluster.local", 5);
        let s = build(&fixtures::all_options(), 3, members).unwrap();
        golden::check("zoo.cfg.all-options", &render(&s, DEFAULT_RELEASE));
    }

    #[test]
    fn golden_standalone_has_no_server_lines() {
        let s = build(&fixtures::defaults(), 1, members("x", 1)).unwrap();
        let out = render(&s, DEFAULT_RELEASE);
        assert!(!out.contains("server."), "{out}");
        golden::check("zoo.cfg.standalone-defaults", &out);
    }

    /// A pod's zoo.cfg as each release gets it: the AdminServer on, and
    /// ZooKeeper's Prometheus endpoint where the release has one (its
    /// address where it can bind one). One golden file per release whose
    /// zoo.cfg differs.
    #[test]
    fn golden_zoo_cfg_per_release() {
        let releases = [v(3, 5, 10), v(3, 7, 2), v(3, 8, 0), v(3, 8, 6), v(3, 9, 4)];
        for r in releases {
            let mut i = fixtures::defaults();
            i.admin_server = true;
            if keys::METRICS_PORT.known_in(r) {
                i.metrics_port = Some(7000);
            }
            if keys::METRICS_HOST.known_in(r) {
                i.metrics_host = Some("10.244.1.7".into());
            }
            let s = build(&i, 2, members("zk-hs.default.svc.cluster.local", 3)).unwrap();
            s.check_release(&crate::config::settings::Found::complete(r))
                .unwrap();
            golden::check(&format!("zoo.cfg.{r}"), &render(&s, r));
        }
    }

    #[test]
    fn every_rendered_key_is_in_the_table_and_read_by_its_release() {
        let s = build(&fixtures::all_options(), 1, Vec::new()).unwrap();
        for r in [
            v(3, 5, 0),
            v(3, 5, 10),
            v(3, 6, 4),
            v(3, 8, 0),
            v(3, 8, 6),
            v(3, 9, 4),
        ] {
            for (k, _) in parse(&render(&s, r)) {
                let key = keys::find(&k).unwrap_or_else(|| panic!("{k} not in the key table"));
                if s.extra.iter().all(|(e, _)| *e != k) {
                    assert!(key.known_in(r), "{k} written for {r}");
                }
            }
        }
    }

    #[test]
    fn the_decided_keys_follow_the_release_and_yield_to_set() {
        let mut i = fixtures::defaults();
        i.admin_server = true;
        let s = build(&i, 1, Vec::new()).unwrap();
        let cfg = |r| parse(&render(&s, r));
        let old = cfg(v(3, 5, 10));
        assert_eq!(old["electionPortBindRetry"], "0");
        assert_eq!(old["admin.serverAddress"], "127.0.0.1");
        for k in [
            "fips-mode",
            "admin.snapshot.enabled",
            "admin.restore.enabled",
        ] {
            assert!(!old.contains_key(k), "{k} written for 3.5.10");
        }
        assert_eq!(cfg(v(3, 8, 6))["fips-mode"], "false");
        assert!(!cfg(v(3, 8, 0)).contains_key("fips-mode"));
        let new = cfg(v(3, 9, 4));
        assert_eq!(new["admin.snapshot.enabled"], "false");
        assert_eq!(new["admin.restore.enabled"], "false");
        // --set wins over zkpod's choice, and the key is written once.
        i.set = vec![
            "fips-mode=true".into(),
            "admin.snapshot.enabled=true".into(),
        ];
        let s = build(&i, 1, Vec::new()).unwrap();
        let out = render(&s, v(3, 9, 4));
        assert_eq!(out.matches("fips-mode=").count(), 1, "{out}");
        assert_eq!(parse(&out)["fips-mode"], "true");
        assert_eq!(parse(&out)["admin.snapshot.enabled"], "true");
        // Without the AdminServer its commands are not mentioned.
        let s = build(&fixtures::defaults(), 1, Vec::new()).unwrap();
        assert!(!render(&s, v(3, 9, 4)).contains("admin.snapshot"));
    }

    #[test]
    fn parses_properties() {
        let cfg = parse(
            "# c\nclientPort=2181\n\n tickTime = 2000 \nserver.1=a:2888:3888\nclientPort=2182\n",
        );
        assert_eq!(cfg["clientPort"], "2182");
        assert_eq!(cfg["tickTime"], "2000");
        assert_eq!(cfg["server.1"], "a:2888:3888");
    }

    #[test]
    fn client_ports_and_tls_stores() {
        let p = client_ports("clientPort=2190\nclientPortAddress=127.0.0.12\n");
        assert_eq!(
            (p.plain, p.plain_address.as_deref(), p.secure),
            (Some(2190), Some("127.0.0.12"), None)
        );
        assert_eq!(
            client_ports("clientPortAddress=0.0.0.0\n"),
            ClientPorts::default()
        );
        let p = client_ports(
            "clientPort=2181\nclientPortAddress=127.0.0.1\nsecureClientPort=2281\nsecureClientPortAddress=::\nssl.keyStore.location=/c/keystore.pem\nssl.keyStore.type=PEM\nssl.trustStore.location=/c/truststore.pem\n",
        );
        assert_eq!(p.secure, Some(2281));
        assert_eq!(p.secure_address, None);
        assert_eq!(
            p.keystore,
            Some(("/c/keystore.pem".to_string(), Some("PEM".to_string())))
        );
        assert_eq!(p.truststore, Some(("/c/truststore.pem".to_string(), None)));
    }
}
