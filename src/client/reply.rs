//! The replies to four-letter words, parsed: `ruok`'s `imok`, `srvr`'s
//! report, `mntr`'s key/value lines, `conf`'s running configuration, and
//! ZooKeeper's not-serving and not-whitelisted answers. Pure functions of
//! the bytes a server sent; what a reply means for a probe is `probe`'s.

/// ZooKeeper's answer to most words while it is not serving requests (it
/// has not joined a quorum).
pub const NOT_SERVING: &str = "This ZooKeeper instance is not currently serving requests";

/// The server's mode, from `srvr`'s `Mode:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Leader,
    Follower,
    Standalone,
    Observer,
    ReadOnly,
    Other(String),
}

impl Mode {
    fn parse(s: &str) -> Mode {
        match s {
            "leader" => Mode::Leader,
            "follower" => Mode::Follower,
            "standalone" => Mode::Standalone,
            "observer" => Mode::Observer,
            "read-only" => Mode::ReadOnly,
            other => Mode::Other(other.to_string()),
        }
    }

    /// True for the modes in which the server is serving requests: with a
    /// quorum (leader, follower, observer) or alone (standalone). This is
    /// what "serving" means everywhere in zkpod.
    pub fn is_serving(&self) -> bool {
        matches!(
            self,
            Mode::Leader | Mode::Follower | Mode::Standalone | Mode::Observer
        )
    }

    /// The name ZooKeeper prints.
    pub fn as_str(&self) -> &str {
        match self {
            Mode::Leader => "leader",
            Mode::Follower => "follower",
            Mode::Standalone => "standalone",
            Mode::Observer => "observer",
            Mode::ReadOnly => "read-only",
            Mode::Other(s) => s,
        }
    }
}

/// A parsed `srvr` report. Fields ZooKeeper did not print stay `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Srvr {
    /// `Zookeeper version:` up to the first `-` or `,` (e.g. `3.8.0`).
    pub version: Option<String>,
    /// `Latency min/avg/max:` as printed (e.g. `0/0.0/0`).
    pub latency: Option<String>,
    pub connections: Option<u64>,
    pub outstanding: Option<u64>,
    pub zxid: Option<u64>,
    pub mode: Option<Mode>,
    pub node_count: Option<u64>,
}

/// What a reply is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `imok` (the answer to `ruok`).
    Imok,
    /// A well-formed `srvr` report (it has a `Mode:` line).
    Srvr(Srvr),
    /// `This ZooKeeper instance is not currently serving requests`.
    NotServing,
    /// `<word> is not executed because it is not in the whitelist.`
    NotWhitelisted(String),
    /// Anything else.
    Unexpected(Vec<u8>),
}

/// Recognises a reply; `bytes` is whatever the server sent.
pub fn classify(bytes: &[u8]) -> Answer {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.trim_end_matches(['\r', '\n']),
        Err(_) => return Answer::Unexpected(bytes.to_vec()),
    };
    if text == "imok" {
        return Answer::Imok;
    }
    if text == NOT_SERVING {
        return Answer::NotServing;
    }
    if let Some(word) = whitelist_refusal(text) {
        return Answer::NotWhitelisted(word.to_string());
    }
    match parse_srvr(text) {
        Some(s) => Answer::Srvr(s),
        None => Answer::Unexpected(bytes.to_vec()),
    }
}

/// The word ZooKeeper refused, if `text` is its not-whitelisted reply.
pub fn whitelist_refusal(text: &str) -> Option<&str> {
    let word = text
        .trim_end()
        .strip_suffix(" is not executed because it is not in the whitelist.")?;
    (word.len() == 4 && word.bytes().all(|b| b.is_ascii_lowercase())).then_some(word)
}

/// Parses a `srvr` (or `stat`) report; `None` unless it has a `Mode:` line,
/// which every well-formed report carries.
pub fn parse_srvr(text: &str) -> Option<Srvr> {
    let mut s = Srvr::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let num = || value.parse::<u64>().ok();
        match key.trim() {
            "Zookeeper version" => {
                let end = value.find(['-', ',']).unwrap_or(value.len());
                s.version = Some(value[..end].trim().to_string());
            }
            "Latency min/avg/max" => s.latency = Some(value.to_string()),
            "Connections" => s.connections = num(),
            "Outstanding" => s.outstanding = num(),
            "Zxid" => {
                let hex = value.strip_prefix("0x").unwrap_or(value);
                s.zxid = u64::from_str_radix(hex, 16).ok();
            }
            "Mode" => s.mode = Some(Mode::parse(value)),
            "Node count" => s.node_count = num(),
            _ => {}
        }
    }
    s.mode.is_some().then_some(s)
}

/// Parses `mntr` output: one `key<TAB>value` per line, in order. Lines
/// without a tab, or with an empty key, are skipped.
pub fn parse_mntr(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// A `conf` reply: the configuration the server runs with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conf {
    /// The `key=value` lines before `membership:`, in order (clientPort,
    /// dataDir, serverId, initLimit, electionPort, ...).
    pub settings: Vec<(String, String)>,
    /// The members after `membership:` (quorum servers of 3.5 and later).
    pub members: Vec<ConfMember>,
    /// The membership's `version=` (hex): the version of the dynamic config
    /// it came from; `None` for a standalone server.
    pub version: Option<u64>,
}

/// One `server.N=...` line of a `conf` reply's membership, as 3.5+ prints
/// it: `host:quorumPort:electionPort[|more addresses][:role][;[clientAddr:]clientPort]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfMember {
    pub id: u64,
    /// The quorum and election addresses (`host:2888:3888`, `|`-separated
    /// when the server has several).
    pub addresses: String,
    /// `participant` or `observer` (absent in older replies).
    pub role: Option<String>,
    /// The client address (`0.0.0.0:2181`) when the server line names one.
    pub client: Option<String>,
}

impl Conf {
    /// The value of `key` among the settings.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a `conf` reply; `None` when no line is a `key=value` setting
/// (then it is not a `conf` reply).
pub fn parse_conf(text: &str) -> Option<Conf> {
    let mut conf = Conf::default();
    let mut in_membership = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim() == "membership:" {
            in_membership = true;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() {
            continue;
        }
        if in_membership {
            if key == "version" {
                conf.version = u64::from_str_radix(value, 16).ok();
            } else if let Some(id) = key.strip_prefix("server.").and_then(|n| n.parse().ok()) {
                conf.members.push(conf_member(id, value));
            }
        } else {
            conf.settings.push((key.to_string(), value.to_string()));
        }
    }
    (!conf.settings.is_empty() || !conf.members.is_empty()).then_some(conf)
}

fn conf_member(id: u64, value: &str) -> ConfMember {
    let (server, client) = match value.split_once(';') {
        Some((s, c)) => (s, Some(c.to_string())),
        None => (value, None),
    };
    let (addresses, role) = match server.rsplit_once(':') {
        Some((a, r)) if r == "participant" || r == "observer" => (a, Some(r.to_string())),
        _ => (server, None),
    };
    ConfMember {
        id,
        addresses: addresses.to_string(),
        role,
        client,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `srvr` of Debian's ZooKeeper 3.8.0, standalone (captured on 127.0.0.30).
    pub const SRVR_STANDALONE: &str = "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 0/0.0/0\nReceived: 7\nSent: 7\nConnections: 1\nOutstanding: 0\nZxid: 0x0\nMode: standalone\nNode count: 5\n";
    /// `srvr` of a 3.8.0 leader (2 of 3 servers up).
    pub const SRVR_LEADER: &str = "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\nZxid: 0x100000000\nMode: leader\nNode count: 5\nProposal sizes last/min/max: -1/-1/-1\n";

    #[test]
    fn parses_real_srvr_replies() {
        let s = parse_srvr(SRVR_STANDALONE).unwrap();
        assert_eq!(s.version.as_deref(), Some("3.8.0"));
        assert_eq!(s.mode, Some(Mode::Standalone));
        assert_eq!(s.zxid, Some(0));
        assert_eq!(s.connections, Some(1));
        assert_eq!(s.node_count, Some(5));
        assert_eq!(s.latency.as_deref(), Some("0/0.0/0"));
        let l = parse_srvr(SRVR_LEADER).unwrap();
        assert_eq!(l.mode, Some(Mode::Leader));
        assert_eq!(l.zxid, Some(0x1_0000_0000));
        assert_eq!(
            parse_srvr("Zookeeper version: 3.8.0\nConnections: 1\n"),
            None
        );
    }

    #[test]
    fn classifies_replies() {
        assert_eq!(classify(b"imok"), Answer::Imok);
        assert_eq!(classify(b"imok\n"), Answer::Imok);
        assert_eq!(
            classify(format!("{NOT_SERVING}\n").as_bytes()),
            Answer::NotServing
        );
        assert_eq!(
            classify(b"ruok is not executed because it is not in the whitelist.\n"),
            Answer::NotWhitelisted("ruok".into())
        );
        assert!(matches!(classify(SRVR_LEADER.as_bytes()), Answer::Srvr(_)));
        assert_eq!(
            classify(b"HTTP/1.1 400"),
            Answer::Unexpected(b"HTTP/1.1 400".to_vec())
        );
        assert_eq!(
            classify(b"\xff\xfe"),
            Answer::Unexpected(b"\xff\xfe".to_vec())
        );
        assert_eq!(
            whitelist_refusal("x is not executed because it is not in the whitelist."),
            None
        );
    }

    /// `conf` of Debian's ZooKeeper 3.8.0, standalone (captured on 127.0.2.30).
    const CONF_STANDALONE: &str = "clientPort=2181\nsecureClientPort=-1\ndataDir=/var/tmp/zkcap/data/version-2\ndataDirSize=0\ndataLogDir=/var/tmp/zkcap/log/version-2\ndataLogSize=457\ntickTime=2000\nmaxClientCnxns=60\nminSessionTimeout=4000\nmaxSessionTimeout=40000\nclientPortListenBacklog=-1\nserverId=0\n";

    /// `conf` of a quorum member, in the format of ZooKeeper 3.8's
    /// QuorumZooKeeperServer.dumpConf and QuorumMaj.toString.
    const CONF_MEMBER: &str = "clientPort=2181\nsecureClientPort=-1\ndataDir=/var/lib/zookeeper/data/version-2\ndataDirSize=1024\ndataLogDir=/var/lib/zookeeper/data/log/version-2\ndataLogSize=67108880\ntickTime=2000\nmaxClientCnxns=60\nminSessionTimeout=4000\nmaxSessionTimeout=40000\nclientPortListenBacklog=-1\nserverId=2\ninitLimit=10\nsyncLimit=5\nelectionAlg=3\nelectionPort=3888\nquorumPort=2888\npeerType=0\nmembership: \nserver.1=zk-0.zk-hs.default.svc.cluster.local:2888:3888:participant\nserver.2=zk-1.zk-hs.default.svc.cluster.local:2888:3888:participant;0.0.0.0:2181\nserver.3=[fd00::3]:2888:3888:observer\nversion=100000000";

    #[test]
    fn parses_conf_replies() {
        let c = parse_conf(CONF_STANDALONE).unwrap();
        assert_eq!(c.get("clientPort"), Some("2181"));
        assert_eq!(c.get("serverId"), Some("0"));
        assert!(c.members.is_empty());
        assert_eq!(c.version, None);
        let m = parse_conf(CONF_MEMBER).unwrap();
        assert_eq!(m.get("serverId"), Some("2"));
        assert_eq!(m.get("peerType"), Some("0"));
        assert_eq!(m.version, Some(0x1_0000_0000));
        assert_eq!(
            m.members,
            [
                ConfMember {
                    id: 1,
                    addresses: "zk-0.zk-hs.default.svc.cluster.local:2888:3888".into(),
                    role: Some("participant".into()),
                    client: None,
                },
                ConfMember {
                    id: 2,
                    addresses: "zk-1.zk-hs.default.svc.cluster.local:2888:3888".into(),
                    role: Some("participant".into()),
                    client: Some("0.0.0.0:2181".into()),
                },
                ConfMember {
                    id: 3,
                    addresses: "[fd00::3]:2888:3888".into(),
                    role: Some("observer".into()),
                    client: None,
                },
            ]
        );
        assert_eq!(parse_conf("imok"), None);
        assert_eq!(parse_conf(NOT_SERVING), None);
    }

    #[test]
    fn parses_mntr_lines() {
        let m = parse_mntr(
            "zk_version\t3.8.0\nno tab here\n\tvalue without key\nzk_znode_count\t 5 \n",
        );
        assert_eq!(
            m,
            [
                ("zk_version".to_string(), "3.8.0".to_string()),
                ("zk_znode_count".to_string(), "5".to_string())
            ]
        );
    }
}
