//! Ownership and privileges: chown the data dirs where needed, then drop
//! root before exec (setgroups, setgid, setuid, in that order, while zkpod
//! is still single-threaded).
//!
//! The syscalls sit behind the [`Sys`] trait so the plan and the order are
//! unit-tested without root.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::sys::report::{diagnose, Code};

/// A uid/gid pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ids {
    pub uid: u32,
    pub gid: u32,
}

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
            format!("--user '{spec}' {why}"),
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
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 7 || line.starts_with('#') {
            return None;
        }
        let e = PasswdEntry {
            name: f[0].to_string(),
            uid: f[2].parse().ok()?,
            gid: f[3].parse().ok()?,
            home: f[5].to_string(),
        };
        let hit = name.is_some_and(|n| n == e.name) || uid.is_some_and(|u| u == e.uid);
        hit.then_some(e)
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
                format!("--user {name} has no entry in /etc/passwd"),
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

/// The syscalls zkpod needs as root.
pub trait Sys {
    /// Owner (uid, gid) of `path` without following a final symlink.
    fn owner(&self, path: &Path) -> std::io::Result<(u32, u32)>;
    /// Entries of a directory (for the one-time recursive chown).
    fn children(&self, path: &Path) -> std::io::Result<Vec<PathBuf>>;
    fn chown(&mut self, path: &Path, ids: Ids) -> std::io::Result<()>;
    fn setgroups(&mut self, gids: &[u32]) -> std::io::Result<()>;
    fn setgid(&mut self, gid: u32) -> std::io::Result<()>;
    fn setuid(&mut self, uid: u32) -> std::io::Result<()>;
}

/// The real syscalls (through nix).
pub struct RealSys;

impl Sys for RealSys {
    fn owner(&self, path: &Path) -> std::io::Result<(u32, u32)> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::symlink_metadata(path)?;
        Ok((m.uid(), m.gid()))
    }
    fn children(&self, path: &Path) -> std::io::Result<Vec<PathBuf>> {
        if !std::fs::symlink_metadata(path)?.is_dir() {
            return Ok(Vec::new());
        }
        std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.path()))
            .collect()
    }
    fn chown(&mut self, path: &Path, ids: Ids) -> std::io::Result<()> {
        // lchown: never follow a symlink planted on the volume.
        std::os::unix::fs::lchown(path, Some(ids.uid), Some(ids.gid))
    }
    fn setgroups(&mut self, gids: &[u32]) -> std::io::Result<()> {
        let g: Vec<_> = gids
            .iter()
            .map(|g| nix::unistd::Gid::from_raw(*g))
            .collect();
        nix::unistd::setgroups(&g).map_err(std::io::Error::from)
    }
    fn setgid(&mut self, gid: u32) -> std::io::Result<()> {
        nix::unistd::setgid(nix::unistd::Gid::from_raw(gid)).map_err(std::io::Error::from)
    }
    fn setuid(&mut self, uid: u32) -> std::io::Result<()> {
        nix::unistd::setuid(nix::unistd::Uid::from_raw(uid)).map_err(std::io::Error::from)
    }
}

/// Chowns each of `dirs` to `ids` where its owner differs. A dir whose own
/// owner already matches is left alone with everything in it, so this is not
/// a recursive chown on every start; a dir whose owner differs (first start,
/// or a volume written by another uid) is fixed with its contents, once.
/// Returns the paths changed.
///
/// Fails (exit code 6) when a chown is refused.
pub fn chown_where_needed(sys: &mut dyn Sys, dirs: &[PathBuf], ids: Ids) -> Result<Vec<PathBuf>> {
    let mut changed = Vec::new();
    for dir in dirs {
        let owner = sys.owner(dir).map_err(|e| perm_error(dir, ids, e))?;
        if owner == (ids.uid, ids.gid) {
            continue;
        }
        let mut stack = vec![dir.clone()];
        while let Some(p) = stack.pop() {
            let o = sys.owner(&p).map_err(|e| perm_error(&p, ids, e))?;
            if o != (ids.uid, ids.gid) {
                sys.chown(&p, ids).map_err(|e| perm_error(&p, ids, e))?;
                changed.push(p.clone());
            }
            stack.extend(sys.children(&p).map_err(|e| perm_error(&p, ids, e))?);
        }
    }
    Ok(changed)
}

fn perm_error(path: &Path, ids: Ids, e: std::io::Error) -> anyhow::Error {
    diagnose(
        Code::Permission,
        format!("cannot chown {} to {}:{}: {e}", path.display(), ids.uid, ids.gid),
        "ZooKeeper, running as that user, could not write its data",
        "give the container CAP_CHOWN (or drop root: run as a non-root user with spec.securityContext.fsGroup set so Kubernetes makes the volume writable)",
    )
}

/// Drops from root to `ids`: setgroups([gid]), setgid, setuid — the order
/// that leaves no supplementary root groups behind.
///
/// Fails (exit code 6) when a step is refused.
pub fn drop_to(sys: &mut dyn Sys, ids: Ids) -> Result<()> {
    let step = |what: &str, e: std::io::Error| {
        diagnose(
            Code::Permission,
            format!("cannot drop root to {}:{} ({what}: {e})", ids.uid, ids.gid),
            "ZooKeeper would run with root privileges, so zkpod stops instead",
            "give the container CAP_SETUID and CAP_SETGID, or start it as the target user directly (securityContext.runAsUser) so no drop is needed",
        )
    };
    sys.setgroups(&[ids.gid])
        .map_err(|e| step("setgroups", e))?;
    sys.setgid(ids.gid).map_err(|e| step("setgid", e))?;
    sys.setuid(ids.uid).map_err(|e| step("setuid", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Records syscalls against an in-memory tree.
    #[derive(Default)]
    struct Fake {
        owners: BTreeMap<PathBuf, (u32, u32)>,
        calls: Vec<String>,
        refuse_setuid: bool,
    }

    impl Sys for Fake {
        fn owner(&self, p: &Path) -> std::io::Result<(u32, u32)> {
            self.owners
                .get(p)
                .copied()
                .ok_or_else(|| std::io::ErrorKind::NotFound.into())
        }
        fn children(&self, p: &Path) -> std::io::Result<Vec<PathBuf>> {
            Ok(self
                .owners
                .keys()
                .filter(|k| k.parent() == Some(p))
                .cloned()
                .collect())
        }
        fn chown(&mut self, p: &Path, ids: Ids) -> std::io::Result<()> {
            self.calls
                .push(format!("chown {} {}:{}", p.display(), ids.uid, ids.gid));
            self.owners.insert(p.to_path_buf(), (ids.uid, ids.gid));
            Ok(())
        }
        fn setgroups(&mut self, g: &[u32]) -> std::io::Result<()> {
            self.calls.push(format!("setgroups {g:?}"));
            Ok(())
        }
        fn setgid(&mut self, g: u32) -> std::io::Result<()> {
            self.calls.push(format!("setgid {g}"));
            Ok(())
        }
        fn setuid(&mut self, u: u32) -> std::io::Result<()> {
            if self.refuse_setuid {
                return Err(std::io::ErrorKind::PermissionDenied.into());
            }
            self.calls.push(format!("setuid {u}"));
            Ok(())
        }
    }

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
            e.contains("--user '1000:staff' has a group that is not a number"),
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

    #[test]
    fn drop_order_is_groups_gid_uid() {
        let mut f = Fake::default();
        drop_to(&mut f, ZK).unwrap();
        assert_eq!(f.calls, ["setgroups [1000]", "setgid 1000", "setuid 1000"]);
    }

    #[test]
    fn refused_setuid_is_a_permission_failure() {
        let mut f = Fake {
            refuse_setuid: true,
            ..Fake::default()
        };
        let e = drop_to(&mut f, ZK).unwrap_err();
        assert_eq!(crate::sys::report::code_of(&e, Code::Io), Code::Permission);
        assert!(e
            .to_string()
            .contains("cannot drop root to 1000:1000 (setuid"));
    }

    #[test]
    fn chown_only_where_owner_differs() {
        let mut f = Fake::default();
        f.owners.insert("/v/data".into(), (1000, 1000));
        f.owners.insert("/v/data/version-2".into(), (0, 0)); // left alone: parent matches
        f.owners.insert("/v/log".into(), (0, 0));
        f.owners.insert("/v/log/version-2".into(), (0, 0));
        f.owners
            .insert("/v/log/version-2/log.1".into(), (1000, 1000));
        let changed = chown_where_needed(&mut f, &["/v/data".into(), "/v/log".into()], ZK).unwrap();
        assert_eq!(
            changed,
            vec![PathBuf::from("/v/log"), PathBuf::from("/v/log/version-2")]
        );
        // Second start: nothing to do.
        f.calls.clear();
        assert!(
            chown_where_needed(&mut f, &["/v/data".into(), "/v/log".into()], ZK)
                .unwrap()
                .is_empty()
        );
        assert!(f.calls.is_empty());
    }
}
