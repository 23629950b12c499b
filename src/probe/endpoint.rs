//! Which server a probe or diagnostic asks, and whether over TLS: the flags
//! first, then the zoo.cfg that `zkpod start` wrote, then 127.0.0.1 and
//! ZooKeeper's usual ports.
//!
//! TLS, by default (`--tls auto`), exactly when the port asked is zoo.cfg's
//! `secureClientPort`, and that is the port asked when zoo.cfg has one and
//! no `--port` says otherwise: a probe then checks what clients outside the
//! pod use, with ZooKeeper's own key and trust stores (zoo.cfg's
//! `ssl.keyStore.location` and `ssl.trustStore.location`), and needs no
//! TLS flag at all.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::client::tls::TlsSpec;
use crate::client::Endpoint;
use crate::config::{flags, keys, zoocfg};
use crate::sys::file::FileError;
use crate::sys::report::{self, diagnose, Code};
use crate::tls::check::Sources;

/// A file the probe read its endpoint from (zoo.cfg, or zkpod start's
/// `membership.properties` when ZooKeeper erased the client keys from
/// zoo.cfg): its path, and its bytes or why it could not be read.
pub type Read = Option<(PathBuf, Result<Vec<u8>, FileError>)>;

/// [`resolve`] over a bounded read: the file (`zoo_cfg`, called only when
/// the flags leave something to fill in) must be readable and say a usable
/// client port and address.
///
/// Fails (exit 1, the probes' code) when that file cannot be read (a FIFO,
/// a directory, larger than 1 MiB, no permission) or does not say a usable
/// port or address, or when TLS is asked for without PEM material: probing
/// some other port instead would be a silent lie.
pub fn resolve_read(a: &Ask<'_>, zoo_cfg: impl FnOnce() -> Read) -> anyhow::Result<Endpoint> {
    let mut failure = None;
    let r = resolve(a, || match zoo_cfg() {
        None => None,
        Some((path, Ok(bytes))) => match zoocfg::client_endpoint(&bytes) {
            Ok(_) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(why) => {
                failure = Some(unusable(&path, &why));
                None
            }
        },
        Some((path, Err(e))) => {
            failure = Some(unusable(&path, &e.to_string()));
            None
        }
    });
    if let Some(f) = failure {
        return Err(f);
    }
    r.map_err(|m| report::fail(Code::Unhealthy, m))
}

fn unusable(cfg: &Path, why: &str) -> anyhow::Error {
    diagnose(
        Code::Unhealthy,
        format!("{} {why}", report::path(cfg)),
        "the probe cannot tell where ZooKeeper takes clients, and will not guess",
        format!(
            "point {} at the dir zkpod start writes zoo.cfg to, or pass {} and {}",
            flags::origin("--conf_dir"),
            flags::origin("--port"),
            flags::origin("--host")
        ),
    )
}

/// The host asked when neither a flag nor zoo.cfg names one.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// ZooKeeper's usual secure client port (its documentation's example).
pub const DEFAULT_SECURE_PORT: u16 = 2281;

/// `--tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsChoice {
    /// TLS when the port is zoo.cfg's secureClientPort.
    Auto,
    On,
    Off,
}

/// What the flags ask for, as plain values.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub host: Option<&'a str>,
    pub port: Option<u16>,
    pub timeout: Duration,
    pub tls: TlsChoice,
    /// `--tls-dir`: the probe's own material in cert-manager's layout,
    /// instead of zoo.cfg's stores.
    pub tls_dir: Option<&'a Path>,
    pub tls_server_name: Option<&'a str>,
    /// Where zoo.cfg is (for messages).
    pub conf_dir: &'a Path,
}

/// Fills in the host, port and TLS (see the module doc). `zoo_cfg` is
/// called only when the flags leave something to fill in.
///
/// Fails with a one-line message when TLS is asked for but zoo.cfg names no
/// PEM key and trust store and no `--tls-dir` is given.
pub fn resolve(a: &Ask<'_>, zoo_cfg: impl FnOnce() -> Option<String>) -> Result<Endpoint, String> {
    let flags_decide = a.host.is_some() && a.port.is_some() && a.tls == TlsChoice::Off;
    let cfg = if flags_decide {
        zoocfg::ClientPorts::default()
    } else {
        zoo_cfg()
            .as_deref()
            .map(|t| zoocfg::client_ports(t.as_bytes()))
            .unwrap_or_default()
    };
    let zoo_cfg_path = a.conf_dir.join("zoo.cfg");
    let has_material = a.tls_dir.is_some() || cfg.keystore.is_some();
    let tls = match (a.tls, a.port) {
        (TlsChoice::On, _) => true,
        (TlsChoice::Off, _) => false,
        (TlsChoice::Auto, Some(p)) => cfg.secure == Some(p),
        (TlsChoice::Auto, None) => cfg.secure.is_some() && (has_material || cfg.plain.is_none()),
    };
    let plain_default = keys::CLIENT_PORT
        .flag_default()
        .parse()
        .expect("the key table's clientPort default is a port");
    let (port, address) = if tls {
        (
            cfg.secure.unwrap_or(DEFAULT_SECURE_PORT),
            cfg.secure_address.clone(),
        )
    } else {
        (
            cfg.plain.unwrap_or(plain_default),
            cfg.plain_address.clone(),
        )
    };
    let spec = if tls {
        Some(tls_spec(a, &cfg, &zoo_cfg_path)?)
    } else {
        None
    };
    Ok(Endpoint {
        host: a
            .host
            .map(str::to_string)
            .or(address)
            .unwrap_or_else(|| DEFAULT_HOST.to_string()),
        port: a.port.unwrap_or(port),
        timeout: a.timeout,
        tls: spec,
    })
}

fn tls_spec(a: &Ask<'_>, cfg: &zoocfg::ClientPorts, zoo_cfg: &Path) -> Result<TlsSpec, String> {
    let server_name = a.tls_server_name.map(str::to_string);
    if let Some(dir) = a.tls_dir {
        return Ok(TlsSpec {
            sources: crate::tls::secret_layout(dir),
            origin: format!("--tls-dir {}", dir.display()),
            server_name,
        });
    }
    let zoo = zoo_cfg.display();
    let (Some((keystore, ks_type)), Some((truststore, ts_type))) = (&cfg.keystore, &cfg.truststore)
    else {
        let missing = if cfg.keystore.is_none() {
            keys::SSL_KEYSTORE_LOCATION.name
        } else {
            keys::SSL_TRUSTSTORE_LOCATION.name
        };
        return Err(format!(
            "TLS is on for this probe, but {zoo} names no {missing} and no --tls-dir was given: the probe has no certificate to present or CA to trust (ZooKeeper's secure port asks every client for a certificate). Fix: start ZooKeeper with zkpod start --tls-dir, which writes them, or pass --tls-dir with the directory of a cert-manager Secret (tls.crt, tls.key, ca.crt); for the plaintext port pass --tls off"
        ));
    };
    for (key, kind) in [
        (&keys::SSL_KEYSTORE_TYPE, ks_type),
        (&keys::SSL_TRUSTSTORE_TYPE, ts_type),
    ] {
        if let Some(kind) = kind.as_deref().filter(|k| !k.eq_ignore_ascii_case("PEM")) {
            return Err(format!(
                "{zoo} says {}={kind}: zkpod's probes read PEM key and trust stores only. Fix: pass --tls-dir with the PEM files of a cert-manager Secret (tls.crt, tls.key, ca.crt), or let zkpod start --tls-dir write zoo.cfg (it writes PEM stores)",
                key.name
            ));
        }
    }
    Ok(TlsSpec {
        sources: Sources {
            cert: keystore.into(),
            key: keystore.into(),
            ca: truststore.into(),
        },
        origin: format!(
            "{} and {} in {zoo}",
            keys::SSL_KEYSTORE_LOCATION.name,
            keys::SSL_TRUSTSTORE_LOCATION.name
        ),
        server_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_millis(500);

    fn ask() -> Ask<'static> {
        Ask {
            host: None,
            port: None,
            timeout: T,
            tls: TlsChoice::Auto,
            tls_dir: None,
            tls_server_name: None,
            conf_dir: Path::new("/opt/zookeeper/conf"),
        }
    }

    fn hp(e: &Endpoint) -> (&str, u16, bool) {
        (e.host.as_str(), e.port, e.tls.is_some())
    }

    #[test]
    fn flags_then_zoo_cfg_then_defaults() {
        let cfg = || Some("clientPort=2190\nclientPortAddress=127.0.0.12\n".to_string());
        let e = resolve(&ask(), cfg).unwrap();
        assert_eq!(hp(&e), ("127.0.0.12", 2190, false));
        let e = resolve(
            &Ask {
                host: Some("10.0.0.1"),
                ..ask()
            },
            cfg,
        )
        .unwrap();
        assert_eq!(hp(&e), ("10.0.0.1", 2190, false));
        let e = resolve(
            &Ask {
                port: Some(2181),
                ..ask()
            },
            cfg,
        )
        .unwrap();
        assert_eq!(hp(&e), ("127.0.0.12", 2181, false));
        let e = resolve(&ask(), || None).unwrap();
        assert_eq!(hp(&e), ("127.0.0.1", 2181, false));
        // Both flags and plaintext asked for: zoo.cfg is not read at all.
        let plain = Ask {
            host: Some("h"),
            port: Some(1),
            tls: TlsChoice::Off,
            ..ask()
        };
        let e = resolve(&plain, || panic!("read zoo.cfg")).unwrap();
        assert_eq!((hp(&e), e.timeout), (("h", 1, false), T));
    }

    /// zoo.cfg of a TLS pod: plaintext on loopback only, TLS for everyone.
    const TLS_CFG: &str = "clientPort=2181\nclientPortAddress=127.0.0.1\nsecureClientPort=2281\nssl.keyStore.location=/opt/zookeeper/conf/keystore.pem\nssl.keyStore.type=PEM\nssl.trustStore.location=/opt/zookeeper/conf/truststore.pem\nssl.trustStore.type=PEM\n";

    #[test]
    fn tls_when_the_port_is_the_secure_port() {
        let cfg = || Some(TLS_CFG.to_string());
        let e = resolve(&ask(), cfg).unwrap();
        assert_eq!(hp(&e), ("127.0.0.1", 2281, true));
        let spec = e.tls.unwrap();
        assert_eq!(
            spec.sources.key,
            Path::new("/opt/zookeeper/conf/keystore.pem")
        );
        assert_eq!(spec.sources.cert, spec.sources.key);
        assert_eq!(
            spec.sources.ca,
            Path::new("/opt/zookeeper/conf/truststore.pem")
        );
        assert_eq!(
            spec.origin,
            "ssl.keyStore.location and ssl.trustStore.location in /opt/zookeeper/conf/zoo.cfg"
        );
        // --port 2181 is the plaintext port; --tls off picks it too.
        let e = resolve(
            &Ask {
                port: Some(2181),
                ..ask()
            },
            cfg,
        )
        .unwrap();
        assert_eq!(hp(&e), ("127.0.0.1", 2181, false));
        let e = resolve(
            &Ask {
                tls: TlsChoice::Off,
                ..ask()
            },
            cfg,
        )
        .unwrap();
        assert_eq!(hp(&e), ("127.0.0.1", 2181, false));
        // --tls-dir and --tls-server-name: another pod's or a client's view.
        let other = Ask {
            host: Some("zk-1.zk-hs"),
            tls_dir: Some(Path::new("/etc/client-tls")),
            tls_server_name: Some("zk-1.zk-hs.default.svc.cluster.local"),
            ..ask()
        };
        let e = resolve(&other, cfg).unwrap();
        assert_eq!(hp(&e), ("zk-1.zk-hs", 2281, true));
        let spec = e.tls.unwrap();
        assert_eq!(spec.sources.key, Path::new("/etc/client-tls/tls.key"));
        assert_eq!(spec.origin, "--tls-dir /etc/client-tls");
        assert_eq!(
            spec.server_name.as_deref(),
            Some("zk-1.zk-hs.default.svc.cluster.local")
        );
    }

    #[test]
    fn tls_without_pem_stores_is_refused() {
        let e = resolve(
            &Ask {
                tls: TlsChoice::On,
                ..ask()
            },
            || None,
        )
        .unwrap_err();
        assert_eq!(
            e,
            "TLS is on for this probe, but /opt/zookeeper/conf/zoo.cfg names no ssl.keyStore.location and no --tls-dir was given: the probe has no certificate to present or CA to trust (ZooKeeper's secure port asks every client for a certificate). Fix: start ZooKeeper with zkpod start --tls-dir, which writes them, or pass --tls-dir with the directory of a cert-manager Secret (tls.crt, tls.key, ca.crt); for the plaintext port pass --tls off"
        );
        let jks = TLS_CFG.replace("ssl.trustStore.type=PEM", "ssl.trustStore.type=JKS");
        let e = resolve(&ask(), || Some(jks.clone())).unwrap_err();
        assert!(
            e.starts_with("/opt/zookeeper/conf/zoo.cfg says ssl.trustStore.type=JKS: zkpod's probes read PEM key and trust stores only. Fix: "),
            "{e}"
        );
        // A secure port without stores, next to a plaintext one: plaintext.
        let bare = "clientPort=2181\nsecureClientPort=2281\n";
        let e = resolve(&ask(), || Some(bare.to_string())).unwrap();
        assert_eq!(hp(&e), ("127.0.0.1", 2181, false));
    }

    fn r(
        host: Option<&str>,
        port: Option<u16>,
        cfg: impl FnOnce() -> Result<Option<Vec<u8>>, FileError>,
    ) -> anyhow::Result<Endpoint> {
        let a = Ask {
            host,
            port,
            tls: TlsChoice::Off,
            ..ask()
        };
        resolve_read(&a, || match cfg() {
            Ok(None) => None,
            Ok(Some(b)) => Some((PathBuf::from("/c/zoo.cfg"), Ok(b))),
            Err(e) => Some((PathBuf::from("/c/zoo.cfg"), Err(e))),
        })
    }

    #[test]
    fn a_zoo_cfg_that_cannot_say_is_a_failure_not_a_guess() {
        let line = |cfg: Result<Option<Vec<u8>>, FileError>| {
            let e = r(None, None, || cfg).unwrap_err();
            assert_eq!(report::code_of(&e, Code::Io), Code::Unhealthy);
            e.to_string()
        };
        let m = line(Ok(Some(b"clientPort=218100\n".to_vec())));
        assert!(m.starts_with("/c/zoo.cfg sets clientPort='218100', which is not a port from 1 to 65535: the probe cannot tell"), "{m}");
        assert!(m.contains("Fix: point --conf_dir (ZOO_CONF_DIR) at"), "{m}");
        let m = line(Ok(Some(b"clientPort=0\n".to_vec())));
        assert!(m.contains("clientPort='0', which is not a port"), "{m}");
        let m = line(Ok(Some(b"clientPortAddress=a b\n".to_vec())));
        assert!(
            m.contains("clientPortAddress='a b', which is neither an IP address nor a DNS name"),
            "{m}"
        );
        let m = line(Err(FileError::NotRegular("a FIFO")));
        assert!(
            m.starts_with("/c/zoo.cfg is a FIFO, not a regular file: "),
            "{m}"
        );
        let m = line(Err(FileError::TooLarge { cap: 1 << 20 }));
        assert!(m.starts_with("/c/zoo.cfg is larger than 1 MiB: "), "{m}");
        let m = line(Ok(Some(b"clientPort=\\u21\n".to_vec())));
        assert!(m.contains("line 1 has a malformed \\uXXXX escape"), "{m}");
        // Both flags given: zoo.cfg is not read at all.
        let e = r(Some("h"), Some(1), || panic!("read zoo.cfg")).unwrap();
        assert_eq!((e.host.as_str(), e.port, e.timeout), ("h", 1, T));
    }
}
