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

/// Writes `contents` to `path` atomically with permission `mode`.
///
/// Fails with context naming the file when any step fails; the temp file is
/// removed then.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    write_atomic_nosync_dir(path, contents, mode)?;
    sync_dir(parent_of(path))
}

/// Writes several files atomically, then fsyncs each directory once (a
/// directory fsync per file would double the cost of a start).
///
/// Fails on the first file that cannot be written; files already renamed
/// into place stay complete, the failed one leaves nothing behind.
pub fn write_all_atomic(files: &[(PathBuf, Vec<u8>, u32)]) -> Result<()> {
    let mut dirs: Vec<&Path> = Vec::new();
    for (path, contents, mode) in files {
        write_atomic_nosync_dir(path, contents, *mode)?;
        let dir = parent_of(path);
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs.into_iter().try_for_each(sync_dir)
}

fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn write_atomic_nosync_dir(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let dir = parent_of(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.zkpod-{}.tmp", std::process::id()));
    let result = (|| -> Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)
            .with_context(|| format!("failed to create {}", tmp.display()))?;
        f.write_all(contents)
            .with_context(|| format!("failed to write {}", tmp.display()))?;
        // The umask may have narrowed the mode given at creation.
        f.set_permissions(fs::Permissions::from_mode(mode))
            .with_context(|| format!("failed to set the mode of {}", tmp.display()))?;
        f.sync_all()
            .with_context(|| format!("failed to fsync {}", tmp.display()))?;
        fs::rename(&tmp, path)
            .with_context(|| format!("failed to rename {} to {}", tmp.display(), path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("failed to write {}", path.display()))
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
    if let Some(parent) = created.first().and_then(|d| d.parent()) {
        sync_dir(parent)?;
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
        write_atomic(&p, b"a=1\n", 0o644).unwrap();
        write_atomic(&p, b"a=2\n", 0o644).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "a=2\n");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }

    #[test]
    fn failed_write_names_the_file() {
        let e = write_atomic(Path::new("/nonexistent-zkpod-dir/zoo.cfg"), b"x", 0o644).unwrap_err();
        assert!(format!("{e:#}").contains("failed to write /nonexistent-zkpod-dir/zoo.cfg"));
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
