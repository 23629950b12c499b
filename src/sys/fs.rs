//! File-system helpers: atomic writes, directory creation, writability.
//!
//! Files are written atomically: a temp file in the same directory, fsync,
//! rename over the target, fsync of the directory. A crash leaves either the
//! old file or the new one, never a half-written one, and a failed write
//! removes its temp file.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A file to write: path, contents, permission bits.
pub type FileSpec = (PathBuf, Vec<u8>, u32);

/// Writes several files atomically and durably, in phases: every temp file
/// is written, then every one fsynced, then each renamed into place, then each
/// directory fsynced once. On a journaling filesystem the first fsync commits
/// all the temp files together, so the later ones find nothing left to do;
/// fsyncing each file right before its rename costs a journal commit per file.
///
/// Fails on the first step that fails, naming the file. If that is before
/// the renames, every temp file is removed and no target has changed.
pub fn write_all_atomic(files: &[FileSpec]) -> Result<()> {
    let temps: Vec<PathBuf> = files.iter().map(|(p, _, _)| temp_path(p)).collect();
    let staged = (|| -> Result<()> {
        let mut opened = Vec::with_capacity(files.len());
        for ((path, contents, mode), tmp) in files.iter().zip(&temps) {
            let f = write_temp(tmp, contents, *mode)
                .with_context(|| format!("failed to write {}", path.display()))?;
            opened.push(f);
        }
        // Start writeback of every temp file before waiting on any: ext4
        // allocates their blocks now, in one journal transaction, so the first
        // fsync commits them all and the others find little left to do.
        for f in &opened {
            start_writeback(f);
        }
        for (f, tmp) in opened.iter().zip(&temps) {
            f.sync_all()
                .with_context(|| format!("failed to fsync {}", tmp.display()))?;
        }
        Ok(())
    })();
    if let Err(e) = staged {
        temps.iter().for_each(|t| {
            let _ = fs::remove_file(t);
        });
        return Err(e);
    }
    let mut dirs: Vec<&Path> = Vec::new();
    for (i, ((path, _, _), tmp)) in files.iter().zip(&temps).enumerate() {
        if let Err(e) = fs::rename(tmp, path) {
            temps[i..].iter().for_each(|t| {
                let _ = fs::remove_file(t);
            });
            return Err(e).with_context(|| {
                format!("failed to rename {} to {}", tmp.display(), path.display())
            });
        }
        let dir = parent_of(path);
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs.into_iter().try_for_each(sync_dir)
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
fn write_temp(tmp: &Path, contents: &[u8], mode: u32) -> Result<File> {
    match fs::remove_file(tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("failed to remove stale {}", tmp.display()))
        }
        _ => {}
    }
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .mode(mode)
        .open(tmp)
        .with_context(|| format!("failed to create {}", tmp.display()))?;
    f.write_all(contents)
        .with_context(|| format!("failed to write {}", tmp.display()))?;
    // The umask may have narrowed the mode given at creation.
    f.set_permissions(fs::Permissions::from_mode(mode))
        .with_context(|| format!("failed to set the mode of {}", tmp.display()))?;
    Ok(f)
}

/// fsyncs a directory, so a rename or a new entry in it is durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("failed to fsync directory {}", dir.display()))
}

/// Creates `path` and any missing parents with `mode`; returns the
/// directories it created, outermost first.
pub fn create_dirs(path: &Path, mode: u32) -> Result<Vec<PathBuf>> {
    let missing: Vec<PathBuf> = path
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
        .map(Path::to_path_buf)
        .collect();
    let mut created = Vec::new();
    for dir in missing.into_iter().rev() {
        match fs::DirBuilder::new().mode(mode).create(&dir) {
            Ok(()) => {
                fs::set_permissions(&dir, fs::Permissions::from_mode(mode))
                    .with_context(|| format!("failed to set the mode of {}", dir.display()))?;
                created.push(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("failed to create directory {}", dir.display()))
            }
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let e = write_all_atomic(&[(
            PathBuf::from("/nonexistent-zkpod-dir/zoo.cfg"),
            b"x".to_vec(),
            0o644,
        )])
        .unwrap_err();
        assert!(format!("{e:#}").contains("failed to write /nonexistent-zkpod-dir/zoo.cfg"));
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
}
