//! Certificate rotation without a restart: before it asks ZooKeeper, a probe
//! brings ZooKeeper's key and trust store in the conf dir in step with the
//! Secret they were made from (see `tls::stores` for why copies, and why
//! the probes). Nothing happens when `zkpod start` set up no TLS, or when
//! the Secret's files still render the same stores.
//!
//! New files pass the same checks as at start (key and certificate match,
//! chain to the CA, validity, both usages, the pod's name) before they
//! replace anything; then both stores are renamed into place, each written
//! to a temp file first and fsynced, with the owner of the file it replaces
//! (a root probe must not leave the JVM's key store unreadable to it).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use rustls_pki_types::UnixTime;

use crate::config::tls_source;
use crate::sys::file::{caps, read_capped};
use crate::tls::check::{self, Problem};
use crate::tls::stores::{self, KEYSTORE, REFUSED, STATE, TRUSTSTORE};

/// What a refresh did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    /// No TLS state in the conf dir: nothing to keep in step.
    NoTls,
    /// The stores already hold what the Secret's files render to.
    Unchanged,
    /// New stores were renamed into place.
    Replaced,
    /// The Secret's files fail a check (or cannot be read): the stores were
    /// left as they are, and [`REFUSED`] holds this line.
    Refused(Problem),
    /// Writing failed (as the OS says); the old stores are in place.
    Failed(String),
}

/// Keeps the stores in `conf_dir` in step with their Secret, checking new
/// files at time `now`.
pub fn refresh(conf_dir: &Path, now: UnixTime) -> Refresh {
    let state = match read_capped(&conf_dir.join(STATE), caps::TLS_RECORD) {
        Ok(b) => match tls_source::parse(&b) {
            Some(s) => s,
            None => return Refresh::NoTls,
        },
        Err(_) => return Refresh::NoTls,
    };
    let refused = |p: Problem| {
        let _ = write_file(
            &conf_dir.join(REFUSED),
            format!("{}\n", p.line()).as_bytes(),
            0o644,
            None,
        );
        Refresh::Refused(p)
    };
    let material = match crate::tls::load(crate::tls::secret_layout(&state.source)) {
        Ok(m) => m,
        Err(p) => return refused(p),
    };
    let (keystore, truststore) = match stores::render_stores(&material) {
        Ok(s) => s,
        Err(p) => return refused(p),
    };
    let ks_path = conf_dir.join(KEYSTORE);
    let ts_path = conf_dir.join(TRUSTSTORE);
    let same = |p: &Path, want: &[u8]| read_capped(p, caps::PEM).is_ok_and(|b| b == want);
    if same(&ks_path, &keystore) && same(&ts_path, &truststore) {
        let _ = fs::remove_file(conf_dir.join(REFUSED));
        return Refresh::Unchanged;
    }
    if let Err(p) = check::check(&material, now, state.name.as_deref()) {
        return refused(p);
    }
    let owner = fs::metadata(&ks_path).ok().map(|m| (m.uid(), m.gid()));
    // The trust store first: a new CA must be trusted before a certificate
    // it issued is presented.
    for (path, bytes, mode) in [(&ts_path, &truststore, 0o644), (&ks_path, &keystore, 0o600)] {
        if let Err(e) = write_file(path, bytes, mode, owner) {
            return Refresh::Failed(format!("{}: {e}", path.display()));
        }
    }
    let _ = fs::remove_file(conf_dir.join(REFUSED));
    Refresh::Replaced
}

/// Writes `bytes` to `path` atomically: a new temp file beside it (never
/// following a planted symlink), the owner set when running as root,
/// fsynced, renamed over `path`, and the directory fsynced.
fn write_file(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.zkpod-{}", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&tmp)?;
        if let Some((uid, gid)) = owner.filter(|_| nix::unistd::geteuid().is_root()) {
            std::os::unix::fs::fchown(&f, Some(uid), Some(gid))?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tls_source::{render, State};
    use crate::tls::testpki::{now, Ca, Leaf};

    const FQDN: &str = "zk-0.zk-hs.default.svc.cluster.local";

    struct Pod {
        _dir: tempfile::TempDir,
        secret: std::path::PathBuf,
        conf: std::path::PathBuf,
    }

    /// A conf dir as zkpod start leaves it, from a Secret of `ca`'s.
    fn pod(ca: &Ca) -> Pod {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        let conf = dir.path().join("conf");
        fs::create_dir_all(&secret).unwrap();
        fs::create_dir_all(&conf).unwrap();
        issue(ca, &secret, &Leaf::default());
        let state = State {
            source: secret.clone(),
            name: Some(FQDN.into()),
        };
        fs::write(conf.join(STATE), render(&state).unwrap()).unwrap();
        let p = Pod {
            _dir: dir,
            secret,
            conf,
        };
        assert_eq!(refresh(&p.conf, now()), Refresh::Replaced);
        p
    }

    fn issue(ca: &Ca, dir: &Path, leaf: &Leaf) {
        let (cert, key) = ca.issue(leaf);
        fs::write(dir.join("tls.crt"), cert).unwrap();
        fs::write(dir.join("tls.key"), key).unwrap();
        fs::write(dir.join("ca.crt"), &ca.pem).unwrap();
    }

    #[test]
    fn a_rotated_secret_replaces_the_stores_once() {
        let ca = Ca::new("zkpod test CA");
        let p = pod(&ca);
        let before = fs::read(p.conf.join(KEYSTORE)).unwrap();
        assert_eq!(refresh(&p.conf, now()), Refresh::Unchanged);
        issue(&ca, &p.secret, &Leaf::default());
        assert_eq!(refresh(&p.conf, now()), Refresh::Replaced);
        let after = fs::read(p.conf.join(KEYSTORE)).unwrap();
        assert_ne!(before, after);
        assert_eq!(refresh(&p.conf, now()), Refresh::Unchanged);
        let mode = fs::metadata(p.conf.join(KEYSTORE)).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // No temp file is left behind.
        let names: Vec<String> = fs::read_dir(&p.conf)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    }

    #[test]
    fn bad_new_files_keep_the_old_stores_and_say_why() {
        let ca = Ca::new("zkpod test CA");
        let p = pod(&ca);
        let before = fs::read(p.conf.join(KEYSTORE)).unwrap();
        // A certificate for another pod's name.
        issue(
            &ca,
            &p.secret,
            &Leaf {
                names: vec!["zk-7.zk-hs.default.svc.cluster.local".into()],
                ..Leaf::default()
            },
        );
        let r = refresh(&p.conf, now());
        assert!(
            matches!(r, Refresh::Refused(Problem::NoSan { .. })),
            "{r:?}"
        );
        assert_eq!(fs::read(p.conf.join(KEYSTORE)).unwrap(), before);
        let why = fs::read_to_string(p.conf.join(REFUSED)).unwrap();
        assert!(
            why.contains(
                "has no subject alternative name for zk-0.zk-hs.default.svc.cluster.local"
            ),
            "{why}"
        );
        // A torn Secret (the key of another certificate).
        let (_, other_key) = ca.issue(&Leaf::default());
        issue(&ca, &p.secret, &Leaf::default());
        fs::write(p.secret.join("tls.key"), other_key).unwrap();
        assert!(matches!(
            refresh(&p.conf, now()),
            Refresh::Refused(Problem::KeyMismatch { .. })
        ));
        assert_eq!(fs::read(p.conf.join(KEYSTORE)).unwrap(), before);
        // Good files again: taken, and the note is gone.
        issue(&ca, &p.secret, &Leaf::default());
        assert_eq!(refresh(&p.conf, now()), Refresh::Replaced);
        assert!(!p.conf.join(REFUSED).exists());
    }

    #[test]
    fn without_tls_state_nothing_happens() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(refresh(dir.path(), now()), Refresh::NoTls);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
