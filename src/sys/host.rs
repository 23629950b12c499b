//! The machine as `zkpod start` reads it: the [`Host`] trait, so that the
//! start's facts are gathered in one place and its tests can stand in for
//! the machine. [`RealHost`] reads the real one.
//!
//! Every file read goes through [`Host::read`]: the place where size caps
//! and file-type checks belong (issue 8).

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// An I/O error as plain data: its kind and its message (what `io::Error`
/// prints). Facts keep failed reads as values; the plan decides what they mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub kind: io::ErrorKind,
    pub message: String,
}

impl From<&io::Error> for ReadError {
    fn from(e: &io::Error) -> ReadError {
        ReadError {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> ReadError {
        ReadError::from(&e)
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ReadError {}

/// Owner, mode and type of a path (its target, for a symlink).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub uid: u32,
    pub gid: u32,
    /// The permission bits (`mode & 0o7777`).
    pub mode: u32,
    pub is_dir: bool,
    pub is_file: bool,
}

/// What `zkpod start` reads of the machine.
pub trait Host {
    /// The system hostname.
    fn hostname(&self) -> io::Result<OsString>;
    /// An environment variable, when set and valid UTF-8.
    fn env(&self, name: &str) -> Option<String>;
    fn euid(&self) -> u32;
    fn egid(&self) -> u32;
    /// `path` made absolute against the working directory.
    fn absolute(&self, path: &Path) -> io::Result<PathBuf>;
    /// A whole file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The file names in a directory.
    fn list(&self, dir: &Path) -> io::Result<Vec<OsString>>;
    /// Owner, mode and type, following symlinks; `None` when it cannot be
    /// read (absent, no permission).
    fn meta(&self, path: &Path) -> Option<Meta>;
    /// Whether this process may create entries in directory `dir`.
    fn writable(&self, dir: &Path) -> bool;
    /// Whether `path` is a file this process may execute.
    fn executable(&self, path: &Path) -> bool;
    /// `path` with every symlink resolved.
    fn canonical(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }
}

/// The real machine.
pub struct RealHost;

impl Host for RealHost {
    fn hostname(&self) -> io::Result<OsString> {
        hostname::get()
    }

    fn env(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn euid(&self) -> u32 {
        nix::unistd::geteuid().as_raw()
    }

    fn egid(&self) -> u32 {
        nix::unistd::getegid().as_raw()
    }

    fn absolute(&self, path: &Path) -> io::Result<PathBuf> {
        std::path::absolute(path)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect()
    }

    fn meta(&self, path: &Path) -> Option<Meta> {
        std::fs::metadata(path).ok().map(|m| Meta {
            uid: m.uid(),
            gid: m.gid(),
            mode: m.mode() & 0o7777,
            is_dir: m.is_dir(),
            is_file: m.is_file(),
        })
    }

    fn writable(&self, dir: &Path) -> bool {
        crate::sys::fs::dir_writable(dir)
    }

    fn executable(&self, path: &Path) -> bool {
        use nix::unistd::{access, AccessFlags};
        path.is_file() && access(path, AccessFlags::X_OK).is_ok()
    }
}
