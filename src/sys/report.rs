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

#[cfg(test)]
mod tests {
    use super::*;

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
