//! Who ZooKeeper runs as: `--user` resolved against /etc/passwd, the
//! capabilities root needs to chown and drop to it, and that user's entry
//! (its home). Pure functions of the file texts.

use anyhow::Result;

use crate::config::flags;
use crate::sys::privs::Ids;
use crate::sys::report::{self, diagnose, Code};

/// `--user`: UID[:GID] or NAME[:GROUP-ID].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSpec {
    Id { uid: u32, gid: Option<u32> },
    Name { name: String, gid: Option<u32> },
}

/// Parses `--user`.
///
/// Fails (exit code 4) on an empty user or a non-numeric group.
pub fn parse_user(spec: &str) -> Result<UserSpec> {
    let bad = |why: &str| {
        diagnose(
            Code::Config,
            format!("{} {} {why}", flags::origin("--user"), report::shown(spec)),
            "zkpod cannot tell which user to run ZooKeeper as",
            "pass UID[:GID] (e.g. 1000:1000, or 1000770000:0 for OpenShift-style group 0) or a user name",
        )
    };
    let (user, group) = match spec.trim().split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec.trim(), None),
    };
    let gid = match group {
        None => None,
        Some(g) => Some(
            g.parse::<u32>()
                .map_err(|_| bad("has a group that is not a number"))?,
        ),
    };
    if user.is_empty() {
        return Err(bad("names no user"));
    }
    Ok(match user.parse::<u32>() {
        Ok(uid) => UserSpec::Id { uid, gid },
        Err(_) => UserSpec::Name {
            name: user.to_string(),
            gid,
        },
    })
}

/// One /etc/passwd entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

/// Finds the /etc/passwd entry for a user name or uid in passwd-file text.
///
/// zkpod reads the file itself instead of calling getpwnam: in a static
/// glibc binary a miss in `files` makes glibc dlopen the next NSS module
/// (`systemd` on Debian), which crashes the process.
pub fn passwd_lookup(text: &str, name: Option<&str>, uid: Option<u32>) -> Option<PasswdEntry> {
    text.lines().find_map(|line| {
        if line.starts_with('#') {
            return None;
        }
        // name:password:uid:gid:gecos:home:shell; a line with fewer fields,
        // or a uid or gid that is not a number, is not an entry. Nothing is
        // allocated until the entry is found (start looks up a few uids).
        let mut f = line.split(':');
        let (entry_name, _, entry_uid, entry_gid, _, home, _) = (
            f.next()?,
            f.next()?,
            f.next()?,
            f.next()?,
            f.next()?,
            f.next()?,
            f.next()?,
        );
        let (entry_uid, entry_gid): (u32, u32) = (entry_uid.parse().ok()?, entry_gid.parse().ok()?);
        let hit = name.is_some_and(|n| n == entry_name) || uid.is_some_and(|u| u == entry_uid);
        hit.then(|| PasswdEntry {
            name: entry_name.to_string(),
            uid: entry_uid,
            gid: entry_gid,
            home: home.to_string(),
        })
    })
}

/// Resolves `--user` to ids against passwd-file text; a bare UID without a
/// group takes its passwd group, else GID = UID.
///
/// Fails (exit code 4) when a user name has no passwd entry.
pub fn resolve_user(spec: &UserSpec, passwd: &str) -> Result<Ids> {
    match spec {
        UserSpec::Id { uid, gid } => {
            let pw_gid = passwd_lookup(passwd, None, Some(*uid)).map(|e| e.gid);
            Ok(Ids {
                uid: *uid,
                gid: gid.or(pw_gid).unwrap_or(*uid),
            })
        }
        UserSpec::Name { name, gid } => match passwd_lookup(passwd, Some(name), None) {
            Some(e) => Ok(Ids {
                uid: e.uid,
                gid: gid.unwrap_or(e.gid),
            }),
            None => Err(diagnose(
                Code::Config,
                format!("--user {} has no entry in /etc/passwd", report::clean(name)),
                "zkpod cannot find its uid",
                "pass a numeric --user UID:GID (no passwd entry needed), e.g. --user 1000:1000",
            )),
        },
    }
}

/// The effective capability set from `/proc/self/status` text (`CapEff:`).
pub fn parse_cap_eff(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

const CAP_CHOWN: u32 = 0;
const CAP_SETGID: u32 = 6;
const CAP_SETUID: u32 = 7;

/// The capabilities root lacks for what start must do: chown the data dirs
/// (`need_chown`) and drop to the ZooKeeper user (`need_drop`). Containers
/// often drop them (`--cap-drop=ALL`), and finding out only after the files
/// are written would leave a half-prepared volume.
pub fn missing_caps(cap_eff: u64, need_chown: bool, need_drop: bool) -> Vec<&'static str> {
    let has = |bit: u32| cap_eff & (1u64 << bit) != 0;
    let mut missing = Vec::new();
    if need_chown && !has(CAP_CHOWN) {
        missing.push("CAP_CHOWN");
    }
    if need_drop && !has(CAP_SETGID) {
        missing.push("CAP_SETGID");
    }
    if need_drop && !has(CAP_SETUID) {
        missing.push("CAP_SETUID");
    }
    missing
}

/// Fails (exit code 6) when root lacks a capability start needs, before
/// anything is written.
pub fn check_caps(missing: &[&str], ids: Ids) -> Result<()> {
    if missing.is_empty() {
        return Ok(());
    }
    Err(diagnose(
        Code::Permission,
        format!("running as root without {} (the container drops them)", missing.join(", ")),
        format!("zkpod could not chown the data dirs to {}:{} and drop root; nothing was changed", ids.uid, ids.gid),
        format!("run the container as the ZooKeeper user (securityContext.runAsUser: {} with fsGroup), so zkpod needs no root steps, or add {} to the container's capabilities", ids.uid, missing.join(", ")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZK: Ids = Ids {
        uid: 1000,
        gid: 1000,
    };

    #[test]
    fn user_specs() {
        assert_eq!(
            parse_user("1000").unwrap(),
            UserSpec::Id {
                uid: 1000,
                gid: None
            }
        );
        assert_eq!(
            parse_user("1000770000:0").unwrap(),
            UserSpec::Id {
                uid: 1000770000,
                gid: Some(0)
            }
        );
        assert_eq!(
            parse_user("zookeeper").unwrap(),
            UserSpec::Name {
                name: "zookeeper".into(),
                gid: None
            }
        );
        assert!(parse_user(":5")
            .unwrap_err()
            .to_string()
            .contains("names no user"));
        let e = parse_user("1000:staff").unwrap_err().to_string();
        assert!(
            e.contains("--user (ZOO_USER) '1000:staff' has a group that is not a number"),
            "{e}"
        );
        let pw =
            "root:x:0:0:root:/root:/bin/bash\nzookeeper:x:107:112::/var/lib/zookeeper:/bin/false\n";
        assert_eq!(
            resolve_user(&UserSpec::Id { uid: 7, gid: None }, pw).unwrap(),
            Ids { uid: 7, gid: 7 }
        );
        assert_eq!(
            resolve_user(
                &UserSpec::Id {
                    uid: 107,
                    gid: None
                },
                pw
            )
            .unwrap(),
            Ids { uid: 107, gid: 112 }
        );
        let name = UserSpec::Name {
            name: "zookeeper".into(),
            gid: Some(0),
        };
        assert_eq!(resolve_user(&name, pw).unwrap(), Ids { uid: 107, gid: 0 });
        let e = resolve_user(
            &UserSpec::Name {
                name: "no-such-user-zkpod".into(),
                gid: None,
            },
            pw,
        )
        .unwrap_err();
        assert!(e.to_string().contains("has no entry in /etc/passwd"));
        assert_eq!(
            passwd_lookup(pw, None, Some(107)).unwrap().home,
            "/var/lib/zookeeper"
        );
    }

    #[test]
    fn regression_fuzz_passwd_refusals_stay_on_one_line() {
        let e = parse_user("\n").unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn capabilities() {
        let status = "Name:\tzkpod\nCapInh:\t0000000000000000\nCapEff:\t00000000a80425fb\n";
        let full = parse_cap_eff(status).unwrap();
        assert_eq!(full, 0xa80425fb);
        assert!(missing_caps(full, true, true).is_empty());
        assert_eq!(
            missing_caps(0, true, true),
            ["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"]
        );
        assert_eq!(missing_caps(0, false, true), ["CAP_SETGID", "CAP_SETUID"]);
        assert!(missing_caps(0, false, false).is_empty());
        let e = check_caps(&["CAP_SETUID"], ZK).unwrap_err();
        assert_eq!(crate::sys::report::code_of(&e, Code::Io), Code::Permission);
        assert!(
            e.to_string().contains("running as root without CAP_SETUID"),
            "{e}"
        );
        assert!(e.to_string().contains("nothing was changed"), "{e}");
    }
}
