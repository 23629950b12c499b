//! Ownership and privileges: chown the data dirs where needed, then drop
//! root before exec (setgroups, setgid, setuid, in that order, while zkpod
//! is still single-threaded).
//!
//! The syscalls sit behind the [`Sys`] trait so the walk and the order are
//! unit-tested without root. Who to drop to is decided in `start::user`.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::sys::report::{diagnose, Code};

/// A uid/gid pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ids {
    pub uid: u32,
    pub gid: u32,
}

/// The syscalls zkpod needs as root.
pub trait Sys {
    /// Owner (uid, gid) of `path` without following a final symlink, and
    /// whether it is a directory (one lstat).
    fn owner(&self, path: &Path) -> std::io::Result<(u32, u32, bool)>;
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
    fn owner(&self, path: &Path) -> std::io::Result<(u32, u32, bool)> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::symlink_metadata(path)?;
        Ok((m.uid(), m.gid(), m.is_dir()))
    }
    fn children(&self, path: &Path) -> std::io::Result<Vec<PathBuf>> {
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
        let (uid, gid, _) = sys.owner(dir).map_err(|e| perm_error(dir, ids, e))?;
        if (uid, gid) == (ids.uid, ids.gid) {
            continue;
        }
        let mut stack = vec![dir.clone()];
        while let Some(p) = stack.pop() {
            let (uid, gid, is_dir) = sys.owner(&p).map_err(|e| perm_error(&p, ids, e))?;
            if (uid, gid) != (ids.uid, ids.gid) {
                sys.chown(&p, ids).map_err(|e| perm_error(&p, ids, e))?;
                changed.push(p.clone());
            }
            // lstat: a symlink is not a dir here, so it is never followed.
            if is_dir {
                stack.extend(sys.children(&p).map_err(|e| perm_error(&p, ids, e))?);
            }
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
        fn owner(&self, p: &Path) -> std::io::Result<(u32, u32, bool)> {
            let (uid, gid) = self
                .owners
                .get(p)
                .copied()
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))?;
            let is_dir = self.owners.keys().any(|k| k.parent() == Some(p));
            Ok((uid, gid, is_dir))
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
