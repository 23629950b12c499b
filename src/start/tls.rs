//! `zkpod start --tls-dir` (issue 13): the plan's TLS step. Pure: it takes
//! the Secret's files as read by `facts` and decides, before anything is
//! written, whether they can serve this pod, what zoo.cfg says about TLS,
//! where the plaintext client port listens, and the three files written in
//! the conf dir (`tls::stores`: the key store, mode 0600; the trust store;
//! `tls.source`, which the probes refresh the stores from).
//!
//! Refusals (exit code 11, nothing changed): a file missing or unreadable
//! for the user zkpod runs as, not PEM, an encrypted key, a key that does
//! not match the certificate, a certificate another CA issued, expired or
//! not yet valid, without server and client usage, or without a SAN for
//! the pod's FQDN (quorum TLS verifies peers' host names). Exit code 4 for
//! a ZooKeeper without PEM stores, a `--set` of a key `--tls-dir` writes, a
//! secure port that clashes, and `--client_address` outside loopback with
//! `--plaintext-client loopback`.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use rustls_pki_types::UnixTime;

use crate::config::settings::{self, Settings, TlsSettings};
use crate::config::tls_source::{self, State};
use crate::config::version::{v, Version};
use crate::config::{flags, values};
use crate::start::input::{Plaintext, TlsInput};
use crate::sys::fs::FileSpec;
use crate::sys::report::{self, diagnose, Code, Warning};
use crate::tls::check::{self, Material, Problem};
use crate::tls::stores;

/// The first release with PEM key and trust stores (`ssl.keyStore.type=PEM`).
pub const PEM_SINCE: Version = v(3, 5, 5);

/// What the TLS step decided.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsPlan {
    /// The conf dir's key store, trust store and `tls.source`, with modes.
    pub files: Vec<FileSpec>,
    /// The key store's path (chowned to the ZooKeeper user when root).
    pub keystore: std::path::PathBuf,
    /// The summary line: the names and the expiry.
    pub summary: String,
    pub secure_port: u16,
    pub plaintext: Plaintext,
    /// The Secret's directory (the peers are asked over TLS with it).
    pub dir: std::path::PathBuf,
}

impl std::fmt::Debug for TlsPlan {
    /// Without the key store's bytes: it holds the private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsPlan")
            .field("keystore", &self.keystore)
            .field("summary", &self.summary)
            .field("secure_port", &self.secure_port)
            .field("plaintext", &self.plaintext)
            .finish_non_exhaustive()
    }
}

/// Every key the TLS step writes: `--set` may not give them too.
pub fn owned_keys() -> Vec<&'static str> {
    let t = TlsSettings {
        secure_port: 0,
        keystore: "k".into(),
        truststore: "t".into(),
    };
    settings::tls_entries(&t, v(3, 9, 0))
        .into_iter()
        .map(|(k, _)| k.name)
        .collect()
}

/// Turns a material [`Problem`] into the start's refusal (exit code 11).
pub fn refusal(p: &Problem) -> anyhow::Error {
    let (what, means, fix) = p.parts();
    diagnose(
        Code::Tls,
        what,
        format!("{means}; zkpod start changed nothing"),
        fix,
    )
}

/// `--tls-dir` (ZOO_TLS_DIR), clean: absolute, no `..`, only
/// `values::PATH_CHARS` (as `--data_dir` and `--conf_dir` are checked), so
/// that no line break or control character reaches `tls.source`, zoo.cfg's
/// neighbours or a log line (issue 8).
///
/// Fails (exit code 4) with the flag, its variable and what is wrong.
pub fn check_dir(dir: &Path) -> Result<std::path::PathBuf> {
    values::clean_path(dir).map_err(|why| {
        diagnose(
            Code::Config,
            format!("{} {} {why}", flags::origin("--tls-dir"), report::path(dir)),
            "zkpod records the directory in tls.source, where the probes find the Secret again, and names it in its messages",
            format!(
                "mount the cert-manager Secret at an absolute path of {}, e.g. /etc/zookeeper/tls, and pass that path",
                values::PATH_CHARS
            ),
        )
    })
}

/// The pod-independent checks on the flags, done before the settings are
/// built: the directory, the plaintext listener and the secure port. Changes
/// `--client_address` to 127.0.0.1 for `--plaintext-client loopback`.
///
/// Fails (exit code 4) for a `--tls-dir` that is not a clean path, a
/// `--client_address` outside loopback with
/// `--plaintext-client loopback`, or a secure port equal to another port.
pub fn adjust_settings(t: &TlsInput, s: &mut settings::SettingsInput) -> Result<()> {
    check_dir(&t.dir)?;
    if t.plaintext == Plaintext::Loopback {
        match s.client_address.as_deref() {
            None => s.client_address = Some("127.0.0.1".to_string()),
            Some(a) if is_loopback(a) => {}
            Some(a) => {
                return Err(diagnose(
                    Code::Config,
                    format!("--client_address {a} with --tls-dir and --plaintext-client loopback (the default)"),
                    "the plaintext client port would be reachable from outside the pod, which loopback mode exists to prevent",
                    "drop --client_address (ZOO_CLIENT_ADDRESS): with --tls-dir the plaintext port listens on 127.0.0.1; or pass --plaintext-client all (ZOO_PLAINTEXT_CLIENT=all) while clients move to TLS",
                ));
            }
        }
    }
    for (flag, port) in [
        ("--client_port", s.client_port),
        ("--server_port", s.server_port),
        ("--election_port", s.election_port),
    ]
    .into_iter()
    .chain(s.admin_server.then_some(("--admin-port", s.admin_port)))
    .chain(s.metrics_port.map(|p| ("--metrics-port", p)))
    {
        if port == t.secure_port {
            return Err(diagnose(
                Code::Config,
                format!("--secure-client-port and {flag} are both {port}"),
                "ZooKeeper would fail to bind the second listener",
                "give the TLS client port its own port (default 2281): --secure-client-port (ZOO_SECURE_CLIENT_PORT)",
            ));
        }
    }
    Ok(())
}

fn is_loopback(a: &str) -> bool {
    a == "localhost"
        || a.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Decides the TLS part of the plan for a server whose certificate must
/// name `fqdn` (`None`: a standalone server without a domain, checked for
/// no name) and sets `settings.tls`.
///
/// Fails (exit code 11) for unusable material, (exit code 4) for a
/// ZooKeeper older than 3.5.5 or of unknown release, or a `--set` of a key
/// the TLS step writes.
pub fn plan(
    t: &TlsInput,
    material: &Result<Material, Problem>,
    now_secs: u64,
    release: Option<Version>,
    fqdn: Option<&str>,
    conf_dir: &Path,
    settings: &mut Settings,
) -> Result<TlsPlan> {
    match release {
        Some(r) if r >= PEM_SINCE => {}
        found => {
            return Err(diagnose(
                Code::Config,
                format!(
                    "--tls-dir needs ZooKeeper {PEM_SINCE} or later, and the installation is {}",
                    found.map_or("of an unknown release".to_string(), |r| r.to_string())
                ),
                "ZooKeeper reads PEM key and trust stores only since 3.5.5; zkpod start changed nothing",
                "run ZooKeeper 3.5.5 or later (the image's default is 3.9), or drop --tls-dir (ZOO_TLS_DIR)",
            ));
        }
    }
    let owned = owned_keys();
    if let Some((k, _)) = settings
        .extra
        .iter()
        .find(|(k, _)| owned.contains(&k.as_str()))
    {
        return Err(diagnose(
            Code::Config,
            format!("--set {k}=... with --tls-dir"),
            "zkpod writes that key for TLS itself, and two values would leave it unclear which one ZooKeeper uses",
            format!("drop {k} from --set (ZOO_CFG_EXTRA); --tls-dir and --secure-client-port decide it"),
        ));
    }
    let m = material.as_ref().map_err(refusal)?;
    let now = UnixTime::since_unix_epoch(Duration::from_secs(now_secs));
    let report = check::check(m, now, fqdn).map_err(|p| refusal(&p))?;
    let (keystore, truststore) = stores::render_stores(m).map_err(|p| refusal(&p))?;
    let ks_path = conf_dir.join(stores::KEYSTORE);
    let ts_path = conf_dir.join(stores::TRUSTSTORE);
    let dir = check_dir(&t.dir)?;
    let state = tls_source::render(&State {
        source: dir.clone(),
        name: fqdn.map(str::to_string),
    })
    .map_err(|why| {
        diagnose(
            Code::Config,
            why,
            "the probes could not find the Secret to refresh the stores from",
            "report this as a bug in zkpod: the start checks --tls-dir and the pod's name before it records them",
        )
    })?;
    settings.tls = Some(TlsSettings {
        secure_port: t.secure_port,
        keystore: ks_path.clone(),
        truststore: ts_path.clone(),
    });
    let expires = report
        .not_after
        .map(|n| format!(", expires {}", crate::tls::time::rfc3339(n)))
        .unwrap_or_default();
    let plain = match t.plaintext {
        Plaintext::Loopback => "plaintext only on 127.0.0.1",
        Plaintext::All => "plaintext on every address too (--plaintext-client all)",
    };
    Ok(TlsPlan {
        files: vec![
            // The trust store first: a probe's refresh renames in this order
            // too, so a new CA is trusted before a certificate it signed.
            (ts_path, truststore, 0o644),
            (ks_path.clone(), keystore, 0o600),
            (conf_dir.join(stores::STATE), state.into_bytes(), 0o644),
        ],
        keystore: ks_path,
        summary: format!(
            "TLS: clients on port {} and the quorum, certificate for {}{expires}; {plain}",
            t.secure_port,
            fqdn.unwrap_or("(standalone: no name checked)"),
        ),
        secure_port: t.secure_port,
        plaintext: t.plaintext,
        dir,
    })
}

/// After the membership decision: whether the committed configuration
/// keeps this server's plaintext client port on more than loopback although
/// `--plaintext-client loopback` asked for less. ZooKeeper takes the client
/// address from the server's committed line (an ensemble made before TLS
/// was turned on has `;0.0.0.0:2181` or none), and zkpod never edits that
/// configuration behind ZooKeeper's back.
pub fn exposure(
    plaintext: Plaintext,
    dynamic: Option<&settings::DynamicSettings>,
    myid: u32,
) -> Option<Warning> {
    let d = dynamic?;
    if plaintext != Plaintext::Loopback || d.client_address.as_deref().is_some_and(is_loopback) {
        return None;
    }
    let addr = d.client_address.as_deref().unwrap_or("0.0.0.0");
    Some(Warning::new(
        format!("the committed configuration gives server {myid} the client address {addr}:{}, not 127.0.0.1", d.client_port),
        "ZooKeeper takes it from there, so the plaintext client port stays reachable from outside the pod despite --plaintext-client loopback",
        format!("move the server's client address once, with the superuser: reconfig -add \"server.{myid}=<its quorum and election part>;127.0.0.1:{}\" (zkCli over TLS), or let it leave and join again (kubectl scale down and up)", d.client_port),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::DynamicSettings;

    #[test]
    fn a_committed_client_address_off_loopback_is_warned_about() {
        let d = |a: Option<&str>| DynamicSettings {
            file: "/v/zoo.cfg.dynamic.100000000".into(),
            client_port: 2181,
            client_address: a.map(str::to_string),
        };
        assert_eq!(
            exposure(Plaintext::Loopback, Some(&d(Some("127.0.0.1"))), 2),
            None
        );
        assert_eq!(exposure(Plaintext::All, Some(&d(None)), 2), None);
        assert_eq!(exposure(Plaintext::Loopback, None, 2), None);
        let w = exposure(Plaintext::Loopback, Some(&d(None)), 2)
            .unwrap()
            .to_string();
        assert!(
            w.starts_with("the committed configuration gives server 2 the client address 0.0.0.0:2181, not 127.0.0.1: "),
            "{w}"
        );
        assert!(w.contains(";127.0.0.1:2181"), "{w}");
    }
}
