//! File-system helpers: atomic writes, directory creation, writability,
//! unique names for what is set aside, and the volume lock.
//!
//! Files are written atomically: a temp file in the same directory, fsync,
//! rename over the target, fsync of the directory. A crash leaves either the
//! old file or the new one, never a half-written one, and a failed write
//! removes its temp file. Writing is two steps, [`stage`] and
//! [`Staged::commit_next`], so a caller decides the order in which targets
//! change (`start::apply` renames the conf files before myid).
//!
//! Nothing zkpod sets aside is ever overwritten: [`set_aside`] and
//! [`keep_aside`] pick a name with a nanosecond UTC time stamp and create
//! it exclusively (RENAME_NOREPLACE, link), trying the next name when one
//! exists.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::{AsRawFd, IntoRawFd, RawFd};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;

use crate::sys::report::os_failure;

/// A file to write: path, contents, permission bits.
pub type FileSpec = (PathBuf, Vec<u8>, u32);

/// Files written to their temp names and fsynced, waiting to be renamed into
/// place. Dropping it removes the temp files not yet renamed.
#[derive(Debug)]
pub struct Staged {
    /// (target, temp), in the order they were given.
    items: Vec<(PathBuf, PathBuf)>,
    /// How many have been renamed into place.
    done: usize,
}

/// Writes every file to a temp name beside its target and fsyncs them all:
/// every temp file is written, then its writeback started, then each
/// fsynced. On a journaling filesystem the first fsync commits all the temp
/// files together, so the later ones find nothing left to do. No target
/// changes.
///
/// Fails on the first step that fails, naming the file and what the OS
/// error means (a full disk, no inodes); every temp file is then removed.
pub fn stage(files: &[FileSpec]) -> Result<Staged> {
    let mut staged = Staged {
        items: Vec::with_capacity(files.len()),
        done: 0,
    };
    let mut opened = Vec::with_capacity(files.len());
    for (path, contents, mode) in files {
        let tmp = temp_path(path);
        // Registered first, so that a failure below removes it too.
        staged.items.push((path.clone(), tmp.clone()));
        opened.push(write_temp(&tmp, contents, *mode).map_err(|e| os_failure("write", path, &e))?);
    }
    // Start writeback of every temp file before waiting on any: ext4
    // allocates their blocks now, in one journal transaction, so the first
    // fsync commits them all and the others find little left to do.
    for f in &opened {
        start_writeback(f);
    }
    for (f, (path, _)) in opened.iter().zip(&staged.items) {
        f.sync_all().map_err(|e| os_failure("write", path, &e))?;
    }
    Ok(staged)
}

impl Staged {
    /// Renames the next `n` staged files into place, in the order staged,
    /// then fsyncs each directory that got one, so they are durable before
    /// anything renamed later.
    ///
    /// Fails on the first rename or fsync that fails, naming the file.
    pub fn commit_next(&mut self, n: usize) -> Result<()> {
        let end = (self.done + n).min(self.items.len());
        let mut dirs: Vec<PathBuf> = Vec::new();
        while self.done < end {
            let (path, tmp) = &self.items[self.done];
            fs::rename(tmp, path).map_err(|e| os_failure("write", path, &e))?;
            self.done += 1;
            let dir = parent_of(path).to_path_buf();
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
        dirs.iter().try_for_each(|d| sync_dir(d))
    }

    /// Adds `other`'s items after this one's (committed in that order).
    pub fn append(&mut self, mut other: Staged) {
        self.items.extend(other.items.drain(other.done..));
    }

    /// How many files are staged.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for (_, tmp) in &self.items[self.done..] {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// Stages a symlink `link -> target`: the link is made under a temp name
/// beside `link` (a stale one from a crashed start removed first; removing
/// a link never touches its target), to be renamed over `link` by
/// [`Staged::commit_next`]. Nothing at `link` changes yet.
///
/// Fails naming the link and what the OS error means.
pub fn stage_link(link: &Path, target: &Path) -> Result<Staged> {
    let tmp = temp_path(link);
    match fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(os_failure("write", link, &e))
        }
        _ => {}
    }
    std::os::unix::fs::symlink(target, &tmp).map_err(|e| os_failure("write", link, &e))?;
    Ok(Staged {
        items: vec![(link.to_path_buf(), tmp)],
        done: 0,
    })
}

/// Writes several files atomically and durably: [`stage`], then every
/// rename, then each directory fsynced once.
///
/// Fails on the first step that fails, naming the file. If that is before
/// the renames, every temp file is removed and no target has changed.
pub fn write_all_atomic(files: &[FileSpec]) -> Result<()> {
    let mut staged = stage(files)?;
    staged.commit_next(files.len())
}

/// Asks the kernel to start writing `f`'s dirty pages back, without
/// waiting. Only a hint: durability still comes from the fsync after it,
/// so a failure here is ignored.
fn start_writeback(f: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: sync_file_range only reads the fd, which `f` keeps open for
    // the duration of the call; offsets 0/0 mean the whole file.
    unsafe {
        nix::libc::sync_file_range(f.as_raw_fd(), 0, 0, nix::libc::SYNC_FILE_RANGE_WRITE);
    }
}

fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent_of(path).join(format!(".{name}.zkpod-{}.tmp", std::process::id()))
}

/// Creates the temp file exclusively and without following a symlink: its
/// name is predictable (the pid is 1 in a container) and the data dir is
/// writable by the ZooKeeper user, so a planted link must not make zkpod,
/// running as root, write through it. A stale temp file from a crashed
/// start is removed first (removing a link never touches its target).
fn write_temp(tmp: &Path, contents: &[u8], mode: u32) -> std::io::Result<File> {
    match fs::remove_file(tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .mode(mode)
        .open(tmp)?;
    f.write_all(contents)?;
    // The umask may have narrowed the mode given at creation.
    f.set_permissions(fs::Permissions::from_mode(mode))?;
    Ok(f)
}

/// fsyncs a directory, so a rename or a new entry in it is durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| os_failure("fsync the directory", dir, &e))
}

/// Creates `path` and any missing parents with `mode`; returns the
/// directories it created, outermost first.
///
/// Fails naming the directory and what the OS error means.
pub fn create_dirs(path: &Path, mode: u32) -> Result<Vec<PathBuf>> {
    let missing: Vec<PathBuf> = path
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && fs::symlink_metadata(p).is_err())
        .map(Path::to_path_buf)
        .collect();
    let mut created = Vec::new();
    for dir in missing.into_iter().rev() {
        match fs::DirBuilder::new().mode(mode).create(&dir) {
            Ok(()) => {
                fs::set_permissions(&dir, fs::Permissions::from_mode(mode))
                    .map_err(|e| os_failure("set the mode of", &dir, &e))?;
                created.push(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(os_failure("create the directory", &dir, &e)),
        }
    }
    // Each new entry lives in its parent: fsync every parent that got one.
    for dir in &created {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
    }
    Ok(created)
}

/// The closest existing directory at or above `path` (what must be writable
/// for `path` to be created).
pub fn nearest_existing(path: &Path) -> PathBuf {
    path.ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"))
        .to_path_buf()
}

/// Whether the current process may create entries in directory `dir`.
pub fn dir_writable(dir: &Path) -> bool {
    use nix::unistd::{access, AccessFlags};
    access(dir, AccessFlags::W_OK | AccessFlags::X_OK).is_ok()
}

/// A UTC time stamp with nanoseconds, for names: `20261128T071502.123456789Z`
/// (sorts as time does, and two starts in one second differ).
pub fn stamp(t: SystemTime) -> String {
    super::clock::utc_stamp(t.duration_since(UNIX_EPOCH).unwrap_or_default())
}

/// The names tried, in order, for what `path` is set aside or kept as:
/// `<name>.<tag>-<stamp>`, then `-2`, `-3`, ... after it.
pub fn aside_names(path: &Path, tag: &str, now: SystemTime) -> impl Iterator<Item = PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = format!("{name}.{tag}-{}", stamp(now));
    let dir = parent_of(path).to_path_buf();
    (1..=1000u32).map(move |i| {
        if i == 1 {
            dir.join(&base)
        } else {
            dir.join(format!("{base}-{i}"))
        }
    })
}

/// Moves `path` (a file, a directory, a symlink: anything) out of the way to
/// a unique sibling name (see [`aside_names`]), never over an existing
/// entry (`renameat2(RENAME_NOREPLACE)`; where the filesystem lacks it, a
/// check and a rename), and makes the move durable. Returns the new name.
/// Nothing is deleted: this is how zkpod replaces what it may not overwrite.
///
/// Fails naming the path and what the OS error means.
pub fn set_aside(path: &Path, tag: &str) -> Result<PathBuf> {
    use nix::errno::Errno;
    use nix::fcntl::{renameat2, RenameFlags};
    for to in aside_names(path, tag, SystemTime::now()) {
        match renameat2(None, path, None, &to, RenameFlags::RENAME_NOREPLACE) {
            Ok(()) => {
                sync_dir(parent_of(path))?;
                return Ok(to);
            }
            Err(Errno::EEXIST) | Err(Errno::ENOTEMPTY) => continue,
            Err(Errno::EINVAL) | Err(Errno::ENOSYS) | Err(Errno::EOPNOTSUPP) => {
                if fs::symlink_metadata(&to).is_ok() {
                    continue;
                }
                fs::rename(path, &to).map_err(|e| os_failure("set aside", path, &e))?;
                sync_dir(parent_of(path))?;
                return Ok(to);
            }
            Err(e) => return Err(os_failure("set aside", path, &std::io::Error::from(e))),
        }
    }
    Err(os_failure(
        "set aside",
        path,
        &std::io::Error::from(std::io::ErrorKind::AlreadyExists),
    ))
}

/// Keeps a copy of the regular file `path` under a unique sibling name (see
/// [`aside_names`]) while `path` stays in place: a hard link, or where the
/// filesystem has none, a copy created exclusively. Never overwrites.
/// Returns the copy's name.
///
/// Fails naming the path and what the OS error means.
pub fn keep_aside(path: &Path, tag: &str) -> Result<PathBuf> {
    use std::io::ErrorKind;
    for to in aside_names(path, tag, SystemTime::now()) {
        match fs::hard_link(path, &to) {
            Ok(()) => {
                sync_dir(parent_of(path))?;
                return Ok(to);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(
                        nix::libc::EPERM
                            | nix::libc::EXDEV
                            | nix::libc::EOPNOTSUPP
                            | nix::libc::EMLINK
                    )
                ) =>
            {
                let copy = (|| -> std::io::Result<bool> {
                    let mut from = File::open(path)?;
                    let mut out = match OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .custom_flags(nix::libc::O_NOFOLLOW)
                        .mode(0o644)
                        .open(&to)
                    {
                        Ok(f) => f,
                        Err(e) if e.kind() == ErrorKind::AlreadyExists => return Ok(false),
                        Err(e) => return Err(e),
                    };
                    std::io::copy(&mut from, &mut out)?;
                    out.sync_all()?;
                    Ok(true)
                })();
                match copy {
                    Ok(true) => {
                        sync_dir(parent_of(path))?;
                        return Ok(to);
                    }
                    Ok(false) => continue,
                    Err(e) => return Err(os_failure("keep a copy of", path, &e)),
                }
            }
            Err(e) => return Err(os_failure("keep a copy of", path, &e)),
        }
    }
    Err(os_failure(
        "keep a copy of",
        path,
        &std::io::Error::from(ErrorKind::AlreadyExists),
    ))
}

/// Moves `entries` (anything: dirs, files, links, all in one directory's
/// filesystem) into a new directory `into/<name>` (or `<name>-2`, `-3`, ...
/// when taken: never into an earlier set-aside), creating `into` (0770)
/// when missing. Each move is a rename that never replaces
/// (`RENAME_NOREPLACE`), so nothing is deleted or overwritten; a failure
/// part way leaves every entry either in place or in the new directory.
/// The moves are made durable. Returns the new directory.
///
/// Fails naming the entry that could not be moved and what the OS error
/// means.
pub fn set_aside_into(entries: &[PathBuf], into: &Path, name: &str) -> Result<PathBuf> {
    use nix::errno::Errno;
    use nix::fcntl::{renameat2, RenameFlags};
    create_dirs(into, 0o770)?;
    let mut target = None;
    for i in 1..=1000u32 {
        let candidate = if i == 1 {
            into.join(name)
        } else {
            into.join(format!("{name}-{i}"))
        };
        match fs::DirBuilder::new().mode(0o770).create(&candidate) {
            Ok(()) => {
                target = Some(candidate);
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(os_failure("create the directory", &candidate, &e)),
        }
    }
    let Some(target) = target else {
        return Err(os_failure(
            "create the directory",
            &into.join(name),
            &std::io::Error::from(std::io::ErrorKind::AlreadyExists),
        ));
    };
    let mut from_dirs: Vec<PathBuf> = Vec::new();
    for from in entries {
        let to = target.join(from.file_name().unwrap_or_default());
        match renameat2(
            None,
            from.as_path(),
            None,
            &to,
            RenameFlags::RENAME_NOREPLACE,
        ) {
            Ok(()) => {}
            Err(Errno::EINVAL) | Err(Errno::ENOSYS) | Err(Errno::EOPNOTSUPP) => {
                // No RENAME_NOREPLACE here: the target dir is new and
                // zkpod's own, and entries have distinct names.
                if fs::symlink_metadata(&to).is_ok() {
                    return Err(os_failure(
                        "set aside",
                        from,
                        &std::io::Error::from(std::io::ErrorKind::AlreadyExists),
                    ));
                }
                fs::rename(from, &to).map_err(|e| os_failure("set aside", from, &e))?;
            }
            Err(e) => return Err(os_failure("set aside", from, &std::io::Error::from(e))),
        }
        let dir = parent_of(from).to_path_buf();
        if !from_dirs.contains(&dir) {
            from_dirs.push(dir);
        }
    }
    sync_dir(&target)?;
    sync_dir(into)?;
    from_dirs.iter().try_for_each(|d| sync_dir(d))?;
    Ok(target)
}

/// The lock file zkpod holds in a data dir for as long as the server runs.
pub const LOCK_FILE: &str = ".zkpod.lock";

/// The result of trying to lock a volume.
#[derive(Debug, PartialEq, Eq)]
pub enum Lock {
    /// Locked: the descriptor, left open across exec, so the JVM holds the
    /// lock until it exits (the kernel then releases it, also on a crash).
    Held(RawFd),
    /// Another process holds it: another server runs on this volume.
    Busy(PathBuf),
    /// The filesystem does not lock (an NFS mount without lockd): why.
    Unsupported(PathBuf, String),
}

/// Takes an exclusive `flock` on `dir/.zkpod.lock` without waiting,
/// creating the file if needed (mode 0660, chowned to `owner` when zkpod
/// creates it as root), never through a symlink. Two starts at the same
/// instant cannot both get it.
///
/// Fails naming the lock file when it cannot be opened or is not a regular
/// file.
pub fn lock_dir(dir: &Path, owner: Option<(u32, u32)>) -> Result<Lock> {
    use nix::libc;
    let path = dir.join(LOCK_FILE);
    let existed = fs::symlink_metadata(&path).is_ok();
    let open = |write: bool| {
        OpenOptions::new()
            .read(true)
            .write(write)
            .create(write)
            .mode(0o660)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(&path)
    };
    let f = match open(true) {
        Ok(f) => f,
        // Someone else's lock file: a read-only descriptor locks as well.
        Err(e) if e.raw_os_error() == Some(libc::EACCES) && existed => {
            open(false).map_err(|e| os_failure("open the lock file", &path, &e))?
        }
        Err(e) => return Err(os_failure("open the lock file", &path, &e)),
    };
    let meta = f
        .metadata()
        .map_err(|e| os_failure("open the lock file", &path, &e))?;
    if !meta.is_file() {
        return Err(os_failure(
            "lock",
            &path,
            &std::io::Error::from_raw_os_error(libc::EISDIR),
        ));
    }
    if !existed {
        let _ = f.set_permissions(fs::Permissions::from_mode(0o660));
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::fchown(&f, Some(uid), Some(gid))
                .map_err(|e| os_failure("chown the lock file", &path, &e))?;
        }
        sync_dir(dir)?;
    }
    // SAFETY: flock only reads the descriptor, which `f` keeps open.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) => Ok(Lock::Busy(path)),
            Some(libc::ENOLCK | libc::EINVAL | libc::EBADF | libc::EOPNOTSUPP) => {
                Ok(Lock::Unsupported(path, crate::sys::file::io_text(&e)))
            }
            _ => Err(os_failure("lock", &path, &e)),
        };
    }
    // Keep the descriptor open across exec: the JVM inherits the lock.
    nix::fcntl::fcntl(
        f.as_raw_fd(),
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
    )
    .map_err(|e| os_failure("lock", &path, &std::io::Error::from(e)))?;
    Ok(Lock::Held(f.into_raw_fd()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_aside_into_moves_without_deleting_or_reusing_a_dir() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        fs::create_dir(root.join("version-2")).unwrap();
        fs::write(root.join("version-2/log.1"), b"txn").unwrap();
        fs::write(root.join("zoo.cfg"), b"a=1\n").unwrap();
        let into = root.join("zkpod-set-aside");
        let entries = [root.join("version-2"), root.join("zoo.cfg")];
        let first = set_aside_into(&entries, &into, "T-server2").unwrap();
        assert_eq!(first, into.join("T-server2"));
        assert_eq!(fs::read(first.join("version-2/log.1")).unwrap(), b"txn");
        assert_eq!(fs::read(first.join("zoo.cfg")).unwrap(), b"a=1\n");
        assert!(!root.join("zoo.cfg").exists());
        // The same name again (a second set-aside in the same instant):
        // a new dir, the first one untouched.
        fs::write(root.join("zoo.cfg"), b"a=2\n").unwrap();
        let second = set_aside_into(&[root.join("zoo.cfg")], &into, "T-server2").unwrap();
        assert_eq!(second, into.join("T-server2-2"));
        assert_eq!(fs::read(first.join("zoo.cfg")).unwrap(), b"a=1\n");
        assert_eq!(fs::read(second.join("zoo.cfg")).unwrap(), b"a=2\n");
        // A missing entry fails naming it; what was moved stays moved.
        let e = set_aside_into(&[root.join("nothing")], &into, "T").unwrap_err();
        assert!(format!("{e:#}").contains("nothing"), "{e:#}");
    }

    #[test]
    fn a_staged_link_replaces_a_file_only_when_committed() {
        let d = tempfile::tempdir().unwrap();
        let link = d.path().join("zoo.cfg");
        fs::write(&link, b"old\n").unwrap();
        let mut staged = stage_link(&link, Path::new("/v/data/zoo.cfg")).unwrap();
        assert_eq!(fs::read(&link).unwrap(), b"old\n");
        staged.commit_next(1).unwrap();
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("/v/data/zoo.cfg"));
        // Dropped uncommitted: the temp link goes, the target stays.
        let other = d.path().join("other");
        drop(stage_link(&other, Path::new("/x")).unwrap());
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("zoo.cfg");
        write_all_atomic(&[(p.clone(), b"a=1\n".to_vec(), 0o644)]).unwrap();
        write_all_atomic(&[(p.clone(), b"a=2\n".to_vec(), 0o644)]).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "a=2\n");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }

    #[test]
    fn failed_write_names_the_file() {
        let e = write_all_atomic(&[(PathBuf::from("/etc/hostname/zoo.cfg"), b"x".to_vec(), 0o644)])
            .unwrap_err();
        assert!(
            format!("{e:#}").starts_with(
                "cannot write /etc/hostname/zoo.cfg: a component of the path is a file"
            ),
            "{e:#}"
        );
    }

    #[test]
    fn a_planted_symlink_at_the_temp_name_is_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let target = d.path().join("zoo.cfg");
        std::os::unix::fs::symlink(&victim, temp_path(&target)).unwrap();
        write_all_atomic(&[(target.clone(), b"a=1\n".to_vec(), 0o644)]).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(!fs::symlink_metadata(&target)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"a=1\n");
    }

    #[test]
    fn a_failed_batch_changes_no_target_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let good = d.path().join("java.env");
        fs::write(&good, b"old").unwrap();
        let files = vec![
            (good.clone(), b"new".to_vec(), 0o644),
            (d.path().join("missing-dir/zoo.cfg"), b"x".to_vec(), 0o644),
        ];
        let e = write_all_atomic(&files).unwrap_err();
        assert!(format!("{e:#}").contains("missing-dir/zoo.cfg"), "{e:#}");
        assert_eq!(fs::read(&good).unwrap(), b"old");
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "temp file left behind"
        );
    }

    #[test]
    fn create_dirs_reports_what_it_made() {
        let d = tempfile::tempdir().unwrap();
        let deep = d.path().join("a/b/c");
        let made = create_dirs(&deep, 0o750).unwrap();
        assert_eq!(
            made,
            vec![d.path().join("a"), d.path().join("a/b"), deep.clone()]
        );
        assert!(create_dirs(&deep, 0o750).unwrap().is_empty());
        assert_eq!(nearest_existing(&deep.join("x/y")), deep);
    }

    #[test]
    fn staged_files_change_nothing_until_committed_in_order() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        fs::write(&a, b"old a").unwrap();
        let mut st = stage(&[
            (a.clone(), b"new a".to_vec(), 0o644),
            (b.clone(), b"new b".to_vec(), 0o600),
        ])
        .unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"old a");
        assert!(!b.exists());
        st.commit_next(1).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        assert!(!b.exists());
        drop(st);
        // Dropped before the second commit: its temp file is gone, b never appeared.
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn stamps_are_utc_with_nanoseconds() {
        let t = UNIX_EPOCH + std::time::Duration::new(1_795_849_502, 123_456_789);
        assert_eq!(stamp(t), "20261128T070502.123456789Z");
        assert_eq!(stamp(UNIX_EPOCH), "19700101T000000.000000000Z");
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(&stamp(leap)[..8], "20000229");
        let names: Vec<PathBuf> = aside_names(Path::new("/v/myid"), "bak", t)
            .take(2)
            .collect();
        assert_eq!(
            names,
            [
                PathBuf::from("/v/myid.bak-20261128T070502.123456789Z"),
                PathBuf::from("/v/myid.bak-20261128T070502.123456789Z-2")
            ]
        );
    }

    #[test]
    fn set_aside_and_keep_aside_never_overwrite() {
        let d = tempfile::tempdir().unwrap();
        let myid = d.path().join("myid");
        let mut kept = Vec::new();
        for i in 0..5 {
            // Replaced by a rename, as apply replaces it: the kept link
            // still names the old file.
            write_all_atomic(&[(myid.clone(), format!("{i}\n").into_bytes(), 0o644)]).unwrap();
            kept.push(keep_aside(&myid, "bak").unwrap());
            assert_eq!(fs::read(&myid).unwrap(), format!("{i}\n").as_bytes());
        }
        for (i, k) in kept.iter().enumerate() {
            assert_eq!(
                fs::read_to_string(k).unwrap(),
                format!("{i}\n"),
                "{}",
                k.display()
            );
        }
        let dir = d.path().join("version-2");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("log.1"), b"x").unwrap();
        let moved = set_aside(&dir, "aside").unwrap();
        assert!(!dir.exists());
        assert_eq!(fs::read(moved.join("log.1")).unwrap(), b"x");
        assert!(moved
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("version-2.aside-"));
    }

    #[test]
    fn the_volume_lock_is_exclusive_and_survives_exec() {
        let d = tempfile::tempdir().unwrap();
        let fd = match lock_dir(d.path(), None).unwrap() {
            Lock::Held(fd) => fd,
            other => panic!("{other:?}"),
        };
        // A second open file description (as another process has) is refused.
        assert_eq!(
            lock_dir(d.path(), None).unwrap(),
            Lock::Busy(d.path().join(LOCK_FILE))
        );
        let flags = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD).unwrap();
        assert_eq!(flags & nix::libc::FD_CLOEXEC, 0, "the JVM must inherit it");
        nix::unistd::close(fd).unwrap();
        assert!(matches!(lock_dir(d.path(), None).unwrap(), Lock::Held(_)));
        // A symlink planted at the lock's name is not followed.
        let e = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(d.path().join("victim"), e.path().join(LOCK_FILE)).unwrap();
        let err = lock_dir(e.path(), None).unwrap_err();
        assert!(format!("{err:#}").contains("symlink"), "{err:#}");
        assert!(!d.path().join("victim").exists());
    }
}
