//! TLS for the four-letter words on ZooKeeper's secure client port, with
//! rustls (ring provider: no C toolchain beyond ring's own, a static binary,
//! no system OpenSSL, and a short start-up).
//!
//! The material is ZooKeeper's own, as zoo.cfg names it: the key store (the
//! key and the certificate chain in one PEM file, which zkpod start
//! assembles from cert-manager's Secret) and the trust store (the CA). The
//! probe presents that certificate as its client certificate: ZooKeeper's
//! secure port asks every client for one (`ssl.clientAuth=need` by default).
//!
//! Which name the server's certificate must carry: `--tls-server-name`,
//! else `--host` when it is a name, else (an address, such as the probes'
//! default 127.0.0.1) this pod's own name in its certificate: the DNS name
//! that starts with the hostname, else the first one. The server in this
//! pod must present a certificate for this pod.
//!
//! Failures are [`TlsError`]s: what the handshake says, plus, when the
//! server rejects our certificate without saying why, what is wrong with it
//! as far as zkpod can tell.

use std::net::IpAddr;
use std::sync::Arc;

use rustls::{AlertDescription, CertificateError, ClientConfig, RootCertStore};
use rustls_pki_types::{ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::tls::check::{self, Material, Problem, Sources};

/// Where the probe's TLS material is and what name to expect, as plain
/// values (filled in from zoo.cfg or the flags by `probe::endpoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSpec {
    /// The key store (key and certificate chain) and the trust store.
    pub sources: Sources,
    /// Where the paths came from, for messages: e.g.
    /// `ssl.keyStore.location in /opt/zookeeper/conf/zoo.cfg`.
    pub origin: String,
    /// `--tls-server-name`.
    pub server_name: Option<String>,
}

/// Why the expected name is the one it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameSource {
    Flag,
    Host,
    OwnCertificate,
    Address,
}

/// Why a TLS exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsError {
    /// zkpod's own material: missing, unreadable, not usable.
    Material(Problem),
    /// `--tls-server-name` is neither a DNS name nor an address.
    BadServerName(String),
    /// The server's certificate was not issued by a CA of the trust store.
    UnknownCa,
    Expired {
        not_after: UnixTime,
        now: UnixTime,
    },
    NotYetValid {
        not_before: UnixTime,
        now: UnixTime,
    },
    /// The server's certificate does not name the expected server.
    NameMismatch {
        expected: String,
        source: NameSource,
        presented: Vec<String>,
    },
    /// Any other reason the server's certificate is refused.
    BadCertificate(String),
    /// The server ended the handshake with an alert: it refused zkpod's
    /// client certificate. `local` is what zkpod finds wrong with that
    /// certificate, if anything.
    Rejected {
        alert: String,
        local: Option<Problem>,
    },
    /// The server ended the handshake with an alert that is not about
    /// certificates (protocol_version, handshake_failure, ...), and zkpod's
    /// own certificate looks fine: no common TLS version or cipher suite.
    Refused {
        alert: String,
    },
    /// The peer's bytes are not TLS: a plaintext port.
    NotTls,
    /// The peer closed the connection during the handshake without an
    /// alert: a plaintext port drops a TLS client this way.
    ClosedInHandshake,
    /// Anything else the TLS layer reports.
    Other(String),
}

/// A connector for one session: the client configuration built once, the
/// name to check, and the material (to diagnose a rejection).
pub struct Connector {
    connector: TlsConnector,
    name: ServerName<'static>,
    source: NameSource,
    material: Material,
}

impl Connector {
    /// Loads the material of `spec` and decides the server name for `host`.
    ///
    /// Fails when a file is missing, unreadable or unusable (with the
    /// file's [`Problem`]), when the key does not match the certificate, or
    /// when `--tls-server-name` is not a name.
    pub fn new(spec: &TlsSpec, host: &str) -> Result<Connector, TlsError> {
        let material = crate::tls::load(spec.sources.clone()).map_err(TlsError::Material)?;
        check::check_key(&material).map_err(TlsError::Material)?;
        let (name, source) = server_name(spec, host, &material)?;
        let mut roots = RootCertStore::empty();
        for ca in &material.cas {
            roots.add(ca.clone()).map_err(|e| {
                TlsError::Material(Problem::Invalid {
                    cert: material.sources.ca.clone(),
                    detail: e.to_string(),
                })
            })?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Other(e.to_string()))?
            .with_root_certificates(roots)
            .with_client_auth_cert(material.chain.clone(), material.key.to_rustls())
            .map_err(|e| {
                TlsError::Material(Problem::KeyAlgorithm {
                    file: material.sources.key.clone(),
                    detail: e.to_string(),
                })
            })?;
        Ok(Connector {
            connector: TlsConnector::from(Arc::new(config)),
            name,
            source,
            material,
        })
    }

    /// The TLS handshake on a connected socket. Fails with the classified
    /// [`TlsError`], or with the socket's own I/O error.
    pub async fn handshake(&self, tcp: TcpStream) -> Result<TlsStream<TcpStream>, Failure> {
        self.connector
            .connect(self.name.clone(), tcp)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => {
                    Failure::Tls(TlsError::ClosedInHandshake)
                }
                _ => self.classify(e),
            })
    }

    /// What an I/O error of a TLS stream means: a TLS failure, or a plain
    /// socket error for the caller to judge.
    pub fn classify(&self, e: std::io::Error) -> Failure {
        let Some(err) = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        else {
            return Failure::Io(e);
        };
        Failure::Tls(match err {
            rustls::Error::InvalidCertificate(c) => self.certificate(c),
            rustls::Error::AlertReceived(a) => {
                let local = check::check(&self.material, UnixTime::now(), None).err();
                if local.is_some() || about_certificates(*a) {
                    TlsError::Rejected {
                        alert: alert_name(*a),
                        local,
                    }
                } else {
                    TlsError::Refused {
                        alert: alert_name(*a),
                    }
                }
            }
            rustls::Error::InvalidMessage(_)
            | rustls::Error::InappropriateMessage { .. }
            | rustls::Error::InappropriateHandshakeMessage { .. } => TlsError::NotTls,
            other => TlsError::Other(other.to_string()),
        })
    }

    fn certificate(&self, c: &CertificateError) -> TlsError {
        match c {
            CertificateError::UnknownIssuer => TlsError::UnknownCa,
            CertificateError::ExpiredContext { time, not_after } => TlsError::Expired {
                not_after: *not_after,
                now: *time,
            },
            CertificateError::NotValidYetContext { time, not_before } => TlsError::NotYetValid {
                not_before: *not_before,
                now: *time,
            },
            CertificateError::NotValidForNameContext { presented, .. } => TlsError::NameMismatch {
                expected: name_text(&self.name),
                source: self.source,
                presented: presented.iter().map(|p| presented_name(p)).collect(),
            },
            CertificateError::NotValidForName => TlsError::NameMismatch {
                expected: name_text(&self.name),
                source: self.source,
                presented: Vec::new(),
            },
            other => TlsError::BadCertificate(format!("{other:?}")),
        }
    }
}

/// A failed TLS stream operation: TLS's own reason, or the socket's.
#[derive(Debug)]
pub enum Failure {
    Tls(TlsError),
    Io(std::io::Error),
}

/// A name as rustls reports it presented (`DnsName("zk-0...")`), bare.
fn presented_name(p: &str) -> String {
    ["DnsName(\"", "IpAddress(\""]
        .iter()
        .find_map(|pre| p.strip_prefix(pre)?.strip_suffix("\")"))
        .unwrap_or(p)
        .to_string()
}

fn name_text(n: &ServerName<'_>) -> String {
    match n {
        ServerName::DnsName(d) => d.as_ref().to_string(),
        ServerName::IpAddress(ip) => IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

/// The name the server's certificate must carry (see the module doc).
fn server_name(
    spec: &TlsSpec,
    host: &str,
    material: &Material,
) -> Result<(ServerName<'static>, NameSource), TlsError> {
    if let Some(n) = &spec.server_name {
        let name = ServerName::try_from(n.as_str())
            .map_err(|_| TlsError::BadServerName(n.clone()))?
            .to_owned();
        return Ok((name, NameSource::Flag));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let ip = bare.parse::<IpAddr>().ok();
    if ip.is_none() {
        if let Ok(n) = ServerName::try_from(bare) {
            return Ok((n.to_owned(), NameSource::Host));
        }
    }
    let own = webpki::EndEntityCert::try_from(&material.chain[0])
        .ok()
        .and_then(|ee| {
            let names: Vec<String> = ee.valid_dns_names().map(str::to_string).collect();
            pick_own_name(&names, &short_hostname())
        });
    if let Some(n) = own.and_then(|n| ServerName::try_from(n).ok()) {
        return Ok((n, NameSource::OwnCertificate));
    }
    match ip {
        Some(ip) => Ok((ServerName::IpAddress(ip.into()), NameSource::Address)),
        None => Err(TlsError::BadServerName(host.to_string())),
    }
}

/// Of a certificate's DNS names, this pod's: the first that starts with
/// `<hostname>.`, else the first that is not a wildcard.
pub fn pick_own_name(names: &[String], hostname: &str) -> Option<String> {
    let prefix = format!("{hostname}.");
    names
        .iter()
        .find(|n| !hostname.is_empty() && n.starts_with(&prefix))
        .or_else(|| names.iter().find(|n| !n.starts_with('*')))
        .cloned()
}

/// The hostname's first label (`zk-0`), or empty.
fn short_hostname() -> String {
    hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .map(|h| h.split('.').next().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// Whether an alert is one a server sends about the client's certificate.
fn about_certificates(a: AlertDescription) -> bool {
    use AlertDescription as A;
    matches!(
        a,
        A::BadCertificate
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::CertificateRequired
            | A::UnknownCA
            | A::AccessDenied
            | A::DecryptError
    )
}

/// An alert as TLS names it (`certificate_unknown`).
fn alert_name(a: AlertDescription) -> String {
    use AlertDescription as A;
    let name = match a {
        A::BadCertificate => "bad_certificate",
        A::UnsupportedCertificate => "unsupported_certificate",
        A::CertificateRevoked => "certificate_revoked",
        A::CertificateExpired => "certificate_expired",
        A::CertificateUnknown => "certificate_unknown",
        A::CertificateRequired => "certificate_required",
        A::UnknownCA => "unknown_ca",
        A::AccessDenied => "access_denied",
        A::DecryptError => "decrypt_error",
        A::HandshakeFailure => "handshake_failure",
        A::IllegalParameter => "illegal_parameter",
        A::ProtocolVersion => "protocol_version",
        A::InsufficientSecurity => "insufficient_security",
        A::InternalError => "internal_error",
        other => return format!("{other:?}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_name_prefers_the_hostname() {
        let names: Vec<String> = [
            "*.zk-hs.default.svc.cluster.local",
            "zk-cs.default.svc",
            "zk-1.zk-hs.default.svc.cluster.local",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            pick_own_name(&names, "zk-1").as_deref(),
            Some("zk-1.zk-hs.default.svc.cluster.local")
        );
        assert_eq!(
            pick_own_name(&names, "elsewhere").as_deref(),
            Some("zk-cs.default.svc")
        );
        assert_eq!(pick_own_name(&names[..1], ""), None);
    }

    #[test]
    fn presented_names_are_bare() {
        assert_eq!(presented_name("DnsName(\"zk-0.zk-hs\")"), "zk-0.zk-hs");
        assert_eq!(presented_name("IpAddress(\"10.0.0.1\")"), "10.0.0.1");
        assert_eq!(presented_name("odd"), "odd");
    }

    #[test]
    fn alert_names() {
        assert_eq!(
            alert_name(AlertDescription::CertificateUnknown),
            "certificate_unknown"
        );
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
    }
}
