//! Bounded, typed reads of the files zkpod reads from the machine and the
//! volume (issue 8): regular files only, never more than a cap, and an open
//! that cannot block.
//!
//! A FIFO planted where myid or zoo.cfg should be would hang a plain
//! `read`; a 1 GiB myid would be read into memory whole; a character device
//! (`/dev/zero`) never ends. [`read_capped`] opens with `O_NONBLOCK` (an
//! open of a FIFO then returns at once), checks with `fstat` that it got a
//! regular file, and reads at most `cap` bytes, failing when there are more.
//! Failures are a [`FileError`]: plain data that says what the file is
//! ("a FIFO", "larger than 64 bytes"), never what is in it, so a message
//! built from one cannot leak a secret the file holds.

use std::fmt;
use std::fs::{File, FileType, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// The caps of the files zkpod reads (bytes). Each is far above what a real
/// file of its kind holds and far below what could hurt a probe or a start.
pub mod caps {
    /// myid: a decimal id and a newline.
    pub const MYID: usize = 64;
    /// zoo.cfg (with a dynamic membership section or hand-written extras).
    pub const ZOO_CFG: usize = 1 << 20;
    /// /etc/hosts (the kubelet's lines plus any hostAliases).
    pub const HOSTS: usize = 1 << 20;
    /// /etc/passwd.
    pub const PASSWD: usize = 4 << 20;
    /// A cgroup memory limit file (`max` or a number).
    pub const CGROUP: usize = 4096;
    /// /proc/self/status, /proc/self/stat, /proc/1/comm.
    pub const PROC: usize = 64 << 10;
    /// The superuser password file (a mounted Secret: one line).
    pub const PASSWORD: usize = 4 << 10;
    /// The Java runtime's `release` file.
    pub const RELEASE: usize = 64 << 10;
    /// zkpod start's `membership.properties` record.
    pub const RECORD: usize = 64 << 10;
    /// The service account's token (a projected JWT: a few KiB) and its
    /// namespace file.
    pub const TOKEN: usize = 64 << 10;
    /// The service account's CA bundle (PEM).
    pub const CA: usize = 1 << 20;
    /// A TLS PEM file (`--tls-dir`'s tls.crt, tls.key, ca.crt; the conf
    /// dir's key and trust stores): a key and a long chain are a few KiB.
    pub const PEM: usize = 1 << 20;
    /// The conf dir's small TLS records (`tls.source`, `tls.refused`).
    pub const TLS_RECORD: usize = 64 << 10;
}

/// Why a bounded read failed: what the file is, not what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// It does not exist (ENOENT).
    Missing,
    /// This process may not open it (EACCES, EPERM).
    Denied,
    /// It is not a regular file: what it is ("a directory", "a FIFO", ...).
    NotRegular(&'static str),
    /// It holds more than the cap (bytes).
    TooLarge { cap: usize },
    /// A symlink loop, or a symlink where none may be (ELOOP).
    Loop,
    /// A component of the path is not a directory (ENOTDIR).
    NotDir,
    /// The path or one of its names is too long (ENAMETOOLONG).
    TooLong,
    /// Any other OS error, as the OS words it.
    Os(String),
}

impl FileError {
    /// The error an `open`/`read` failed with, typed.
    pub fn from_io(e: &io::Error) -> FileError {
        use nix::libc;
        match e.raw_os_error() {
            Some(libc::ENOENT) => FileError::Missing,
            Some(libc::EACCES) | Some(libc::EPERM) => FileError::Denied,
            Some(libc::EISDIR) => FileError::NotRegular("a directory"),
            Some(libc::ELOOP) => FileError::Loop,
            Some(libc::ENOTDIR) => FileError::NotDir,
            Some(libc::ENAMETOOLONG) => FileError::TooLong,
            _ => FileError::Os(io_text(e)),
        }
    }

    /// Whether the file is simply absent.
    pub fn is_missing(&self) -> bool {
        *self == FileError::Missing
    }
}

impl fmt::Display for FileError {
    /// What the failure says about the file, to follow its path in a
    /// message: "is a FIFO, not a regular file".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Missing => f.write_str("does not exist"),
            FileError::Denied => f.write_str("cannot be read by this user (permission denied)"),
            FileError::NotRegular(what) => write!(f, "is {what}, not a regular file"),
            FileError::TooLarge { cap } => write!(f, "is larger than {}", size(*cap)),
            FileError::Loop => f.write_str("is a symlink loop (or a symlink where none may be)"),
            FileError::NotDir => f.write_str("has a path component that is not a directory"),
            FileError::TooLong => f.write_str("has a path or file name that is too long"),
            FileError::Os(m) => write!(f, "cannot be read ({m})"),
        }
    }
}

impl std::error::Error for FileError {}

/// An OS error as text without Rust's " (os error N)" suffix.
pub fn io_text(e: &io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// A byte count as an operator reads it: "64 bytes", "1 MiB".
pub fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// What a file type is, in words: "a directory", "a FIFO", ...
pub fn type_name(t: FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_symlink() {
        "a symlink"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Reads the regular file at `path` (following symlinks), at most `cap`
/// bytes.
///
/// Fails with a [`FileError`] when it cannot be opened, is not a regular
/// file (a FIFO is refused without blocking), or holds more than `cap` bytes
/// (checked while reading: files in /proc report a size of 0).
pub fn read_capped(path: &Path, cap: usize) -> Result<Vec<u8>, FileError> {
    read_with(path, cap, 0)
}

/// As [`read_capped`], but a symlink as the last component is refused
/// ([`FileError::Loop`]) instead of followed.
pub fn read_capped_nofollow(path: &Path, cap: usize) -> Result<Vec<u8>, FileError> {
    read_with(path, cap, nix::libc::O_NOFOLLOW)
}

fn read_with(path: &Path, cap: usize, extra: i32) -> Result<Vec<u8>, FileError> {
    let f = open_regular(path, extra)?;
    let mut buf = Vec::new();
    // One byte past the cap tells "exactly cap" from "more".
    f.take(cap as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| FileError::from_io(&e))?;
    if buf.len() > cap {
        return Err(FileError::TooLarge { cap });
    }
    Ok(buf)
}

/// Opens `path` for reading without blocking, and only if it is a regular
/// file.
pub fn open_regular(path: &Path, extra_flags: i32) -> Result<File, FileError> {
    use nix::libc;
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | extra_flags)
        .open(path)
        .map_err(|e| FileError::from_io(&e))?;
    let t = f
        .metadata()
        .map_err(|e| FileError::from_io(&e))?
        .file_type();
    if !t.is_file() {
        return Err(FileError::NotRegular(type_name(t)));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn reads_a_regular_file_up_to_its_cap() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("myid");
        fs::write(&p, b"12\n").unwrap();
        assert_eq!(read_capped(&p, 3).unwrap(), b"12\n");
        assert_eq!(read_capped(&p, 2), Err(FileError::TooLarge { cap: 2 }));
        assert_eq!(
            read_capped(&d.path().join("absent"), 3),
            Err(FileError::Missing)
        );
        assert!(read_capped(&d.path().join("absent"), 3)
            .unwrap_err()
            .is_missing());
    }

    #[test]
    fn a_fifo_a_directory_and_a_device_are_refused_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        assert_eq!(read_capped(&fifo, 64), Err(FileError::NotRegular("a FIFO")));
        assert_eq!(
            read_capped(d.path(), 64),
            Err(FileError::NotRegular("a directory"))
        );
        assert_eq!(
            read_capped(Path::new("/dev/zero"), 64),
            Err(FileError::NotRegular("a character device"))
        );
        assert_eq!(
            FileError::NotRegular("a FIFO").to_string(),
            "is a FIFO, not a regular file"
        );
    }

    #[test]
    fn proc_files_report_size_zero_and_are_still_capped() {
        let status = read_capped(Path::new("/proc/self/status"), caps::PROC).unwrap();
        assert!(String::from_utf8_lossy(&status).contains("CapEff:"));
        assert_eq!(
            read_capped(Path::new("/proc/self/status"), 16),
            Err(FileError::TooLarge { cap: 16 })
        );
    }

    #[test]
    fn symlinks_are_followed_or_refused() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("real"), b"1").unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink(d.path().join("real"), &link).unwrap();
        assert_eq!(read_capped(&link, 8).unwrap(), b"1");
        assert_eq!(read_capped_nofollow(&link, 8), Err(FileError::Loop));
        let lp = d.path().join("loop");
        std::os::unix::fs::symlink(&lp, &lp).unwrap();
        assert_eq!(read_capped(&lp, 8), Err(FileError::Loop));
        let under_file = d.path().join("real/x");
        assert_eq!(read_capped(&under_file, 8), Err(FileError::NotDir));
        let long = d.path().join("x".repeat(300));
        assert_eq!(read_capped(&long, 8), Err(FileError::TooLong));
    }

    #[test]
    fn sizes_read_as_an_operator_writes_them() {
        assert_eq!(size(64), "64 bytes");
        assert_eq!(size(1 << 20), "1 MiB");
        assert_eq!(size(64 << 10), "64 KiB");
        assert_eq!(
            FileError::TooLarge { cap: 64 }.to_string(),
            "is larger than 64 bytes"
        );
    }
}
