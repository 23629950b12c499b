//! zoo.cfg: rendering it from the settings, and reading it back (the probes
//! find the client port and address in it).
//!
//! The format is Java Properties (`config::properties`): every line is
//! written by its encoder, never pasted together, and read back by its
//! parser. Every key name comes from the key table (`keys`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::keys;
use crate::config::properties::{self, Malformed, Writer};
use crate::config::settings::Settings;
use crate::config::version::Version;
use crate::sys::file::{self, caps, FileError};
use crate::sys::report::{diagnose, Code};

/// The header of every zoo.cfg zkpod writes.
pub const HEADER: &str = "# Written by zkpod start on every start: edits here are lost.\n# Change settings with zkpod flags, --set key=value or ZOO_CFG_EXTRA.\n";

/// Renders zoo.cfg for ZooKeeper `release`: the keys zkpod writes, in the
/// table's order (which starts with the tutorial's start-zookeeper, so the
/// two files diff cleanly), only those `release` reads; the server lines of
/// a static ensemble (with dynamic membership they live in the dynamic
/// config file instead); then the `--set` / `ZOO_CFG_EXTRA` entries (checked
/// against the release by `Settings::check_release`). Every line comes from
/// the Properties encoder.
///
/// Fails (exit code 4) when a key or value holds a control character
/// (`settings::build` refuses those first; this is the encoder's own guard).
pub fn render(s: &Settings, release: Version) -> anyhow::Result<String> {
    let mut w = Writer::new();
    for line in HEADER.lines() {
        w.comment(line.trim_start_matches("# "))
            .map_err(|r| refused("the header", &r))?;
    }
    let mut entry = |k: &str, v: &str| w.entry(k, v).map(|_| ()).map_err(|r| refused(k, &r));
    for (key, value) in s.entries(release) {
        entry(key.name, &value)?;
    }
    if s.servers.len() > 1 && s.dynamic.is_none() {
        for m in &s.servers {
            let key = format!("{}{}", keys::SERVER.name, m.id);
            let value = format!(
                "{}:{}:{}",
                m.host, s.input.server_port, s.input.election_port
            );
            entry(&key, &value)?;
        }
    }
    for (k, v) in &s.extra {
        entry(k, v)?;
    }
    Ok(w.finish())
}

pub(crate) fn refused(key: &str, r: &properties::Refused) -> anyhow::Error {
    diagnose(
        Code::Config,
        format!("zoo.cfg entry {} {r}", crate::sys::report::shown(key)),
        "zoo.cfg is read line by line, so it would change what ZooKeeper reads",
        "remove control characters from the flag or --set value that sets it",
    )
}

/// Parses zoo.cfg's bytes as ZooKeeper does (`Properties.load`): the last
/// value of each key.
///
/// Fails on a malformed `\uXXXX` escape (ZooKeeper would not start).
pub fn parse(bytes: &[u8]) -> Result<BTreeMap<String, String>, Malformed> {
    properties::parse(bytes).map(properties::to_map)
}

/// Where a server configured by zoo.cfg's bytes takes client connections:
/// (clientPortAddress when it names one address, clientPort). ZooKeeper
/// trims both values.
///
/// Fails with why the file cannot say: a malformed escape, a clientPort
/// that is not a port (ZooKeeper would not start with it either).
pub fn client_endpoint(bytes: &[u8]) -> Result<(Option<String>, Option<u16>), String> {
    let cfg = parse(bytes).map_err(|m| m.to_string())?;
    let port = match cfg.get(keys::CLIENT_PORT.name).map(|p| p.trim()) {
        None | Some("") => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                return Err(format!(
                    "sets {}={}, which is not a port from 1 to 65535",
                    keys::CLIENT_PORT.name,
                    crate::sys::report::shown(p)
                ))
            }
        },
    };
    let addr = cfg
        .get(keys::CLIENT_PORT_ADDRESS.name)
        .map(|a| a.trim())
        .filter(|a| !a.is_empty() && *a != "0.0.0.0" && *a != "::")
        .map(str::to_string);
    if let Some(a) = &addr {
        crate::config::values::host(a).map_err(|why| {
            format!(
                "sets {}={}, which {why}",
                keys::CLIENT_PORT_ADDRESS.name,
                crate::sys::report::shown(a)
            )
        })?;
    }
    Ok((addr, port))
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

/// Reads the client ports and TLS stores of zoo.cfg's bytes (an unusable
/// value reads as absent: [`client_endpoint`] says why a port is unusable).
pub fn client_ports(bytes: &[u8]) -> ClientPorts {
    let cfg = parse(bytes).unwrap_or_default();
    let get = |k: &keys::Key| {
        cfg.get(k.name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
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

/// `zoo.cfg` in `conf_dir`.
pub fn path(conf_dir: &Path) -> PathBuf {
    conf_dir.join("zoo.cfg")
}

/// Reads `conf_dir/zoo.cfg`, bounded (a regular file of at most 1 MiB,
/// opened without blocking): `None` when there is none.
///
/// Fails with what the file is when it cannot be read.
pub fn read(conf_dir: &Path) -> Result<Option<Vec<u8>>, FileError> {
    match file::read_capped(&path(conf_dir), caps::ZOO_CFG) {
        Ok(b) => Ok(Some(b)),
        Err(FileError::Missing) => Ok(None),
        Err(e) => Err(e),
    }
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
        .unwrap()
    }

    #[test]
    fn golden_zoo_cfg_for_the_tutorial_flags() {
        golden::check("zoo.cfg.seed004", &seed_zoo_cfg());
    }

    #[test]
    fn seed_zoo_cfg_settings_all_carried_over_with_the_purge_key_fixed() {
        let ours = parse(seed_zoo_cfg().as_bytes()).unwrap();
        for (k, v) in parse(SEED_004_ZOO_CFG.as_bytes()).unwrap() {
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
        golden::check("zoo.cfg.all-options", &render(&s, DEFAULT_RELEASE).unwrap());
    }

    #[test]
    fn golden_standalone_has_no_server_lines() {
        let s = build(&fixtures::defaults(), 1, members("x", 1)).unwrap();
        let out = render(&s, DEFAULT_RELEASE).unwrap();
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
            golden::check(&format!("zoo.cfg.{r}"), &render(&s, r).unwrap());
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
            for (k, _) in parse(render(&s, r).unwrap().as_bytes()).unwrap() {
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
        let cfg = |r| parse(render(&s, r).unwrap().as_bytes()).unwrap();
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
        let out = render(&s, v(3, 9, 4)).unwrap();
        assert_eq!(out.matches("fips-mode=").count(), 1, "{out}");
        assert_eq!(parse(out.as_bytes()).unwrap()["fips-mode"], "true");
        assert_eq!(
            parse(out.as_bytes()).unwrap()["admin.snapshot.enabled"],
            "true"
        );
        // Without the AdminServer its commands are not mentioned.
        let s = build(&fixtures::defaults(), 1, Vec::new()).unwrap();
        assert!(!render(&s, v(3, 9, 4)).unwrap().contains("admin.snapshot"));
    }

    #[test]
    fn parses_properties() {
        let cfg = parse(
            b"# c\nclientPort=2181\n\n tickTime = 2000\nserver.1=a:2888:3888\nclientPort=2182\n",
        )
        .unwrap();
        assert_eq!(cfg["clientPort"], "2182");
        assert_eq!(cfg["tickTime"], "2000");
        assert_eq!(cfg["server.1"], "a:2888:3888");
    }

    #[test]
    fn client_ports_and_tls_stores() {
        let p = client_ports(b"clientPort=2190\nclientPortAddress=127.0.0.12\n");
        assert_eq!(
            (p.plain, p.plain_address.as_deref(), p.secure),
            (Some(2190), Some("127.0.0.12"), None)
        );
        assert_eq!(
            client_ports(b"clientPortAddress=0.0.0.0\n"),
            ClientPorts::default()
        );
        let p = client_ports(
            b"clientPort=2181\nclientPortAddress=127.0.0.1\nsecureClientPort=2281\nsecureClientPortAddress=::\nssl.keyStore.location=/c/keystore.pem\nssl.keyStore.type=PEM\nssl.trustStore.location=/c/truststore.pem\n",
        );
        assert_eq!(p.secure, Some(2281));
        assert_eq!(p.secure_address, None);
        assert_eq!(
            p.keystore,
            Some(("/c/keystore.pem".to_string(), Some("PEM".to_string())))
        );
        assert_eq!(p.truststore, Some(("/c/truststore.pem".to_string(), None)));
    }

    #[test]
    fn regression_issue_8_no_value_injects_a_line() {
        // Every value reaches zoo.cfg through the encoder: what
        // settings::build would refuse cannot get into the file even when
        // handed to render directly.
        let mut s = build(&fixtures::defaults(), 1, Vec::new()).unwrap();
        s.extra
            .push(("snapCount".into(), "1\nserver.9=evil:1:2".into()));
        let e = render(&s, DEFAULT_RELEASE).unwrap_err().to_string();
        assert!(
            e.starts_with("zoo.cfg entry 'snapCount' holds the control character U+000A"),
            "{e}"
        );
        s.extra.pop();
        s.extra
            .push(("ssl.keyStore.password".into(), "p\\w=1#2 ".into()));
        let text = render(&s, DEFAULT_RELEASE).unwrap();
        assert_eq!(
            parse(text.as_bytes()).unwrap()["ssl.keyStore.password"],
            "p\\w=1#2 "
        );
    }

    #[test]
    fn endpoint() {
        assert_eq!(
            client_endpoint(b"clientPort=2190\nclientPortAddress=127.0.0.12\n"),
            Ok((Some("127.0.0.12".to_string()), Some(2190)))
        );
        assert_eq!(
            client_endpoint(b"clientPortAddress=0.0.0.0\n"),
            Ok((None, None))
        );
        // ZooKeeper trims values; so does the probe.
        assert_eq!(
            client_endpoint(b"clientPort = 2190  \n"),
            Ok((None, Some(2190)))
        );
        assert!(client_endpoint(b"clientPort=21x\n").is_err());
    }
}
