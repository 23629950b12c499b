//! The machine as `zkpod start` reads it: the [`Host`] trait, so that the
//! start's facts are gathered in one place and its tests can stand in for
//! the machine. [`RealHost`] reads the real one.
//!
//! Every file read goes through [`Host::read`], which is bounded and typed
//! (`sys::file`: regular files only, a size cap, an open that cannot
//! block). Deciding whether a volume holds data takes one match
//! ([`Host::first_entry`]), not a list of every file.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::sys::file::FileError;

/// An I/O error as plain data: its kind and its message (what `io::Error`
/// prints). Facts keep failed reads as values; the plan decides what they mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub kind: io::ErrorKind,
    /// The OS error number, when there is one (to explain it: `os_failure`).
    pub errno: Option<i32>,
    pub message: String,
}

impl ReadError {
    /// The error as an `io::Error` again (for `report::os_failure`).
    pub fn io(&self) -> io::Error {
        match self.errno {
            Some(n) => io::Error::from_raw_os_error(n),
            None => io::Error::new(self.kind, self.message.clone()),
        }
    }
}

impl From<&io::Error> for ReadError {
    fn from(e: &io::Error) -> ReadError {
        ReadError {
            kind: e.kind(),
            errno: e.raw_os_error(),
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

/// What is at a path, without following a final symlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    /// A FIFO, socket or device: its name ("a FIFO").
    Other(&'static str),
}

impl Kind {
    /// The kind of a file type.
    pub fn of(t: std::fs::FileType) -> Kind {
        if t.is_symlink() {
            Kind::Symlink
        } else if t.is_dir() {
            Kind::Dir
        } else if t.is_file() {
            Kind::File
        } else {
            Kind::Other(crate::sys::file::type_name(t))
        }
    }

    /// In words: "a regular file", "a directory", ...
    pub fn name(self) -> &'static str {
        match self {
            Kind::File => "a regular file",
            Kind::Dir => "a directory",
            Kind::Symlink => "a symlink",
            Kind::Other(n) => n,
        }
    }
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
    /// A regular file of at most `cap` bytes (`sys::file::read_capped`).
    fn read(&self, path: &Path, cap: usize) -> Result<Vec<u8>, FileError>;
    /// As `read`, refusing a symlink as the last component.
    fn read_nofollow(&self, path: &Path, cap: usize) -> Result<Vec<u8>, FileError>;
    /// The file names in a directory.
    fn list(&self, dir: &Path) -> io::Result<Vec<OsString>>;
    /// The names in a directory with their kinds (from the directory
    /// entries, without a stat per name where the filesystem says).
    fn list_typed(&self, dir: &Path) -> io::Result<Vec<(OsString, Kind)>>;
    /// The first name in a directory for which `pred` holds, reading no
    /// further than that match.
    fn first_entry(
        &self,
        dir: &Path,
        pred: &dyn Fn(&OsStr) -> bool,
    ) -> io::Result<Option<OsString>>;
    /// What is at `path`, not following a final symlink; `None` when
    /// nothing (or it cannot be looked at).
    fn kind(&self, path: &Path) -> Option<Kind>;
    /// How many hard links the file at `path` has (not following a symlink).
    fn links(&self, path: &Path) -> Option<u64>;
    /// `path` with every symlink resolved (it must exist).
    fn canonical(&self, path: &Path) -> io::Result<PathBuf>;
    /// Where the symlink at `path` points.
    fn read_link(&self, path: &Path) -> io::Result<PathBuf>;
    /// Owner, mode and type, following symlinks; `None` when it cannot be
    /// read (absent, no permission).
    fn meta(&self, path: &Path) -> Option<Meta>;
    /// Whether this process may create entries in directory `dir`.
    fn writable(&self, dir: &Path) -> bool;
    /// Whether `path` is a file this process may execute.
    fn executable(&self, path: &Path) -> bool;
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

    fn read(&self, path: &Path, cap: usize) -> Result<Vec<u8>, FileError> {
        crate::sys::file::read_capped(path, cap)
    }

    fn read_nofollow(&self, path: &Path, cap: usize) -> Result<Vec<u8>, FileError> {
        crate::sys::file::read_capped_nofollow(path, cap)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<OsString>> {
        std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect()
    }

    fn list_typed(&self, dir: &Path) -> io::Result<Vec<(OsString, Kind)>> {
        std::fs::read_dir(dir)?
            .map(|e| {
                let e = e?;
                Ok((e.file_name(), Kind::of(e.file_type()?)))
            })
            .collect()
    }

    fn first_entry(
        &self,
        dir: &Path,
        pred: &dyn Fn(&OsStr) -> bool,
    ) -> io::Result<Option<OsString>> {
        for e in std::fs::read_dir(dir)? {
            let name = e?.file_name();
            if pred(&name) {
                return Ok(Some(name));
            }
        }
        Ok(None)
    }

    fn kind(&self, path: &Path) -> Option<Kind> {
        std::fs::symlink_metadata(path)
            .ok()
            .map(|m| Kind::of(m.file_type()))
    }

    fn links(&self, path: &Path) -> Option<u64> {
        std::fs::symlink_metadata(path).ok().map(|m| m.nlink())
    }

    fn canonical(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::read_link(path)
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
