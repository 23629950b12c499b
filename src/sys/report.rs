//! What zkpod tells an operator: failures with their exit codes, and warnings.
//!
//! Every failure zkpod reports to an operator is a [`Failure`]: one line that
//! names the thing that is wrong, what it means, and the exact fix, plus a
//! documented exit code. `main` prints it once as `zkpod: <message>` and exits
//! with its code. Errors that are not a `Failure` (an unexpected I/O error with
//! context) exit with the caller's default code. A [`Warning`] has the same
//! three parts and the same one-line form; the start goes on after it.

use std::fmt;

/// The exit codes zkpod documents in the README. The numbers are part of the
/// interface: scripts and kubelets act on them, so never renumber one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Success; for probes: healthy.
    Ok = 0,
    /// Probes and diagnostics: the server is not healthy or did not answer.
    Unhealthy = 1,
    /// Bad command-line flags or arguments (clap's own code).
    Usage = 2,
    /// The pod identity cannot be derived: hostname without an ordinal,
    /// id outside the ensemble.
    Identity = 3,
    /// A setting is invalid: flag value, environment variable, zoo.cfg key.
    Config = 4,
    /// The data volume belongs to another server or holds data without a
    /// myid; zkpod refuses to start rather than corrupt the ensemble.
    DataGuard = 5,
    /// A directory is not writable, or ownership/privileges cannot be set.
    Permission = 6,
    /// ZooKeeper itself (its jars, its logging binding) was not found.
    Install = 7,
    /// An unexpected I/O error while writing files.
    Io = 8,
    /// `zkpod start` cannot start this server safely yet (dynamic
    /// membership: no serving ensemble to join, or no committed
    /// configuration that lists it); nothing was changed. The kubelet
    /// restarts the container, and it asks again.
    Waiting = 9,
    /// `zkpod join` / `zkpod leave` could not change the membership (no
    /// quorum, no superuser password, the deadline passed).
    Membership = 10,
    /// `zkpod start --tls-dir`: the TLS material is missing, unreadable or
    /// unusable (key/certificate mismatch, expired, another CA, no SAN for
    /// the pod); nothing was changed.
    Tls = 11,
    /// `java` exists but cannot be executed (as tini and the shells do).
    NotExecutable = 126,
    /// `java` was not found (as tini and the shells do).
    NotFound = 127,
}

impl Code {
    /// The process exit status for this code.
    pub fn as_i32(self) -> i32 {
        self as i32
    }
}

/// An operator-facing failure: a complete one-line diagnosis and its code.
#[derive(Debug)]
pub struct Failure {
    pub code: Code,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The one-line form of a diagnosis: `<what>: <means>. Fix: <fix>`.
fn three_parts(
    what: impl fmt::Display,
    means: impl fmt::Display,
    fix: impl fmt::Display,
) -> String {
    format!("{what}: {means}. Fix: {fix}")
}

/// Something valid but probably not what was meant: the problem (`what`),
/// its consequence (`means`) and the `fix`, like a [`Failure`]'s message.
/// zkpod logs it as `zkpod: WARN: <what>: <means>. Fix: <fix>` and goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub what: String,
    pub means: String,
    pub fix: String,
}

impl Warning {
    pub fn new(
        what: impl fmt::Display,
        means: impl fmt::Display,
        fix: impl fmt::Display,
    ) -> Warning {
        Warning {
            what: what.to_string(),
            means: means.to_string(),
            fix: fix.to_string(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&three_parts(&self.what, &self.means, &self.fix))
    }
}

/// Builds a failure from its three parts: `what` is wrong (naming the thing),
/// what it `means` for the server, and the exact `fix`.
///
/// Rendered as `<what>: <means>. Fix: <fix>` on one line.
pub fn diagnose(
    code: Code,
    what: impl fmt::Display,
    means: impl fmt::Display,
    fix: impl fmt::Display,
) -> anyhow::Error {
    anyhow::Error::new(Failure {
        code,
        message: three_parts(what, means, fix),
    })
}

/// Builds a failure whose message is already complete (used where the three
/// parts do not split naturally, such as a probe's one-line verdict).
pub fn fail(code: Code, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure {
        code,
        message: message.into(),
    })
}

/// The exit code for an error: the code of the first [`Failure`] in its
/// chain, else `default`.
pub fn code_of(err: &anyhow::Error, default: Code) -> Code {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .map_or(default, |f| f.code)
}

/// The longest line zkpod prints: a message with a long path and its fix
/// fits, a 5 MB reply quoted into one does not.
pub const MAX_LINE: usize = 2048;

/// How many characters of an outside value (a flag, a file, a reply) a
/// message quotes.
pub const SHOWN_MAX: usize = 96;

/// Whether `c` must not reach a log line raw: control characters (a line
/// break would start a forged `zkpod:` line) and the Unicode marks that
/// reorder or hide text.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// Escapes `s` into at most `max` characters of output, never cutting an
/// escape in half, with `...` after when it had to stop.
fn escaped(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    let mut piece = String::new();
    for c in s.chars() {
        piece.clear();
        push_escaped(&mut piece, c);
        let n = piece.chars().count();
        if len + n > max {
            out.push_str("...");
            break;
        }
        out.push_str(&piece);
        len += n;
    }
    out
}

/// An outside value for a message, unquoted: control characters escaped
/// (`\n`, `\u{1b}`), at most [`SHOWN_MAX`] characters shown, then `...`.
pub fn clean(s: &str) -> String {
    escaped(s, SHOWN_MAX)
}

/// An outside value for a message, in single quotes (see [`clean`]).
pub fn shown(s: &str) -> String {
    format!("'{}'", clean(s))
}

/// Bytes for a message, in single quotes: UTF-8 shown as text, other bytes
/// as `\xNN`, at most [`SHOWN_MAX`] characters shown.
pub fn shown_bytes(b: &[u8]) -> String {
    let mut text = String::new();
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(&mut text, c);
        }
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
        if text.len() > 4 * SHOWN_MAX {
            break;
        }
    }
    // The text is escaped already: cut it without escaping it again.
    let mut out = String::from("'");
    for (i, c) in text.chars().enumerate() {
        if i == SHOWN_MAX {
            // Do not leave half an escape before the dots.
            if let Some(cut) = out
                .rfind('\\')
                .filter(|&p| out.len() - p < 10 && !out[p..].ends_with('}') && out.len() - p != 4)
            {
                out.truncate(cut);
            }
            out.push_str("...");
            break;
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A path for a message: its bytes as [`shown_bytes`] shows them, without
/// the quotes when it is plain printable text.
pub fn path(p: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = p.as_os_str().as_bytes();
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(unsafe_char) && s.chars().count() <= 4 * SHOWN_MAX => s.to_string(),
        _ => shown_bytes(bytes),
    }
}

/// A whole message made safe to print: one line (line breaks and other
/// control characters escaped) of at most [`MAX_LINE`] characters. `main`
/// and zkpod's log pass every line through it, so no value anywhere can
/// forge a second line or flood the log.
pub fn one_line(s: &str) -> String {
    escaped(s, MAX_LINE)
}

/// An OS error on `path` while zkpod did `action` ("write", "create the
/// directory", "lock"), as a failure with its meaning and fix instead of
/// the raw `os error N`: a full disk, no inodes left, a read-only mount, a
/// directory or a symlink loop where a file should be, a path too long.
///
/// The exit code is 6 for what permissions or the mount decide (EACCES,
/// EPERM, EROFS) and 8 for the rest.
pub fn os_failure(action: &str, path: &std::path::Path, e: &std::io::Error) -> anyhow::Error {
    use nix::libc;
    let p = self::path(path);
    let nothing = "nothing was half-written (zkpod writes every file to a temporary name first)";
    let (code, what, means, fix): (Code, String, String, String) = match e.raw_os_error() {
        Some(libc::ENOSPC) => {
            let inodes = no_free_inodes(path);
            let (why, fix) = if inodes {
                ("no free inodes are left on its filesystem", "remove files from the volume (a dataLogDir that was never purged holds many logs: keep --purge_interval above 0) or recreate the filesystem with more inodes")
            } else {
                ("no space is left on its device", "free space on the volume or grow its PersistentVolumeClaim (storage request), then restart the pod")
            };
            (Code::Io, format!("cannot {action} {p}: {why}"), format!("ZooKeeper cannot start without its files; {nothing}"), fix.to_string())
        }
        Some(libc::EDQUOT) => (Code::Io, format!("cannot {action} {p}: the disk quota is exceeded"), format!("ZooKeeper cannot start without its files; {nothing}"), "raise the quota of this user on the volume, or free space on it".to_string()),
        Some(libc::EROFS) => (Code::Permission, format!("cannot {action} {p}: it is on a read-only filesystem"), "zkpod writes its files there on every start".to_string(), "mount the volume read-write (readOnly: false); for --conf_dir mount an emptyDir".to_string()),
        Some(libc::EACCES) | Some(libc::EPERM) => (Code::Permission, format!("cannot {action} {p}: permission denied"), "this user may not change it".to_string(), "set spec.securityContext.fsGroup so Kubernetes makes the volume writable for the pod, or run the container as the owner of the path".to_string()),
        Some(libc::EISDIR) => (Code::Io, format!("cannot {action} {p}: it is a directory"), "zkpod needs a file of that name there".to_string(), format!("move the directory {p} out of the way")),
        Some(libc::ELOOP) => (Code::Io, format!("cannot {action} {p}: it is a symlink loop (or a symlink where none may be)"), "zkpod does not follow it".to_string(), format!("replace the symlink {p} with the file or directory itself")),
        Some(libc::ENOTDIR) => (Code::Io, format!("cannot {action} {p}: a component of the path is a file, not a directory"), "the path cannot exist as given".to_string(), "point the flag at a directory path (check each parent with ls -ld)".to_string()),
        Some(libc::ENAMETOOLONG) => (Code::Io, format!("cannot {action} {p}: the path or one of its names is too long"), "the filesystem cannot hold it".to_string(), "use a shorter path (at most 4095 bytes, 255 per name)".to_string()),
        Some(libc::EIO) => (Code::Io, format!("cannot {action} {p}: input/output error"), "the disk or the network storage under the volume failed".to_string(), "check the node's kernel log (dmesg) and the storage behind the PersistentVolume".to_string()),
        _ => (Code::Io, format!("cannot {action} {p}: {}", crate::sys::file::io_text(e)), "zkpod stopped before starting ZooKeeper".to_string(), "check the volume and the path; restart the pod once it is fixed".to_string()),
    };
    diagnose(code, what, means, fix)
}

/// Whether the filesystem holding `path` (or its nearest existing parent)
/// reports no free inodes.
fn no_free_inodes(path: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Some(dir) = path.ancestors().find(|p| p.exists()) else {
        return false;
    };
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    let mut st = std::mem::MaybeUninit::<nix::libc::statvfs>::uninit();
    // SAFETY: `c` is a NUL-terminated path that outlives the call, and `st`
    // is written by statvfs before it is read (only when it returns 0).
    let rc = unsafe { nix::libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return false;
    }
    // SAFETY: statvfs returned 0, so it filled `st`.
    let st = unsafe { st.assume_init() };
    st.f_files > 0 && st.f_ffree == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_message_shows_is_bounded_in_output_characters() {
        let del = "\u{7f}".repeat(1000);
        let c = clean(&del);
        assert!(c.chars().count() <= SHOWN_MAX + 3, "{}", c.chars().count());
        assert!(c.ends_with("\\u{7f}..."), "{c}");
        let l = one_line(&del.repeat(10));
        assert!(l.chars().count() <= MAX_LINE + 3);
        assert_eq!(clean("a\nb"), "a\\nb");
        assert_eq!(shown_bytes(b"caf\xe9"), "'caf\\xe9'");
        let b = shown_bytes(&[0xff; 1000]);
        assert!(b.chars().count() <= SHOWN_MAX + 5, "{b}");
        assert!(b.ends_with("\\xff...'"), "{b}");
    }

    #[test]
    fn codes_are_stable() {
        let all = [
            (Code::Ok, 0),
            (Code::Unhealthy, 1),
            (Code::Usage, 2),
            (Code::Identity, 3),
            (Code::Config, 4),
            (Code::DataGuard, 5),
            (Code::Permission, 6),
            (Code::Install, 7),
            (Code::Io, 8),
            (Code::Waiting, 9),
            (Code::Membership, 10),
            (Code::NotExecutable, 126),
            (Code::NotFound, 127),
        ];
        for (code, n) in all {
            assert_eq!(code.as_i32(), n, "{code:?}");
        }
    }

    #[test]
    fn diagnose_renders_three_parts_on_one_line() {
        let e = diagnose(
            Code::Identity,
            "hostname \"web\"",
            "no ordinal",
            "rename it",
        );
        assert_eq!(
            e.to_string(),
            "hostname \"web\": no ordinal. Fix: rename it"
        );
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn warnings_have_the_same_three_parts() {
        let w = Warning::new("--x=0 is odd", "nothing works", "pass --x=1");
        assert_eq!(
            w.to_string(),
            "--x=0 is odd: nothing works. Fix: pass --x=1"
        );
    }

    #[test]
    fn code_of_finds_failure_under_context() {
        let e = fail(Code::DataGuard, "x").context("while starting");
        assert_eq!(code_of(&e, Code::Io), Code::DataGuard);
        let plain = anyhow::anyhow!("disk on fire");
        assert_eq!(code_of(&plain, Code::Io), Code::Io);
    }
}
