//! ZooKeeper's TLS files in the conf dir, and how they are kept in step
//! with the Secret they come from. Pure.
//!
//! `zkpod start --tls-dir` writes, next to zoo.cfg:
//! - [`KEYSTORE`]: the key (PKCS#8) and the certificate chain, mode 0600;
//! - [`TRUSTSTORE`]: the CA certificates, mode 0644;
//! - [`STATE`]: where they come from (the Secret's directory) and the name
//!   the certificate was checked for, so that the probes can refresh them.
//!
//! Why copies, and why the probes refresh them: ZooKeeper watches the
//! directory of its key and trust store and reloads when an event names
//! the file itself (`client.certReload`, `sslQuorumReloadCertFiles`). The
//! kubelet updates a Secret volume by swapping a `..data` symlink, so no
//! event ever names `tls.crt` and ZooKeeper would never reload from the
//! mount; and its PEM loader needs the key and the chain in one file, which
//! a cert-manager Secret does not have. When the Secret changes, the next
//! probe checks the new files exactly as the start did and, if they pass,
//! renames new stores into place: that rename is the event ZooKeeper reloads
//! on. New files that fail a check leave the stores as they are, and
//! [`REFUSED`] says why (`zkpod status` shows it).

use std::path::Path;

use crate::tls::bundle;
use crate::tls::check::{Material, Problem, Sources};

/// The key store: key and chain in one PEM file (ZooKeeper's PEM loader).
pub const KEYSTORE: &str = "keystore.pem";
/// The trust store: the CA certificates.
pub const TRUSTSTORE: &str = "truststore.pem";
/// Where the stores come from (`config::tls_source` renders and parses it
/// as Java Properties).
pub const STATE: &str = "tls.source";
/// Why the Secret's current files were not taken (one line), while they
/// are not.
pub const REFUSED: &str = "tls.refused";

/// The paths of the stores in `conf_dir`.
pub fn store_sources(conf_dir: &Path) -> Sources {
    Sources {
        cert: conf_dir.join(KEYSTORE),
        key: conf_dir.join(KEYSTORE),
        ca: conf_dir.join(TRUSTSTORE),
    }
}

/// The two stores' bytes: (key store, trust store).
///
/// Fails when the key cannot be re-encoded as PKCS#8.
pub fn render_stores(m: &Material) -> Result<(Vec<u8>, Vec<u8>), Problem> {
    Ok((
        bundle::keystore(m)?.into_bytes(),
        bundle::truststore(m).into_bytes(),
    ))
}
