//! TLS material: the PEM files of a cert-manager Secret (`tls.crt`,
//! `tls.key`, `ca.crt`), parsed ([`pem`]), checked before use ([`check`]),
//! and turned into the single key store and the trust store that
//! ZooKeeper's PEM loader reads ([`bundle`]). Pure, apart from [`load`],
//! which reads the files.
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

use std::io::ErrorKind;
use std::path::Path;

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

/// The most a PEM file zkpod reads may hold: a key and a long chain are a
/// few KiB; a file past this is not one.
pub const PEM_CAP: u64 = 1 << 20;

/// Reads at most [`PEM_CAP`] bytes of a regular file (following symlinks,
/// as a Secret volume's files are). Fails with the OS error, or
/// `InvalidData` for a file that is not regular or is larger.
pub fn read_pem_file(p: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(p)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::new(
            ErrorKind::InvalidData,
            "not a regular file",
        ));
    }
    let mut buf = Vec::new();
    f.take(PEM_CAP + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > PEM_CAP {
        return Err(std::io::Error::new(
            ErrorKind::InvalidData,
            "larger than 1 MiB",
        ));
    }
    Ok(buf)
}

/// Reads and parses the material named by `sources` (the key and the
/// certificate may be one file). Fails with the first file that cannot be
/// read or parsed.
pub fn load(sources: Sources) -> Result<Material, Problem> {
    let read = |p: &Path| {
        read_pem_file(p).map_err(|e| Problem::Unreadable {
            file: p.to_path_buf(),
            detail: e.to_string(),
            missing: e.kind() == ErrorKind::NotFound,
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
