//! Ownership and privileges: chown the data dirs where needed, then drop
//! root before exec (setgroups, setgid, setuid, in that order, while zkpod
//! is still single-threaded).
//!
//! The syscalls sit behind the [`Sys`] trait so the walk and the order are
//! unit-tested without root. Who to drop to is decided in `start::user`.

use std::os::unix::ffi::OsStrExt;
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
    /// Chowns `dir` and everything under it to `ids` where the owner
    /// differs, never following a symlink; returns the paths changed, or
    /// the path that failed with its error. The default walks by path
    /// (`owner`, `children`, `chown`); the real one by descriptor.
    fn chown_tree(
        &mut self,
        dir: &Path,
        ids: Ids,
    ) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
        let mut changed = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(p) = stack.pop() {
            let (uid, gid, is_dir) = self.owner(&p).map_err(|e| (p.clone(), e))?;
            if (uid, gid) != (ids.uid, ids.gid) {
                self.chown(&p, ids).map_err(|e| (p.clone(), e))?;
                changed.push(p.clone());
            }
            // lstat: a symlink is not a dir here, so it is never followed.
            if is_dir {
                stack.extend(self.children(&p).map_err(|e| (p.clone(), e))?);
            }
        }
        Ok(changed)
    }
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
    /// By descriptor: each directory is opened with O_NOFOLLOW and walked
    /// through its descriptor (fstatat, fchownat and openat relative to it,
    /// none following a symlink), so a directory swapped for a symlink
    /// while the walk runs cannot lead it out of the volume (a path-based
    /// walk would follow the swapped-in link in the middle of a path).
    fn chown_tree(
        &mut self,
        dir: &Path,
        ids: Ids,
    ) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
        use nix::fcntl::{openat, OFlag};
        use nix::sys::stat::Mode;
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = openat(None, dir, flags, Mode::empty())
            .map_err(|e| (dir.to_path_buf(), std::io::Error::from(e)))?;
        let mut changed = Vec::new();
        chown_dir_fd(fd, dir, ids, &mut changed)?;
        Ok(changed)
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

/// Chowns the directory open at `fd` (taken over, closed at the end) and
/// everything under it, relative to descriptors only.
fn chown_dir_fd(
    fd: std::os::fd::RawFd,
    path: &Path,
    ids: Ids,
    changed: &mut Vec<PathBuf>,
) -> Result<(), (PathBuf, std::io::Error)> {
    use nix::fcntl::{openat, AtFlags, OFlag};
    use nix::sys::stat::{fstat, fstatat, Mode, SFlag};
    use nix::unistd::{fchown, fchownat, Gid, Uid};
    let io = |p: &Path, e: nix::Error| (p.to_path_buf(), std::io::Error::from(e));
    let (uid, gid) = (Some(Uid::from_raw(ids.uid)), Some(Gid::from_raw(ids.gid)));
    // The Dir owns fd from here on and closes it when dropped.
    let mut dir = nix::dir::Dir::from_fd(fd).map_err(|e| {
        let _ = nix::unistd::close(fd);
        io(path, e)
    })?;
    let dfd = std::os::fd::AsRawFd::as_raw_fd(&dir);
    let st = fstat(dfd).map_err(|e| io(path, e))?;
    if (st.st_uid, st.st_gid) != (ids.uid, ids.gid) {
        fchown(dfd, uid, gid).map_err(|e| io(path, e))?;
        changed.push(path.to_path_buf());
    }
    let mut subdirs = Vec::new();
    for entry in dir.iter() {
        let entry = entry.map_err(|e| io(path, e))?;
        let name = entry.file_name();
        if name.to_bytes() == b"." || name.to_bytes() == b".." {
            continue;
        }
        let child = path.join(std::ffi::OsStr::from_bytes(name.to_bytes()));
        let st =
            fstatat(Some(dfd), name, AtFlags::AT_SYMLINK_NOFOLLOW).map_err(|e| io(&child, e))?;
        if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR {
            subdirs.push((name.to_owned(), child));
        } else if (st.st_uid, st.st_gid) != (ids.uid, ids.gid) {
            fchownat(Some(dfd), name, uid, gid, AtFlags::AT_SYMLINK_NOFOLLOW)
                .map_err(|e| io(&child, e))?;
            changed.push(child);
        }
    }
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    for (name, child) in subdirs {
        // O_NOFOLLOW: a directory swapped for a symlink since fstatat fails
        // here (ELOOP) instead of being followed.
        let sub =
            openat(Some(dfd), name.as_c_str(), flags, Mode::empty()).map_err(|e| io(&child, e))?;
        chown_dir_fd(sub, &child, ids, changed)?;
    }
    Ok(())
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
        changed.extend(
            sys.chown_tree(dir, ids)
                .map_err(|(p, e)| perm_error(&p, ids, e))?,
        );
    }
    Ok(changed)
}

/// Chowns each of `paths` itself (not what is in it) where its owner
/// differs; a path that no longer exists is skipped. Returns the paths
/// changed.
///
/// Fails (exit code 6) when a chown is refused.
pub fn chown_paths(sys: &mut dyn Sys, paths: &[PathBuf], ids: Ids) -> Result<Vec<PathBuf>> {
    let mut changed = Vec::new();
    for p in paths {
        match sys.owner(p) {
            Ok((uid, gid, _)) if (uid, gid) == (ids.uid, ids.gid) => {}
            Ok(_) => {
                sys.chown(p, ids).map_err(|e| perm_error(p, ids, e))?;
                changed.push(p.clone());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(perm_error(p, ids, e)),
        }
    }
    Ok(changed)
}

fn perm_error(path: &Path, ids: Ids, e: std::io::Error) -> anyhow::Error {
    diagnose(
        Code::Permission,
        format!("cannot chown {} to {}:{}: {}", crate::sys::report::path(path), ids.uid, ids.gid, crate::sys::file::io_text(&e)),
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
    fn the_real_walk_never_follows_a_symlink() {
        // As any user: chown to our own ids succeeds without privileges, and
        // a symlink to a file outside is not followed (its target keeps its
        // mode; lchown of a link to our own ids is allowed).
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("data");
        std::fs::create_dir_all(root.join("version-2/sub")).unwrap();
        std::fs::write(root.join("version-2/log.1"), b"").unwrap();
        std::fs::write(root.join("version-2/sub/x"), b"").unwrap();
        let outside = d.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("secret"), b"").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("version-2/link")).unwrap();
        let me = Ids {
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
        };
        // Nothing differs: nothing is changed.
        assert!(RealSys.chown_tree(&root, me).unwrap().is_empty());
        // The top dir given as a symlink is refused, not followed.
        let top = d.path().join("top");
        std::os::unix::fs::symlink(&root, &top).unwrap();
        let (p, e) = RealSys.chown_tree(&top, me).unwrap_err();
        assert_eq!(p, top);
        // O_DIRECTORY|O_NOFOLLOW on a symlink: ENOTDIR (ELOOP without O_DIRECTORY).
        assert!(
            matches!(
                e.raw_os_error(),
                Some(nix::libc::ENOTDIR | nix::libc::ELOOP)
            ),
            "{e}"
        );
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
