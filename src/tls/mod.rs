//! TLS material: the PEM files of a cert-manager Secret (`tls.crt`,
//! `tls.key`, `ca.crt`), parsed ([`pem`]), checked before use ([`check`]),
//! and turned into the single key store and the trust store that
//! ZooKeeper's PEM loader reads ([`bundle`]). Pure, apart from [`load`],
//! which reads the files through `sys::file::read_capped` (bounded,
//! regular files only, an open that cannot block).
//!
//! The start path checks the material before it writes anything; the
//! client layer loads ZooKeeper's key store and trust store back for the
//! probes. Both refuse with [`check::Problem`]'s one-line messages.

pub mod bundle;
pub mod check;
pub mod pem;
pub mod stores;
pub mod time;

#[cfg(test)]
pub(crate) mod testpki;

use std::path::Path;

use crate::sys::file::{caps, read_capped};
use check::{Material, Problem, Sources};

/// The file names in cert-manager's Secret layout (a `kubernetes.io/tls`
/// Secret plus the CA).
pub const CERT_FILE: &str = "tls.crt";
pub const KEY_FILE: &str = "tls.key";
pub const CA_FILE: &str = "ca.crt";

/// The sources of a directory in cert-manager's layout.
pub fn secret_layout(dir: &Path) -> Sources {
    Sources {
        cert: dir.join(CERT_FILE),
        key: dir.join(KEY_FILE),
        ca: dir.join(CA_FILE),
    }
}

/// Reads and parses the material named by `sources` (the key and the
/// certificate may be one file). Fails with the first file that cannot be
/// read or parsed.
pub fn load(sources: Sources) -> Result<Material, Problem> {
    // Bounded and typed (issue 8): a FIFO or a 1 GiB file planted as
    // tls.key fails at once, and the failure says what the file is, never
    // what it holds. Symlinks are followed: the kubelet's Secret volume is
    // `tls.key -> ..data/tls.key -> ..2024_01_01_00_00_00.1/tls.key`.
    let read = |p: &Path| {
        read_capped(p, caps::PEM).map_err(|error| Problem::Unreadable {
            file: p.to_path_buf(),
            error,
        })
    };
    let cert = read(&sources.cert)?;
    let key = if sources.key == sources.cert {
        cert.clone()
    } else {
        read(&sources.key)?
    };
    let ca = read(&sources.ca)?;
    check::parse_material(sources, &cert, &key, &ca)
}
