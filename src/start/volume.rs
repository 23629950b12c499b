//! The data volume's guard: myid against the server id, before anything is
//! written; and what on a volume is ZooKeeper's own.
//!
//! Re-creating a StatefulSet on old PersistentVolumeClaims, or attaching the
//! wrong volume, gives the ensemble duplicate or unknown ids (seed 000:
//! myids 1 1 2 5 5 after a reinstall). zkpod refuses to start when the volume
//! says it belongs to another server, or holds data without saying whose it
//! is, and never overwrites or deletes anything unless told with
//! `--accept-new-id`; even then the old myid is set aside, not lost.
//!
//! myid is read as ZooKeeper reads it, but stricter: ZooKeeper takes the
//! first line and `Long.parseLong`s it, so `' 2 '` crash-loops the server
//! ("serverid  2  is not a number"). zkpod accepts only the digits of an id
//! and one line end, and refuses the rest with a short printable prefix of
//! the file, never more (a myid symlinked to a secret must not leak it).

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::sys::fs::FileSpec;
use crate::sys::report::{self, diagnose, Code};

/// What the myid file on the volume says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Myid {
    Absent,
    Id(u32),
    /// A regular file, but not a server id: a short printable prefix of it
    /// (already quoted) and why.
    Invalid {
        shown: String,
        why: String,
    },
    /// Not a file zkpod reads: what it is ("is a directory, not a regular
    /// file", "is a symlink to ..., outside the data dir").
    Unreadable(String),
}

/// What is on the volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub myid: Myid,
    /// The first ZooKeeper data file found (snapshot, transaction log, epoch
    /// file): one match decides, whatever the volume holds.
    pub data: Option<PathBuf>,
}

/// How many bytes of an invalid myid a message shows.
const MYID_SHOWN: usize = 16;

/// Parses myid's bytes: the decimal digits of an id from 1 to 4294967295,
/// and at most one line end after them.
pub fn parse_myid(bytes: &[u8]) -> Myid {
    let body = bytes
        .strip_suffix(b"\r\n")
        .or_else(|| bytes.strip_suffix(b"\n"))
        .unwrap_or(bytes);
    let invalid = |why: &str| Myid::Invalid {
        shown: report::shown_bytes(&body[..body.len().min(MYID_SHOWN)]),
        why: why.to_string(),
    };
    if body.is_empty() {
        return invalid("it is empty");
    }
    if body.iter().all(u8::is_ascii_digit) {
        return match std::str::from_utf8(body)
            .ok()
            .and_then(|t| t.parse::<u32>().ok())
        {
            Some(0) => invalid("ids start at 1"),
            Some(id) => Myid::Id(id),
            None => invalid("it is larger than 4294967295"),
        };
    }
    if body.contains(&b'\n') {
        return invalid("it holds more than one line");
    }
    let trimmed = body.trim_ascii();
    if !trimmed.is_empty() && trimmed.len() < body.len() && trimmed.iter().all(u8::is_ascii_digit) {
        return invalid("white space around the id, which ZooKeeper cannot read");
    }
    invalid("it is not a number")
}

/// Whether a file in `version-2` is ZooKeeper data (snapshot, transaction
/// log, epoch file).
pub fn is_zk_data(name: &str) -> bool {
    name.starts_with("snapshot.")
        || name.starts_with("log.")
        || name == "acceptedEpoch"
        || name == "currentEpoch"
}

/// Whether a file named `name` in a data or log dir (or its `version-2`) is
/// one that ZooKeeper or zkpod writes there: its data and epoch files and
/// their temporaries, myid and the copies zkpod keeps of it, zkpod's lock
/// and temp files, zoo.cfg and its dynamic files, what zkpod set aside.
pub fn is_own_file(name: &str) -> bool {
    is_zk_data(name)
        || matches!(
            name,
            "myid"
                | "updatingEpoch"
                | "acceptedEpoch.tmp"
                | "currentEpoch.tmp"
                | crate::sys::fs::LOCK_FILE
        )
        || name.starts_with("myid.bak-")
        || name.starts_with("zoo.cfg")
        || name.contains(".aside-")
        || (name.starts_with('.') && name.contains(".zkpod-") && name.ends_with(".tmp"))
}

/// Whether a directory named `name` in a data or log dir is ZooKeeper's:
/// `version-2` (and what zkpod set aside of it) or a fresh filesystem's
/// `lost+found`.
pub fn is_own_dir(name: &str) -> bool {
    name == "version-2" || name == "lost+found" || name.starts_with("version-2.aside-")
}

/// What to do with myid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// myid already says this server's id.
    Keep,
    /// Write myid (there was none).
    Write,
    /// Replace whatever is at myid (only with --accept-new-id); the old one
    /// is set aside under a unique name first, never deleted.
    Replace {
        /// What the old myid said, for the log.
        old: String,
    },
}

/// Decides what to do with the volume, for server `want` on pod `hostname`.
///
/// Fails (exit code 5) when the volume belongs to another server, holds an
/// unreadable or invalid id, or holds data without a myid, unless
/// `accept_new_id`.
pub fn decide(
    vol: &Volume,
    want: u32,
    accept_new_id: bool,
    data_dir: &Path,
    hostname: &str,
) -> Result<Action> {
    let myid_path = report::path(&data_dir.join("myid"));
    let accept = "--accept-new-id (ZOO_ACCEPT_NEW_ID=true)";
    let host = report::clean(hostname);
    match &vol.myid {
        Myid::Id(id) if *id == want => Ok(Action::Keep),
        Myid::Id(id) if accept_new_id => Ok(Action::Replace {
            old: format!("myid {id}"),
        }),
        Myid::Id(id) => Err(diagnose(
            Code::DataGuard,
            format!(
                "{myid_path} says this volume belongs to server {id}, but this pod ({host}) is server {want}"
            ),
            format!("starting would run the data of server {id} under id {want}, so the ensemble would see a duplicate or unknown server id and could lose or diverge data; nothing was changed"),
            format!("attach server {id}'s own volume to this pod (a reinstall on old volumes must keep each PersistentVolumeClaim with its pod), or, if this volume really should become server {want}'s, restart once with {accept}"),
        )),
        Myid::Invalid { shown, why } if accept_new_id => Ok(Action::Replace {
            old: format!("myid {shown} ({why})"),
        }),
        Myid::Invalid { shown, why } => Err(diagnose(
            Code::DataGuard,
            format!("{myid_path} holds {shown}, which is not a server id ({why})"),
            "zkpod cannot tell which server this volume belongs to, and ZooKeeper would not start with it; nothing was changed",
            format!("inspect the volume; if it really is server {want}'s, restart once with {accept} (the old myid is kept as myid.bak-<time>)"),
        )),
        Myid::Unreadable(what) if accept_new_id => Ok(Action::Replace {
            old: format!("the myid that {what},"),
        }),
        Myid::Unreadable(what) => Err(diagnose(
            Code::DataGuard,
            format!("{myid_path} {what}"),
            "zkpod cannot tell which server this volume belongs to and does not read it; nothing was changed",
            format!("look at it (ls -l {myid_path}); if this volume is server {want}'s, restart once with {accept}: zkpod then sets it aside as myid.bak-<time> and writes a new myid"),
        )),
        Myid::Absent => match &vol.data {
            Some(found) if !accept_new_id => Err(diagnose(
                Code::DataGuard,
                format!(
                    "{} holds ZooKeeper data ({}) but no myid",
                    report::path(data_dir),
                    report::path(found)
                ),
                format!("zkpod cannot tell whose data it is, and giving it id {want} could mix two servers' histories; nothing was changed"),
                format!("if this volume is server {want}'s, restart once with {accept}; otherwise attach the right volume"),
            )),
            _ => Ok(Action::Write),
        },
    }
}

/// The myid file that carries out `action` for server `want` (the old one
/// of a replacement is set aside by `apply`, which names it at that moment);
/// none when myid is kept.
pub fn myid_file(action: &Action, data_dir: &Path, want: u32) -> Option<FileSpec> {
    match action {
        Action::Keep => None,
        Action::Write | Action::Replace { .. } => Some((
            data_dir.join("myid"),
            format!("{want}\n").into_bytes(),
            0o644,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vol(myid: Myid, data: Option<&str>) -> Volume {
        Volume {
            myid,
            data: data.map(PathBuf::from),
        }
    }

    const D: &str = "/var/lib/zookeeper/data";

    fn invalid(shown: &str, why: &str) -> Myid {
        Myid::Invalid {
            shown: shown.into(),
            why: why.into(),
        }
    }

    #[test]
    fn myid_parsing_is_strict() {
        assert_eq!(parse_myid(b"3\n"), Myid::Id(3));
        assert_eq!(parse_myid(b"3"), Myid::Id(3));
        assert_eq!(parse_myid(b"12\r\n"), Myid::Id(12));
        assert_eq!(parse_myid(b"4294967295\n"), Myid::Id(u32::MAX));
        assert_eq!(
            parse_myid(b" 2 "),
            invalid(
                "' 2 '",
                "white space around the id, which ZooKeeper cannot read"
            )
        );
        assert_eq!(parse_myid(b"0"), invalid("'0'", "ids start at 1"));
        assert_eq!(
            parse_myid(b"1\n1\n"),
            invalid("'1\\n1'", "it holds more than one line")
        );
        assert_eq!(parse_myid(b""), invalid("''", "it is empty"));
        assert_eq!(
            parse_myid(b"4294967296"),
            invalid("'4294967296'", "it is larger than 4294967295")
        );
        assert_eq!(parse_myid(b"two\n"), invalid("'two'", "it is not a number"));
        // Only a short printable prefix is ever shown.
        let secret = b"root:$6$saltsalt$verysecrethashvalue:19000:0:99999:7:::\n";
        match parse_myid(secret) {
            Myid::Invalid { shown, .. } => assert_eq!(shown, "'root:$6$saltsalt'"),
            other => panic!("{other:?}"),
        }
        match parse_myid(b"\x1b[2J\xff\xfe") {
            Myid::Invalid { shown, .. } => assert_eq!(shown, "'\\u{1b}[2J\\xff\\xfe'"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn own_files() {
        for own in [
            "myid",
            "myid.bak-20261128T030502.123456789Z",
            ".zkpod.lock",
            "snapshot.0",
            "log.100000001",
            "currentEpoch.tmp",
            ".myid.zkpod-7.tmp",
            "zoo.cfg.dynamic.100000000",
        ] {
            assert!(is_own_file(own), "{own}");
        }
        for foreign in ["passwd", "secret.key", "README", ".bashrc"] {
            assert!(!is_own_file(foreign), "{foreign}");
        }
        assert!(is_own_dir("version-2") && is_own_dir("lost+found"));
        assert!(!is_own_dir("etc"));
    }

    #[test]
    fn fresh_volume_gets_myid() {
        assert_eq!(
            decide(&vol(Myid::Absent, None), 1, false, Path::new(D), "zk-0").unwrap(),
            Action::Write
        );
    }

    #[test]
    fn matching_volume_is_kept() {
        let v = vol(Myid::Id(2), Some("/d/version-2/log.100000001"));
        assert_eq!(
            decide(&v, 2, false, Path::new(D), "zk-1").unwrap(),
            Action::Keep
        );
    }

    #[test]
    fn regression_seed_000_duplicate_id_refused() {
        let v = vol(Myid::Id(2), Some("/d/version-2/snapshot.0"));
        let e = decide(&v, 1, false, Path::new(D), "zk-0").unwrap_err();
        assert_eq!(crate::sys::report::code_of(&e, Code::Io), Code::DataGuard);
        let m = e.to_string();
        assert!(m.contains("/var/lib/zookeeper/data/myid says this volume belongs to server 2, but this pod (zk-0) is server 1"), "{m}");
        assert!(m.contains("--accept-new-id"), "{m}");
        assert!(!m.contains('\n'));
        assert_eq!(
            decide(&v, 1, true, Path::new(D), "zk-0").unwrap(),
            Action::Replace {
                old: "myid 2".into()
            }
        );
    }

    #[test]
    fn data_without_myid_refused() {
        let v = vol(
            Myid::Absent,
            Some("/var/lib/zookeeper/data/version-2/snapshot.0"),
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
    fn garbage_and_unreadable_myid_refused() {
        let m = decide(
            &vol(invalid("'abc'", "it is not a number"), None),
            1,
            false,
            Path::new(D),
            "zk-0",
        )
        .unwrap_err()
        .to_string();
        assert!(
            m.contains("holds 'abc', which is not a server id (it is not a number)"),
            "{m}"
        );
        let u = Myid::Unreadable("is a directory, not a regular file".into());
        let m = decide(&vol(u.clone(), None), 1, false, Path::new(D), "zk-0")
            .unwrap_err()
            .to_string();
        assert!(
            m.starts_with("/var/lib/zookeeper/data/myid is a directory, not a regular file: "),
            "{m}"
        );
        assert!(m.contains("sets it aside as myid.bak-<time>"), "{m}");
        assert!(matches!(
            decide(&vol(u, None), 1, true, Path::new(D), "zk-0").unwrap(),
            Action::Replace { .. }
        ));
    }

    #[test]
    fn the_myid_file_of_each_action() {
        let data = Path::new(D);
        assert_eq!(
            myid_file(
                &Action::Replace {
                    old: "myid 2".into()
                },
                data,
                1
            ),
            Some((data.join("myid"), b"1\n".to_vec(), 0o644))
        );
        assert_eq!(
            myid_file(&Action::Write, data, 1),
            Some((data.join("myid"), b"1\n".to_vec(), 0o644))
        );
        assert_eq!(myid_file(&Action::Keep, data, 1), None);
    }
}
