//! ZooKeeper's dynamic configuration: the `server.N=` lines and the version
//! that ZooKeeper (3.5+) commits through reconfig and writes to
//! `zoo.cfg.dynamic.<hex version>`.
//!
//! Pure parsing and rendering; the same text comes from three places: a
//! dynamic config file on the volume, the `/zookeeper/config` znode, and the
//! `membership:` section of the `conf` four-letter word.

use std::collections::BTreeMap;
use std::fmt;

use crate::client::reply::Conf;
use crate::config::properties;
use crate::sys::report::shown;

/// A server's role in the ensemble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Votes (the default when a line names no role).
    Participant,
    /// Receives the data but never votes.
    Observer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Participant => "participant",
            Role::Observer => "observer",
        }
    }
}

/// Where a server takes client connections (`;[address:]port`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSpec {
    /// `None`: all addresses (ZooKeeper's 0.0.0.0).
    pub address: Option<String>,
    pub port: u16,
}

impl fmt::Display for ClientSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.address {
            Some(a) if a.contains(':') && !a.starts_with('[') => write!(f, "[{a}]:{}", self.port),
            Some(a) => write!(f, "{a}:{}", self.port),
            None => write!(f, "{}", self.port),
        }
    }
}

/// One `server.N=host:quorumPort:electionPort[:role][;[addr:]clientPort]` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub id: u32,
    pub host: String,
    pub quorum_port: u16,
    pub election_port: u16,
    pub role: Role,
    pub client: Option<ClientSpec>,
}

impl Server {
    /// The value part: `host:2888:3888:participant;0.0.0.0:2181`.
    pub fn value(&self) -> String {
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let mut v = format!(
            "{host}:{}:{}:{}",
            self.quorum_port,
            self.election_port,
            self.role.as_str()
        );
        if let Some(c) = &self.client {
            v.push(';');
            v.push_str(&c.to_string());
        }
        v
    }

    /// The whole line, as ZooKeeper writes it.
    pub fn line(&self) -> String {
        format!("server.{}={}", self.id, self.value())
    }

    /// The same server with another role.
    pub fn with_role(&self, role: Role) -> Server {
        Server {
            role,
            ..self.clone()
        }
    }
}

/// Splits `host:rest` where host may be a bracketed IPv6 literal.
fn split_host(s: &str) -> Result<(String, &str), String> {
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| format!("{} has an unclosed '['", shown(s)))?;
        let after = &rest[end + 1..];
        let after = after
            .strip_prefix(':')
            .ok_or_else(|| format!("{} has no port after the address", shown(s)))?;
        return Ok((rest[..end].to_string(), after));
    }
    let (h, r) = s
        .split_once(':')
        .ok_or_else(|| format!("{} has no ports", shown(s)))?;
    Ok((h.to_string(), r))
}

/// A host name or IP address as ZooKeeper's server lines hold them:
/// letters, digits, `.`, `-`, `_`, and `:` for an IPv6 literal.
fn check_host(h: &str, what: &str) -> Result<(), String> {
    let ok = !h.is_empty()
        && h.len() <= 253
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    if ok {
        Ok(())
    } else {
        Err(format!("{what} {} is not a host name or address", shown(h)))
    }
}

/// An address with at most one pair of brackets around it (`[::1]`).
fn unbracket(a: &str) -> Result<&str, String> {
    match a.strip_prefix('[') {
        Some(inner) => inner
            .strip_suffix(']')
            .ok_or_else(|| format!("{} has an unclosed '['", shown(a))),
        None if a.ends_with(']') => Err(format!("{} has an unopened ']'", shown(a))),
        None => Ok(a),
    }
}

fn port(s: &str, what: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!("{what} {} is not a port (1-65535)", shown(s))),
    }
}

/// Parses the value of a `server.N` line.
///
/// Fails with a short reason on anything that is not the single-address
/// form ZooKeeper writes (3.6+ multi-address `a|b` lines are refused).
pub fn parse_server(id: u32, value: &str) -> Result<Server, String> {
    let value = value.trim();
    if value.contains('|') {
        return Err("multi-address server lines are not supported".to_string());
    }
    let (quorum, client) = match value.split_once(';') {
        Some((q, c)) => (q.trim(), Some(c.trim())),
        None => (value, None),
    };
    let (host, rest) = split_host(quorum)?;
    if host.is_empty() {
        return Err(format!("{} names no host", shown(value)));
    }
    check_host(&host, "host")?;
    let mut parts = rest.split(':');
    let quorum_port = port(parts.next().unwrap_or(""), "quorum port")?;
    let election_port = port(
        parts
            .next()
            .ok_or_else(|| format!("{} has no election port", shown(value)))?,
        "election port",
    )?;
    let role = match parts.next().map(str::trim) {
        None | Some("participant") => Role::Participant,
        Some("observer") => Role::Observer,
        Some(other) => {
            return Err(format!(
                "role {} is neither participant nor observer",
                shown(other)
            ))
        }
    };
    if parts.next().is_some() {
        return Err(format!("{} has too many ':' fields", shown(value)));
    }
    let client = match client {
        None | Some("") => None,
        Some(c) => Some(match c.rsplit_once(':') {
            // "[::]:2181", "0.0.0.0:2181", "host:2181"
            Some((a, p)) => {
                let a = unbracket(a)?;
                check_host(a, "client address")?;
                ClientSpec {
                    address: Some(a.to_string()),
                    port: port(p, "client port")?,
                }
            }
            None => ClientSpec {
                address: None,
                port: port(c, "client port")?,
            },
        }),
    };
    Ok(Server {
        id,
        host,
        quorum_port,
        election_port,
        role,
        client,
    })
}

/// A dynamic configuration: the servers by id and, when known, the version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// `None` for a configuration nobody committed yet (a bootstrap or
    /// joiner file); ZooKeeper treats it as version 0.
    pub version: Option<u64>,
    pub servers: BTreeMap<u32, Server>,
}

impl Config {
    /// Parses config text as ZooKeeper does (Java Properties: escapes,
    /// continued lines, `:` as a separator): `server.N=` entries and an
    /// optional `version=<hex>`; comments are skipped.
    ///
    /// Fails on a malformed escape or server line, a bad version, a
    /// duplicate id, keys of hierarchical quorums (`group.`, `weight.`),
    /// which zkpod does not manage, or any other key (a dynamic config
    /// holds nothing else). What is quoted is cut short and escaped.
    pub fn parse(text: &str) -> Result<Config, String> {
        let entries = properties::parse_str(text).map_err(|m| m.to_string())?;
        Config::from_entries(entries)
    }

    /// Parses a dynamic config file's bytes, each byte one ISO 8859-1
    /// character (as `Properties.load(InputStream)` reads them).
    ///
    /// Fails as [`Config::parse`].
    pub fn parse_bytes(bytes: &[u8]) -> Result<Config, String> {
        let entries = properties::parse(bytes).map_err(|m| m.to_string())?;
        Config::from_entries(entries)
    }

    fn from_entries(entries: Vec<(String, String)>) -> Result<Config, String> {
        let mut cfg = Config::default();
        for (key, value) in entries {
            let shown_key = shown(&key);
            if key == "version" {
                let v = u64::from_str_radix(value.trim(), 16)
                    .map_err(|_| format!("version {} is not hexadecimal", shown(value.trim())))?;
                cfg.version = Some(v);
            } else if let Some(n) = key.strip_prefix("server.") {
                let id: u32 = n
                    .parse()
                    .ok()
                    .filter(|&id| id > 0)
                    .ok_or_else(|| format!("{shown_key} is not server.<positive id>"))?;
                let s = parse_server(id, &value).map_err(|e| format!("server.{id}: {e}"))?;
                if cfg.servers.insert(id, s).is_some() {
                    return Err(format!("server.{id} appears twice"));
                }
            } else if key.starts_with("group.") || key.starts_with("weight.") {
                return Err(format!(
                    "{shown_key} belongs to a hierarchical quorum, which zkpod does not manage"
                ));
            } else {
                return Err(format!("unexpected key {shown_key} in a dynamic config"));
            }
        }
        if cfg.servers.is_empty() {
            return Err("no server lines".to_string());
        }
        Ok(cfg)
    }

    /// The server lines, one per line, in id order (no version line: in a
    /// file ZooKeeper takes the version from the file name). For the
    /// reconfig request and messages; a file is written with
    /// [`Config::render_file`].
    pub fn render(&self) -> String {
        self.servers
            .values()
            .map(|s| s.line() + "\n")
            .collect::<String>()
    }

    /// The dynamic config file's text, through the Properties encoder.
    ///
    /// Fails (exit code 4) if a server line holds a control character (a
    /// guard: parsing refuses hosts with anything but letters, digits,
    /// `.`, `-`, `_` and `:`).
    pub fn render_file(&self) -> anyhow::Result<String> {
        let mut w = properties::Writer::new();
        for s in self.servers.values() {
            let key = format!("server.{}", s.id);
            let value = s.value();
            w.entry(&key, &value)
                .map_err(|r| crate::config::zoocfg::refused(&key, &r))?;
        }
        Ok(w.finish())
    }

    /// True when `id` votes in this configuration.
    pub fn is_participant(&self, id: u32) -> bool {
        self.servers
            .get(&id)
            .is_some_and(|s| s.role == Role::Participant)
    }

    /// The number of voting servers.
    pub fn voters(&self) -> usize {
        self.servers
            .values()
            .filter(|s| s.role == Role::Participant)
            .count()
    }

    /// The version as ZooKeeper prints it (hex), or "none".
    pub fn version_text(&self) -> String {
        self.version
            .map_or_else(|| "none".to_string(), |v| format!("0x{v:x}"))
    }
}

/// What every dynamic config file name in the data dir starts with:
/// ZooKeeper names them after the zoo.cfg it was started with.
pub const FILE_PREFIX: &str = "zoo.cfg.dynamic.";

/// The version in a dynamic config file name: the part after the last '.',
/// read as hex, as ZooKeeper does (`zoo.cfg.dynamic.100000000`). `None`
/// when it is not hex (`zoo.cfg.dynamic.zkpod-join`).
pub fn version_from_file_name(name: &str) -> Option<u64> {
    let (_, last) = name.rsplit_once('.')?;
    if last.is_empty() || last.len() > 16 {
        return None;
    }
    u64::from_str_radix(last, 16).ok()
}

/// The membership a serving server reports at the end of its `conf` reply
/// (3.5+), as parsed by `client::reply::parse_conf`. `None` when the reply
/// has no membership (3.4, or a standalone server); an error when a member
/// line is not one zkpod can act on.
pub fn from_conf(conf: &Conf) -> Option<Result<Config, String>> {
    if conf.members.is_empty() {
        return None;
    }
    let mut cfg = Config {
        version: conf.version,
        servers: BTreeMap::new(),
    };
    for m in &conf.members {
        let id = match u32::try_from(m.id) {
            Ok(id) if id > 0 => id,
            _ => return Some(Err(format!("server.{} is not server.<positive id>", m.id))),
        };
        let mut value = m.addresses.clone();
        if let Some(role) = &m.role {
            value.push(':');
            value.push_str(role);
        }
        if let Some(client) = &m.client {
            value.push(';');
            value.push_str(client);
        }
        match parse_server(id, &value) {
            Ok(s) => {
                cfg.servers.insert(id, s);
            }
            Err(e) => return Some(Err(format!("server.{id}: {e}"))),
        }
    }
    Some(Ok(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF_REPLY: &str = "clientPort=2181\nsecureClientPort=-1\ndataDir=/d/version-2\nserverId=1\nelectionPort=3888\nquorumPort=2888\npeerType=0\nmembership: \nserver.1=127.0.9.10:2888:3888:participant;127.0.9.10:2181\nserver.2=127.0.9.11:2888:3888:participant;127.0.9.11:2181\nserver.3=127.0.9.12:2888:3888:participant;127.0.9.12:2181\nversion=100000000\n";

    #[test]
    fn parses_the_conf_reply_of_a_3_8_server() {
        let conf = crate::client::reply::parse_conf(CONF_REPLY).unwrap();
        let c = from_conf(&conf).unwrap().unwrap();
        assert_eq!(c.version, Some(0x1_0000_0000));
        assert_eq!(c.servers.len(), 3);
        assert!(c.is_participant(2));
        assert_eq!(
            c.servers[&3].client,
            Some(ClientSpec {
                address: Some("127.0.9.12".into()),
                port: 2181
            })
        );
        assert_eq!(c.voters(), 3);
        let standalone = crate::client::reply::parse_conf("clientPort=2181\n").unwrap();
        assert!(from_conf(&standalone).is_none());
    }

    #[test]
    fn server_lines_round_trip() {
        for line in [
            "server.1=zk-0.zk-hs.default.svc.cluster.local:2888:3888:participant;0.0.0.0:2181",
            "server.2=zk-1.zk-hs:2888:3888:observer;2181",
            "server.3=[::1]:2888:3888:participant;[::1]:2181",
            "server.4=h:1:2:participant",
        ] {
            let c = Config::parse(line).unwrap();
            assert_eq!(c.render().trim_end(), line, "{line}");
        }
        // A line without a role is a participant.
        let c = Config::parse("server.7=h:1:2").unwrap();
        assert_eq!(c.servers[&7].role, Role::Participant);
        assert_eq!(c.render(), "server.7=h:1:2:participant\n");
    }

    #[test]
    fn bad_configs_say_why() {
        for (text, want) in [
            ("server.0=h:1:2", "not server.<positive id>"),
            ("server.1=h:1", "no election port"),
            ("server.1=h:1:2:leader", "neither participant nor observer"),
            ("server.1=h:1:2\nserver.1=h:1:2", "appears twice"),
            ("server.1=h:0:2", "quorum port '0'"),
            ("server.1=a:1:2|b:1:2", "multi-address"),
            ("group.1=1:2", "hierarchical quorum"),
            ("version=xyz\nserver.1=h:1:2", "not hexadecimal"),
            ("", "no server lines"),
            ("server.1=[::1:1:2", "unclosed"),
        ] {
            let e = Config::parse(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn regression_fuzz_dynamic_config_hosts_and_client_addresses_are_checked() {
        // fuzz/dynamic_config: NULs in the host and a client address of many
        // '[' parsed, and did not render back to the same server.
        let e =
            Config::parse("server.1=\0\08-z-.h8\t`:388:3888:participant;[[[[  [[0.0.0\u{cd}:218")
                .unwrap_err();
        assert!(e.contains("is not a host name or address"), "{e}");
        for bad in [
            "server.1=h:1:2;[[::1]]:2181",
            "server.1=h:1:2;::1]:2181",
            "server.1=a b:1:2",
        ] {
            assert!(Config::parse(bad).is_err(), "{bad}");
        }
        let ok = Config::parse("server.1=h:1:2;[::1]:2181").unwrap();
        assert_eq!(
            ok.servers[&1].client.as_ref().unwrap().address.as_deref(),
            Some("::1")
        );
    }

    #[test]
    fn versions_from_file_names() {
        assert_eq!(
            version_from_file_name("zoo.cfg.dynamic.100000000"),
            Some(0x1_0000_0000)
        );
        assert_eq!(version_from_file_name("zoo.cfg.dynamic.zkpod-join"), None);
        assert_eq!(
            version_from_file_name("zoo.cfg.dynamic.zkpod-bootstrap"),
            None
        );
        assert_eq!(version_from_file_name("nodot"), None);
    }
}
