//! `membership.properties` in the conf dir: what `zkpod start` decided
//! about this server that `zkpod join` and `zkpod leave` act on. Those run
//! as the pod's postStart and preStop hooks, with the container's
//! environment but not its arguments, so the start writes it down for them.
//! It names the process that wrote it (pid and start time): the conf dir
//! outlives a container restart, and the postStart hook runs while the
//! start may still be deciding, so a hook waits for the file of the
//! process that is running now. Pure rendering and parsing.

use std::path::PathBuf;

use crate::config::dynamic::{parse_server, Server};

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
    pub fn render(&self) -> String {
        let mut out = format!(
            "# Written by zkpod start: what `zkpod join` and `zkpod leave` act on.\npid={}\nstarted={}\n",
            self.pid, self.started
        );
        match &self.member {
            None => out.push_str("membership=static\n"),
            Some(l) => {
                out.push_str("membership=dynamic\n");
                out.push_str(&l.render());
            }
        }
        out
    }

    /// Parses the file's text.
    ///
    /// Fails with the key that is missing or malformed.
    pub fn parse(text: &str) -> Result<Written, String> {
        let props = crate::config::zoocfg::parse(text);
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
            Some("dynamic") => Some(Local::parse(text)?),
            _ => return Err("no 'membership' (static or dynamic)".to_string()),
        };
        Ok(Written {
            pid,
            started: num("started")?,
            member,
        })
    }
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
    /// The file's text (Java properties; the values are zkpod's own,
    /// checked when the start decided them: no line breaks).
    pub fn render(&self) -> String {
        let mut out =
            String::from("# Written by zkpod start: what `zkpod join` and `zkpod leave` act on.\n");
        let mut kv = |k: &str, v: &str| {
            out.push_str(k);
            out.push('=');
            out.push_str(v);
            out.push('\n');
        };
        kv("server", &self.server.line());
        kv("zooCfg", &self.zoo_cfg.display().to_string());
        kv("clientHost", &self.client_host);
        kv("clientPort", &self.client_port.to_string());
        if let Some(p) = &self.password_file {
            kv("superuserPasswordFile", &p.display().to_string());
        }
        kv("statefulSet", &self.stateful_set);
        kv("ordinal", &self.ordinal.to_string());
        kv("idOffset", &self.id_offset.to_string());
        out
    }

    /// Parses the file's text.
    ///
    /// Fails with the key that is missing or malformed.
    pub fn parse(text: &str) -> Result<Local, String> {
        let props = crate::config::zoocfg::parse(text);
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
        assert_eq!(Local::parse(&l.render()), Ok(l.clone()));
        let e = Local::parse("server=server.3=h:1:2\n").unwrap_err();
        assert_eq!(e, "no 'zooCfg'");
        let w = Written {
            pid: 1,
            started: 12345,
            member: Some(l),
        };
        assert_eq!(Written::parse(&w.render()), Ok(w.clone()));
        let s = Written {
            pid: 7,
            started: 9,
            member: None,
        };
        assert_eq!(Written::parse(&s.render()), Ok(s));
    }

    #[test]
    fn start_time_from_proc_stat() {
        let stat = "1234 (zk pod (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345678 100";
        assert_eq!(start_time(stat), Some(987654));
        assert_eq!(start_time("garbage"), None);
    }
}
