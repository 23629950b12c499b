//! `membership.properties` in the conf dir: what `zkpod start` decided
//! about this server that `zkpod join` and `zkpod leave` act on. Those run
//! as the pod's postStart and preStop hooks, with the container's
//! environment but not its arguments, so the start writes it down for them.
//! It names the process that wrote it (pid and start time): the conf dir
//! outlives a container restart, and the postStart hook runs while the
//! start may still be deciding, so a hook waits for the file of the
//! process that is running now. Pure rendering and parsing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::dynamic::{parse_server, Server};
use crate::config::properties::Writer;
use crate::sys::file::{self, caps, FileError};
use crate::sys::report::{diagnose, shown, Code};

/// The file's name in the conf dir.
pub const FILE: &str = "membership.properties";

/// The start that wrote the file, and what it decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// zkpod start's pid (the JVM's, after the exec) and its start time
    /// (`/proc/<pid>/stat` field 22, clock ticks since boot).
    pub pid: u32,
    pub started: u64,
    /// `None`: a static server list (nothing to join or leave).
    pub member: Option<Local>,
}

impl Written {
    /// The file's text, through the Properties encoder.
    ///
    /// Fails (exit code 4) if a value holds a control character (a guard:
    /// the start checked every value it decided).
    pub fn render(&self) -> anyhow::Result<String> {
        let mut w = Writer::new();
        let head = "Written by zkpod start: what `zkpod join` and `zkpod leave` act on.";
        w.comment(head).map_err(|r| refused("#", &r))?;
        entry(&mut w, "pid", &self.pid.to_string())?;
        entry(&mut w, "started", &self.started.to_string())?;
        match &self.member {
            None => entry(&mut w, "membership", "static")?,
            Some(l) => {
                entry(&mut w, "membership", "dynamic")?;
                l.write(&mut w)?;
            }
        }
        Ok(w.finish())
    }

    /// Parses the file's bytes (Java Properties, as written).
    ///
    /// Fails with the key that is missing or malformed (quoted short).
    pub fn parse(bytes: &[u8]) -> Result<Written, String> {
        let props = crate::config::zoocfg::parse(bytes).map_err(|m| m.to_string())?;
        let num = |k: &str| -> Result<u64, String> {
            props
                .get(k)
                .ok_or_else(|| format!("no '{k}'"))?
                .parse()
                .map_err(|_| format!("'{k}' is not a number"))
        };
        let pid = u32::try_from(num("pid")?).map_err(|_| "'pid' is not a pid".to_string())?;
        let member = match props.get("membership").map(String::as_str) {
            Some("static") => None,
            Some("dynamic") => Some(Local::from_map(&props)?),
            _ => return Err("no 'membership' (static or dynamic)".to_string()),
        };
        Ok(Written {
            pid,
            started: num("started")?,
            member,
        })
    }
}

fn refused(key: &str, r: &crate::config::properties::Refused) -> anyhow::Error {
    diagnose(
        Code::Config,
        format!("{} entry {} {r}", FILE, shown(key)),
        "it would change what `zkpod join` and `zkpod leave` read",
        "report this as a bug in zkpod: the start checks every value it records",
    )
}

fn entry(w: &mut Writer, key: &str, value: &str) -> anyhow::Result<()> {
    w.entry(key, value).map_err(|r| refused(key, &r))?;
    Ok(())
}

/// The client endpoint `membership.properties` in `conf_dir` records, as
/// zoo.cfg's two client keys (the probes' fallback when ZooKeeper erased
/// them from zoo.cfg): `None` when there is no such file or it records no
/// dynamic member. Read bounded, as zoo.cfg is (a FIFO or a huge file is
/// an error, never a hang).
pub fn client_endpoint(conf_dir: &Path) -> crate::probe::endpoint::Read {
    let path = conf_dir.join(FILE);
    let bytes = match file::read_capped(&path, caps::RECORD) {
        Err(FileError::Missing) => return None,
        Err(e) => return Some((path, Err(e))),
        Ok(b) => b,
    };
    let l = Written::parse(&bytes).ok()?.member?;
    let mut w = Writer::new();
    w.entry("clientPort", &l.client_port.to_string()).ok()?;
    w.entry("clientPortAddress", &l.client_host).ok()?;
    Some((path, Ok(w.finish().into_bytes())))
}

/// The start time (field 22, clock ticks since boot) in `/proc/<pid>/stat`
/// text: after the command name in parentheses, which may itself hold
/// spaces and parentheses.
pub fn start_time(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    // rest: " S ppid pgrp ..." — field 3 is the first after ')'.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// This server, as the start left it (dynamic membership).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Local {
    /// This server's line as it should be committed (participant).
    pub server: Server,
    /// The zoo.cfg ZooKeeper runs with (on the data volume).
    pub zoo_cfg: PathBuf,
    /// Where this server takes client connections, from inside the pod.
    pub client_host: String,
    pub client_port: u16,
    /// `--superuser-password-file`, when given.
    pub password_file: Option<PathBuf>,
    /// The StatefulSet (`zk`) and this pod's ordinal.
    pub stateful_set: String,
    pub ordinal: u32,
    /// `--id-offset`: server id = ordinal + offset.
    pub id_offset: u32,
}

impl Local {
    /// This server's entries, through the Properties encoder.
    fn write(&self, w: &mut Writer) -> anyhow::Result<()> {
        entry(w, "server", &self.server.line())?;
        entry(w, "zooCfg", &self.zoo_cfg.display().to_string())?;
        entry(w, "clientHost", &self.client_host)?;
        entry(w, "clientPort", &self.client_port.to_string())?;
        if let Some(p) = &self.password_file {
            entry(w, "superuserPasswordFile", &p.display().to_string())?;
        }
        entry(w, "statefulSet", &self.stateful_set)?;
        entry(w, "ordinal", &self.ordinal.to_string())?;
        entry(w, "idOffset", &self.id_offset.to_string())
    }

    /// Reads this server's entries.
    ///
    /// Fails with the key that is missing or malformed.
    fn from_map(props: &BTreeMap<String, String>) -> Result<Local, String> {
        let get = |k: &str| {
            props
                .get(k)
                .map(String::as_str)
                .ok_or_else(|| format!("no '{k}'"))
        };
        let num = |k: &str| -> Result<u32, String> {
            get(k)?
                .parse()
                .map_err(|_| format!("'{k}' is not a number"))
        };
        let line = get("server")?;
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| "'server' is not a server.N=... line".to_string())?;
        let id = key
            .strip_prefix("server.")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| "'server' is not a server.N=... line".to_string())?;
        Ok(Local {
            server: parse_server(id, value).map_err(|e| format!("'server': {e}"))?,
            zoo_cfg: PathBuf::from(get("zooCfg")?),
            client_host: get("clientHost")?.to_string(),
            client_port: get("clientPort")?
                .parse()
                .map_err(|_| "'clientPort' is not a port".to_string())?,
            password_file: props.get("superuserPasswordFile").map(PathBuf::from),
            stateful_set: get("statefulSet")?.to_string(),
            ordinal: num("ordinal")?,
            id_offset: num("idOffset")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let l = Local {
            server: parse_server(
                3,
                "zk-2.zk-hs.default.svc.cluster.local:2888:3888:participant;2181",
            )
            .unwrap(),
            zoo_cfg: "/var/lib/zookeeper/data/zoo.cfg".into(),
            client_host: "127.0.0.1".into(),
            client_port: 2181,
            password_file: Some("/etc/zkpod/auth/password".into()),
            stateful_set: "zk".into(),
            ordinal: 2,
            id_offset: 1,
        };
        let e = Written::parse(b"pid=1\nstarted=2\nmembership=dynamic\nserver=server.3=h:1:2\n")
            .unwrap_err();
        assert_eq!(e, "no 'zooCfg'");
        let w = Written {
            pid: 1,
            started: 12345,
            member: Some(l),
        };
        assert_eq!(
            Written::parse(w.render().unwrap().as_bytes()),
            Ok(w.clone())
        );
        let s = Written {
            pid: 7,
            started: 9,
            member: None,
        };
        assert_eq!(Written::parse(s.render().unwrap().as_bytes()), Ok(s));
    }

    #[test]
    fn a_value_cannot_add_an_entry() {
        let mut l = Written {
            pid: 1,
            started: 2,
            member: None,
        };
        l.member = Some(Local {
            server: parse_server(1, "h:1:2").unwrap(),
            zoo_cfg: "/v/zoo.cfg\\nsuperuserPasswordFile=/etc/shadow".into(),
            client_host: "127.0.0.1".into(),
            client_port: 2181,
            password_file: None,
            stateful_set: "zk".into(),
            ordinal: 0,
            id_offset: 1,
        });
        // A backslash and "n" (not a line break) stay in the value.
        let back = Written::parse(l.render().unwrap().as_bytes()).unwrap();
        assert_eq!(back, l);
        l.member.as_mut().unwrap().zoo_cfg = "/v/zoo.cfg\nsuperuserPasswordFile=/etc/shadow".into();
        let e = l.render().unwrap_err();
        assert!(
            format!("{e:#}").contains("control character U+000A"),
            "{e:#}"
        );
    }

    #[test]
    fn probes_read_the_client_endpoint_bounded() {
        let d = tempfile::tempdir().unwrap();
        assert!(client_endpoint(d.path()).is_none());
        let fifo = d.path().join(FILE);
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        let (p, r) = client_endpoint(d.path()).unwrap();
        assert_eq!(p, fifo);
        assert!(r.unwrap_err().to_string().contains("FIFO"));
    }

    #[test]
    fn start_time_from_proc_stat() {
        let stat = "1234 (zk pod (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345678 100";
        assert_eq!(start_time(stat), Some(987654));
        assert_eq!(start_time("garbage"), None);
    }
}
