//! The data volume's guard: myid against the server id, before anything is
//! written.
//!
//! Re-creating a StatefulSet on old PersistentVolumeClaims, or attaching the
//! wrong volume, gives the ensemble duplicate or unknown ids (seed 000:
//! myids 1 1 2 5 5 after a reinstall). zkpod refuses to start when the volume
//! says it belongs to another server, or holds data without saying whose it
//! is, and never overwrites or deletes anything unless told with
//! `--accept-new-id`.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::sys::fs::FileSpec;
use crate::sys::report::{diagnose, Code};

/// What the myid file on the volume says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Myid {
    Absent,
    Id(u32),
    /// Present but not a server id; holds the (escaped, truncated) content.
    Invalid(String),
}

/// What is on the volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub myid: Myid,
    /// The myid file's bytes as read (empty when absent): the backup of a
    /// replaced myid is written from these, without reading the file again.
    pub myid_bytes: Vec<u8>,
    /// ZooKeeper data found (snapshots, transaction logs, epoch files); the
    /// first few paths, for the message.
    pub data: Vec<PathBuf>,
}

/// Parses myid content: a decimal id, surrounding whitespace allowed.
pub fn parse_myid(content: &str) -> Myid {
    match content.trim().parse::<u32>() {
        Ok(id) if id > 0 => Myid::Id(id),
        _ => {
            let shown: String = content.trim().escape_debug().take(40).collect();
            Myid::Invalid(shown)
        }
    }
}

/// Whether a file in `version-2` is ZooKeeper data (snapshot, transaction
/// log, epoch file).
pub fn is_zk_data(name: &str) -> bool {
    name.starts_with("snapshot.")
        || name.starts_with("log.")
        || name == "acceptedEpoch"
        || name == "currentEpoch"
}

/// What to do with myid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// myid already says this server's id.
    Keep,
    /// Write myid (there was none).
    Write,
    /// Replace a myid that says something else (only with --accept-new-id);
    /// the old file is kept as a backup.
    Replace {
        /// What the old myid said, for the log.
        old: String,
        /// The old file's bytes, for its backup.
        bytes: Vec<u8>,
    },
}

/// Decides what to do with the volume, for server `want` on pod `hostname`.
///
/// Fails (exit code 5) when the volume belongs to another server, holds an
/// unreadable id, or holds data without a myid, unless `accept_new_id`.
pub fn decide(
    vol: &Volume,
    want: u32,
    accept_new_id: bool,
    data_dir: &Path,
    hostname: &str,
) -> Result<Action> {
    let myid_path = data_dir.join("myid");
    let accept = "--accept-new-id (ZOO_ACCEPT_NEW_ID=true)";
    match &vol.myid {
        Myid::Id(id) if *id == want => Ok(Action::Keep),
        Myid::Id(id) if accept_new_id => Ok(Action::Replace {
            old: id.to_string(),
            bytes: vol.myid_bytes.clone(),
        }),
        Myid::Id(id) => Err(diagnose(
            Code::DataGuard,
            format!(
                "{} says this volume belongs to server {id}, but this pod ({hostname}) is server {want}",
                myid_path.display()
            ),
            format!("starting would run the data of server {id} under id {want}, so the ensemble would see a duplicate or unknown server id and could lose or diverge data; nothing was changed"),
            format!("attach server {id}'s own volume to this pod (a reinstall on old volumes must keep each PersistentVolumeClaim with its pod), or, if this volume really should become server {want}'s, restart once with {accept}"),
        )),
        Myid::Invalid(raw) if accept_new_id => Ok(Action::Replace {
            old: raw.clone(),
            bytes: vol.myid_bytes.clone(),
        }),
        Myid::Invalid(raw) => Err(diagnose(
            Code::DataGuard,
            format!("{} holds \"{raw}\", which is not a server id", myid_path.display()),
            "zkpod cannot tell which server this volume belongs to; nothing was changed",
            format!("inspect the volume; if it really is server {want}'s, restart once with {accept} (the old myid is kept as a backup)"),
        )),
        Myid::Absent if vol.data.is_empty() || accept_new_id => Ok(Action::Write),
        Myid::Absent => Err(diagnose(
            Code::DataGuard,
            format!(
                "{} holds ZooKeeper data ({}) but no myid",
                data_dir.display(),
                vol.data.iter().take(2).map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            ),
            format!("zkpod cannot tell whose data it is, and giving it id {want} could mix two servers' histories; nothing was changed"),
            format!("if this volume is server {want}'s, restart once with {accept}; otherwise attach the right volume"),
        )),
    }
}

/// The files that carry out `action` for server `want`: myid, and for a
/// replacement first a backup `myid.bak-<unix seconds>` of the old file, to
/// be written together with the conf files (one durable batch).
pub fn files(action: &Action, data_dir: &Path, want: u32, now_secs: u64) -> Vec<FileSpec> {
    let myid = (
        data_dir.join("myid"),
        format!("{want}\n").into_bytes(),
        0o644,
    );
    match action {
        Action::Keep => Vec::new(),
        Action::Write => vec![myid],
        Action::Replace { bytes, .. } => vec![
            (
                data_dir.join(format!("myid.bak-{now_secs}")),
                bytes.clone(),
                0o644,
            ),
            myid,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vol(myid: Myid, data: &[&str]) -> Volume {
        let myid_bytes = match &myid {
            Myid::Absent => Vec::new(),
            Myid::Id(id) => format!("{id}\n").into_bytes(),
            Myid::Invalid(raw) => raw.clone().into_bytes(),
        };
        Volume {
            myid,
            myid_bytes,
            data: data.iter().map(PathBuf::from).collect(),
        }
    }

    const D: &str = "/var/lib/zookeeper/data";

    #[test]
    fn myid_parsing() {
        assert_eq!(parse_myid("3\n"), Myid::Id(3));
        assert_eq!(parse_myid(" 12 "), Myid::Id(12));
        assert_eq!(parse_myid("0"), Myid::Invalid("0".into()));
        assert_eq!(parse_myid("1\n1\n"), Myid::Invalid("1\\n1".into()));
        assert_eq!(parse_myid(""), Myid::Invalid("".into()));
    }

    #[test]
    fn fresh_volume_gets_myid() {
        assert_eq!(
            decide(&vol(Myid::Absent, &[]), 1, false, Path::new(D), "zk-0").unwrap(),
            Action::Write
        );
    }

    #[test]
    fn matching_volume_is_kept() {
        let v = vol(Myid::Id(2), &["/d/version-2/log.100000001"]);
        assert_eq!(
            decide(&v, 2, false, Path::new(D), "zk-1").unwrap(),
            Action::Keep
        );
    }

    #[test]
    fn regression_seed_000_duplicate_id_refused() {
        let v = vol(Myid::Id(2), &["/d/version-2/snapshot.0"]);
        let e = decide(&v, 1, false, Path::new(D), "zk-0").unwrap_err();
        assert_eq!(crate::sys::report::code_of(&e, Code::Io), Code::DataGuard);
        let m = e.to_string();
        assert!(m.contains("/var/lib/zookeeper/data/myid says this volume belongs to server 2, but this pod (zk-0) is server 1"), "{m}");
        assert!(m.contains("--accept-new-id"), "{m}");
        assert!(!m.contains('\n'));
        assert_eq!(
            decide(&v, 1, true, Path::new(D), "zk-0").unwrap(),
            Action::Replace {
                old: "2".into(),
                bytes: b"2\n".to_vec()
            }
        );
    }

    #[test]
    fn data_without_myid_refused() {
        let v = vol(
            Myid::Absent,
            &["/var/lib/zookeeper/data/version-2/snapshot.0"],
        );
        let m = decide(&v, 3, false, Path::new(D), "zk-2")
            .unwrap_err()
            .to_string();
        assert!(
            m.contains(
                "holds ZooKeeper data (/var/lib/zookeeper/data/version-2/snapshot.0) but no myid"
            ),
            "{m}"
        );
        assert_eq!(
            decide(&v, 3, true, Path::new(D), "zk-2").unwrap(),
            Action::Write
        );
    }

    #[test]
    fn garbage_myid_refused() {
        let m = decide(
            &vol(Myid::Invalid("abc".into()), &[]),
            1,
            false,
            Path::new(D),
            "zk-0",
        )
        .unwrap_err()
        .to_string();
        assert!(m.contains("holds \"abc\", which is not a server id"), "{m}");
    }

    #[test]
    fn replacing_writes_a_backup_first() {
        let data = Path::new(D);
        let v = vol(Myid::Id(2), &[]);
        let action = decide(&v, 1, true, data, "zk-0").unwrap();
        assert_eq!(
            files(&action, data, 1, 1700000000),
            vec![
                (data.join("myid.bak-1700000000"), b"2\n".to_vec(), 0o644),
                (data.join("myid"), b"1\n".to_vec(), 0o644),
            ]
        );
        assert_eq!(
            files(&Action::Write, data, 1, 0),
            vec![(data.join("myid"), b"1\n".to_vec(), 0o644)]
        );
        assert!(files(&Action::Keep, data, 1, 0).is_empty());
    }
}
