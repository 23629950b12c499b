//! The checks a certificate, its key and its CA must pass before zkpod hands
//! them to ZooKeeper or uses them in a probe: the PEM holds what it should,
//! the key is one ZooKeeper and zkpod can use, the key belongs to the
//! certificate, the certificate chains to the CA and is inside its validity
//! window, it may serve both as a server and as a client (quorum TLS is
//! both), and it names the pod's FQDN (quorum hostname verification needs
//! it). Pure: the bytes and the time come in, a [`Problem`] comes out.
//!
//! The decisions are the libraries' own, so that zkpod refuses exactly what
//! a TLS peer would: webpki (path building, validity, EKU, RFC 6125 name
//! matching) and rustls' ring key provider (key parsing, key/cert match).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::crypto::ring::sign::any_supported_type;
use rustls::sign::CertifiedKey;
use rustls::SignatureAlgorithm;
use rustls_pki_types::{CertificateDer, DnsName, ServerName, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use crate::sys::file::FileError;
use crate::tls::pem::{self, Key};
use crate::tls::time::{rfc3339, span};

/// Where each part of the material was read from (the same file for the
/// key and the certificate of a combined key store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
}

/// A certificate chain, its private key and the CAs to trust, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    pub sources: Sources,
    /// The server's certificate first, then any intermediates.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: Key,
    /// Every certificate of the CA file: the trust anchors.
    pub cas: Vec<CertificateDer<'static>>,
}

/// Why material cannot be used. [`Problem::parts`] renders it as the three
/// parts of an operator message (what, what it means, the fix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A file cannot be read: what it is or why (never what it holds).
    Unreadable {
        file: PathBuf,
        error: crate::sys::file::FileError,
    },
    NotPem {
        file: PathBuf,
        detail: String,
    },
    NoCertificate {
        file: PathBuf,
    },
    NoKey {
        file: PathBuf,
    },
    SeveralKeys {
        file: PathBuf,
        count: usize,
    },
    EncryptedKey {
        file: PathBuf,
    },
    /// rustls (ring) cannot sign with this key: DSA, ECDSA P-521, a short RSA key.
    KeyAlgorithm {
        file: PathBuf,
        detail: String,
    },
    /// Ed25519: rustls can, ZooKeeper's PEM loader cannot (RSA, EC, DSA only).
    Ed25519 {
        file: PathBuf,
    },
    KeyMismatch {
        key: PathBuf,
        cert: PathBuf,
    },
    UnknownCa {
        cert: PathBuf,
        ca: PathBuf,
    },
    Expired {
        cert: PathBuf,
        not_after: UnixTime,
        now: UnixTime,
    },
    NotYetValid {
        cert: PathBuf,
        not_before: UnixTime,
        now: UnixTime,
    },
    /// The certificate's extended key usage lacks `usage` (server or client
    /// auth).
    Usage {
        cert: PathBuf,
        usage: &'static str,
    },
    /// No subject alternative name matches `name`.
    NoSan {
        cert: PathBuf,
        name: String,
        presented: Vec<String>,
    },
    /// Any other reason webpki refuses the certificate.
    Invalid {
        cert: PathBuf,
        detail: String,
    },
}

/// The fix that makes cert-manager issue what ZooKeeper needs.
const CERTIFICATE_FIX: &str = "in the cert-manager Certificate, list every pod's FQDN under spec.dnsNames (zk-0.zk-hs.<namespace>.svc.cluster.local, ...; see docker/k8s/components/tls/certificate.yaml) and keep spec.usages at server auth, client auth, digital signature, key encipherment";

impl Problem {
    /// The message in three parts: what is wrong (naming the file), what it
    /// means, and the fix.
    pub fn parts(&self) -> (String, String, String) {
        let d = |p: &Path| p.display().to_string();
        match self {
            Problem::Unreadable { file, error } => (
                format!("{} {error}", d(file)),
                "zkpod needs the certificate, its key and the CA to set up TLS".to_string(),
                match error {
                    FileError::Missing => format!("mount the cert-manager Secret so that {} exists (it holds tls.crt, tls.key and ca.crt), or correct the directory given with --tls-dir (ZOO_TLS_DIR)", d(file)),
                    FileError::Denied => "make the Secret's files readable by the pod's user: set defaultMode: 0440 on the Secret volume and spec.template.spec.securityContext.fsGroup (OpenShift's arbitrary UIDs read through GID 0: 0440 with group 0 works there)".to_string(),
                    _ => format!("point --tls-dir (ZOO_TLS_DIR) at the directory where the cert-manager Secret is mounted, whose tls.crt, tls.key and ca.crt are PEM files of at most {} (regular files, or the kubelet's symlinks to them)", crate::sys::file::size(crate::sys::file::caps::PEM)),
                },
            ),
            Problem::NotPem { file, detail } => (
                format!("{} is not a PEM file ({detail})", d(file)),
                "zkpod cannot read a certificate or key from it".to_string(),
                "point --tls-dir at the directory where the cert-manager Secret is mounted (its files are PEM)".to_string(),
            ),
            Problem::NoCertificate { file } => (
                format!("{} holds no certificate", d(file)),
                "there is nothing to present to peers or to trust".to_string(),
                "check that the Secret is the one cert-manager writes for the Certificate (tls.crt and ca.crt hold certificates)".to_string(),
            ),
            Problem::NoKey { file } => (
                format!("{} holds no private key", d(file)),
                "ZooKeeper cannot prove it owns its certificate".to_string(),
                "check that the Secret is the one cert-manager writes for the Certificate (tls.key holds the key)".to_string(),
            ),
            Problem::SeveralKeys { file, count } => (
                format!("{} holds {count} private keys", d(file)),
                "it is not clear which one belongs to the certificate".to_string(),
                "keep exactly one key in it (cert-manager writes one)".to_string(),
            ),
            Problem::EncryptedKey { file } => (
                format!("the private key in {} is encrypted", d(file)),
                "zkpod has no password for it and writes ZooKeeper's key store unencrypted (mode 0600)".to_string(),
                "let cert-manager write the key unencrypted (its default), or decrypt it into the Secret".to_string(),
            ),
            Problem::KeyAlgorithm { file, detail } => (
                format!("the private key in {} cannot be used ({detail})", d(file)),
                "zkpod's TLS client (the probes) signs with RSA (2048 bits or more) or ECDSA P-256/P-384 keys only".to_string(),
                "set spec.privateKey in the Certificate to algorithm: ECDSA with size: 256 (or 384), or algorithm: RSA with size: 2048 or more".to_string(),
            ),
            Problem::Ed25519 { file } => (
                format!("the private key in {} is Ed25519", d(file)),
                "ZooKeeper's PEM loader reads RSA and EC keys only, so ZooKeeper would fail to start".to_string(),
                "set spec.privateKey in the Certificate to algorithm: ECDSA with size: 256 (or algorithm: RSA)".to_string(),
            ),
            Problem::KeyMismatch { key, cert } => (
                format!("the private key in {} does not belong to the certificate in {}", d(key), d(cert)),
                "no TLS peer would accept the certificate from this server".to_string(),
                "take tls.key and tls.crt from the same Secret; if cert-manager is rotating them right now, wait a few seconds and restart the pod".to_string(),
            ),
            Problem::UnknownCa { cert, ca } => (
                format!("the certificate in {} is not issued by a CA in {}", d(cert), d(ca)),
                "the other servers and the clients that trust that CA would refuse it".to_string(),
                "use the Secret of a Certificate issued by the CA whose certificate is in ca.crt (one Issuer for every server of the ensemble); for a chain, put the intermediates into tls.crt after the server's certificate".to_string(),
            ),
            Problem::Expired { cert, not_after, now } => (
                format!(
                    "the certificate in {} expired at {} ({} ago)",
                    d(cert),
                    rfc3339(*not_after),
                    span(now.as_secs().saturating_sub(not_after.as_secs()))
                ),
                "every TLS peer refuses an expired certificate".to_string(),
                "renew it: check the Certificate with kubectl describe certificate (cert-manager renews before expiry unless its Issuer fails), then restart the pod".to_string(),
            ),
            Problem::NotYetValid { cert, not_before, now } => (
                format!(
                    "the certificate in {} is valid only from {} (in {})",
                    d(cert),
                    rfc3339(*not_before),
                    span(not_before.as_secs().saturating_sub(now.as_secs()))
                ),
                "TLS peers refuse it until then".to_string(),
                "check this node's clock and the Issuer's; a freshly issued certificate is valid at once".to_string(),
            ),
            Problem::Usage { cert, usage } => (
                format!("the certificate in {} does not allow {usage}", d(cert)),
                "with quorum TLS every server is both a TLS server and a TLS client of its peers, so the peers would refuse it".to_string(),
                CERTIFICATE_FIX.to_string(),
            ),
            Problem::NoSan { cert, name, presented } => (
                format!(
                    "the certificate in {} has no subject alternative name for {name} (it names {})",
                    d(cert),
                    if presented.is_empty() { "nothing".to_string() } else { presented.join(", ") }
                ),
                "ZooKeeper's peers check a server's host name against its certificate (quorum hostname verification), so they would refuse this server".to_string(),
                CERTIFICATE_FIX.to_string(),
            ),
            Problem::Invalid { cert, detail } => (
                format!("the certificate in {} is not usable ({detail})", d(cert)),
                "TLS peers would refuse it".to_string(),
                "issue a new certificate from the Certificate resource (cmctl renew, or delete its Secret)".to_string(),
            ),
        }
    }

    /// The message on one line: `<what>: <means>. Fix: <fix>`.
    pub fn line(&self) -> String {
        let (what, means, fix) = self.parts();
        format!("{what}: {means}. Fix: {fix}")
    }
}

/// Parses the three files' bytes (`cert` and `key` may be the same file's)
/// into [`Material`]. Fails when a file is not PEM, holds no certificate,
/// holds no key, several keys or an encrypted one.
pub fn parse_material(
    sources: Sources,
    cert: &[u8],
    key: &[u8],
    ca: &[u8],
) -> Result<Material, Problem> {
    let parse = |file: &Path, bytes: &[u8]| {
        pem::parse(bytes).map_err(|detail| Problem::NotPem {
            file: file.to_path_buf(),
            detail: detail.to_string(),
        })
    };
    let cert_pem = parse(&sources.cert, cert)?;
    let key_pem = parse(&sources.key, key)?;
    let ca_pem = parse(&sources.ca, ca)?;
    if key_pem.encrypted_key {
        return Err(Problem::EncryptedKey {
            file: sources.key.clone(),
        });
    }
    if cert_pem.certs.is_empty() {
        return Err(Problem::NoCertificate {
            file: sources.cert.clone(),
        });
    }
    let mut keys = key_pem.keys;
    let key = match keys.len() {
        0 => {
            return Err(Problem::NoKey {
                file: sources.key.clone(),
            })
        }
        1 => keys.remove(0),
        count => {
            return Err(Problem::SeveralKeys {
                file: sources.key.clone(),
                count,
            })
        }
    };
    if ca_pem.certs.is_empty() {
        return Err(Problem::NoCertificate {
            file: sources.ca.clone(),
        });
    }
    Ok(Material {
        sources,
        chain: cert_pem.certs,
        key,
        cas: ca_pem.certs,
    })
}

/// What the checks found out about good material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The certificate's DNS names.
    pub names: Vec<String>,
    /// When it expires.
    pub not_after: Option<UnixTime>,
}

/// Checks material for use by a server of a TLS ensemble at time `now`:
/// the key (usable by zkpod and ZooKeeper, and the certificate's), the
/// chain to the CA, the validity window, server and client usage, and,
/// given `name`, a subject alternative name for it.
///
/// Fails with the first [`Problem`], in that order.
pub fn check(m: &Material, now: UnixTime, name: Option<&str>) -> Result<Report, Problem> {
    check_key(m)?;
    let cert = &m.sources.cert;
    let ee = EndEntityCert::try_from(&m.chain[0]).map_err(|e| Problem::Invalid {
        cert: cert.clone(),
        detail: e.to_string(),
    })?;
    verify_chain(m, &ee, now, KeyUsage::server_auth(), "use as a TLS server")?;
    verify_chain(m, &ee, now, KeyUsage::client_auth(), "use as a TLS client")?;
    let names: Vec<String> = ee.valid_dns_names().map(str::to_string).collect();
    if let Some(name) = name {
        check_name(&ee, cert, name, &names)?;
    }
    Ok(Report {
        names,
        not_after: not_after(&ee),
    })
}

/// Checks only the key: rustls can sign with it, ZooKeeper can load it, and
/// it belongs to the first certificate of the chain. This is what a probe
/// checks of its own client material.
pub fn check_key(m: &Material) -> Result<(), Problem> {
    let signing = any_supported_type(&m.key.to_rustls()).map_err(|e| Problem::KeyAlgorithm {
        file: m.sources.key.clone(),
        detail: e.to_string(),
    })?;
    if signing.algorithm() == SignatureAlgorithm::ED25519 {
        return Err(Problem::Ed25519 {
            file: m.sources.key.clone(),
        });
    }
    let certified = CertifiedKey::new(m.chain.clone(), signing);
    match certified.keys_match() {
        Ok(()) => Ok(()),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(Problem::KeyMismatch {
                key: m.sources.key.clone(),
                cert: m.sources.cert.clone(),
            })
        }
        Err(e) => Err(Problem::Invalid {
            cert: m.sources.cert.clone(),
            detail: e.to_string(),
        }),
    }
}

fn verify_chain(
    m: &Material,
    ee: &EndEntityCert<'_>,
    now: UnixTime,
    usage: KeyUsage,
    usage_name: &'static str,
) -> Result<(), Problem> {
    let cert = m.sources.cert.clone();
    let mut anchors = Vec::with_capacity(m.cas.len());
    for ca in &m.cas {
        let a = webpki::anchor_from_trusted_cert(ca).map_err(|e| Problem::Invalid {
            cert: m.sources.ca.clone(),
            detail: e.to_string(),
        })?;
        anchors.push(a);
    }
    let result = ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &m.chain[1..],
        now,
        usage,
        None,
        None,
    );
    match result {
        Ok(_) => Ok(()),
        Err(webpki::Error::UnknownIssuer) => Err(Problem::UnknownCa {
            cert,
            ca: m.sources.ca.clone(),
        }),
        Err(webpki::Error::CertExpired { time, not_after }) => Err(Problem::Expired {
            cert,
            not_after,
            now: time,
        }),
        Err(webpki::Error::CertNotValidYet { time, not_before }) => Err(Problem::NotYetValid {
            cert,
            not_before,
            now: time,
        }),
        #[allow(deprecated)]
        Err(webpki::Error::RequiredEkuNotFoundContext(_) | webpki::Error::RequiredEkuNotFound) => {
            Err(Problem::Usage {
                cert,
                usage: usage_name,
            })
        }
        Err(e) => Err(Problem::Invalid {
            cert,
            detail: e.to_string(),
        }),
    }
}

fn check_name(
    ee: &EndEntityCert<'_>,
    cert: &Path,
    name: &str,
    names: &[String],
) -> Result<(), Problem> {
    let no_san = || Problem::NoSan {
        cert: cert.to_path_buf(),
        name: name.to_string(),
        presented: names.to_vec(),
    };
    let server_name = match DnsName::try_from(name) {
        Ok(n) => ServerName::DnsName(n.to_owned()),
        Err(_) => return Err(no_san()),
    };
    ee.verify_is_valid_for_subject_name(&server_name)
        .map_err(|_| no_san())
}

/// The certificate's notAfter. webpki checks an end-entity certificate's
/// validity window first, before it looks for an issuer, and reports the
/// bound it crossed: asking it about a time far in the future returns
/// notAfter (pinned by a unit test).
pub fn not_after(ee: &EndEntityCert<'_>) -> Option<UnixTime> {
    let far = UnixTime::since_unix_epoch(Duration::from_secs(1 << 40));
    match ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &[],
        &[],
        far,
        KeyUsage::server_auth(),
        None,
        None,
    ) {
        Err(webpki::Error::CertExpired { not_after, .. }) => Some(not_after),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tls::testpki::{at, now, Ca, Leaf};
    use rcgen::ExtendedKeyUsagePurpose;

    pub(crate) const FQDN: &str = "zk-0.zk-hs.default.svc.cluster.local";

    pub(crate) fn sources() -> Sources {
        crate::tls::secret_layout(Path::new("/etc/zookeeper/tls"))
    }

    /// Material for `leaf` from `ca`, trusted through `trust`'s certificate.
    pub(crate) fn material(ca: &Ca, leaf: &Leaf, trust: &Ca) -> Material {
        let (cert, key) = ca.issue(leaf);
        parse_material(
            sources(),
            cert.as_bytes(),
            key.as_bytes(),
            trust.pem.as_bytes(),
        )
        .unwrap()
    }

    fn line_of(r: Result<Report, Problem>) -> String {
        r.unwrap_err().line()
    }

    #[test]
    fn good_material_passes_with_its_names_and_expiry() {
        let ca = Ca::new("zkpod test CA");
        let m = material(&ca, &Leaf::default(), &ca);
        let r = check(&m, now(), Some(FQDN)).unwrap();
        assert_eq!(r.names, [FQDN, "zk-cs.default.svc"]);
        assert_eq!(r.not_after, Some(at(2027, 1, 1)));
        // RSA (PKCS#8 from openssl) passes as well, and a wildcard SAN
        // covers every pod of the headless Service.
        let rsa = Leaf {
            names: vec!["*.zk-hs.default.svc.cluster.local".into()],
            alg: crate::tls::testpki::Alg::Rsa,
            ..Leaf::default()
        };
        check(&material(&ca, &rsa, &ca), now(), Some(FQDN)).unwrap();
    }

    #[test]
    fn a_key_of_another_certificate_is_refused_naming_both_files() {
        let ca = Ca::new("zkpod test CA");
        let (cert, _) = ca.issue(&Leaf::default());
        let (_, other_key) = ca.issue(&Leaf::default());
        let m = parse_material(
            sources(),
            cert.as_bytes(),
            other_key.as_bytes(),
            ca.pem.as_bytes(),
        )
        .unwrap();
        assert_eq!(
            line_of(check(&m, now(), Some(FQDN))),
            "the private key in /etc/zookeeper/tls/tls.key does not belong to the certificate in /etc/zookeeper/tls/tls.crt: no TLS peer would accept the certificate from this server. Fix: take tls.key and tls.crt from the same Secret; if cert-manager is rotating them right now, wait a few seconds and restart the pod"
        );
        assert_eq!(
            check_key(&m),
            Err(Problem::KeyMismatch {
                key: "/etc/zookeeper/tls/tls.key".into(),
                cert: "/etc/zookeeper/tls/tls.crt".into()
            })
        );
    }

    #[test]
    fn a_certificate_of_another_ca_is_refused() {
        let ca = Ca::new("zkpod test CA");
        let other = Ca::new("another CA");
        let m = material(&other, &Leaf::default(), &ca);
        assert_eq!(
            line_of(check(&m, now(), Some(FQDN))),
            "the certificate in /etc/zookeeper/tls/tls.crt is not issued by a CA in /etc/zookeeper/tls/ca.crt: the other servers and the clients that trust that CA would refuse it. Fix: use the Secret of a Certificate issued by the CA whose certificate is in ca.crt (one Issuer for every server of the ensemble); for a chain, put the intermediates into tls.crt after the server's certificate"
        );
    }

    #[test]
    fn validity_window() {
        let ca = Ca::new("zkpod test CA");
        let m = material(&ca, &Leaf::default(), &ca);
        assert_eq!(
            line_of(check(&m, at(2027, 1, 4), Some(FQDN))),
            "the certificate in /etc/zookeeper/tls/tls.crt expired at 2027-01-01T00:00:00Z (3 days ago): every TLS peer refuses an expired certificate. Fix: renew it: check the Certificate with kubectl describe certificate (cert-manager renews before expiry unless its Issuer fails), then restart the pod"
        );
        assert_eq!(
            line_of(check(&m, at(2025, 12, 31), Some(FQDN))),
            "the certificate in /etc/zookeeper/tls/tls.crt is valid only from 2026-01-01T00:00:00Z (in 24 hours): TLS peers refuse it until then. Fix: check this node's clock and the Issuer's; a freshly issued certificate is valid at once"
        );
    }

    #[test]
    fn quorum_tls_needs_server_and_client_usage() {
        let ca = Ca::new("zkpod test CA");
        let server_only = Leaf {
            usages: vec![ExtendedKeyUsagePurpose::ServerAuth],
            ..Leaf::default()
        };
        let e = check(&material(&ca, &server_only, &ca), now(), Some(FQDN)).unwrap_err();
        assert_eq!(
            e.parts().0,
            "the certificate in /etc/zookeeper/tls/tls.crt does not allow use as a TLS client"
        );
        assert!(e
            .line()
            .contains("keep spec.usages at server auth, client auth"));
        // No EKU extension at all allows every usage (RFC 5280).
        let any = Leaf {
            usages: vec![],
            ..Leaf::default()
        };
        check(&material(&ca, &any, &ca), now(), Some(FQDN)).unwrap();
    }

    #[test]
    fn the_pods_fqdn_must_be_a_san() {
        let ca = Ca::new("zkpod test CA");
        let m = material(&ca, &Leaf::default(), &ca);
        let other = "zk-1.zk-hs.default.svc.cluster.local";
        assert_eq!(
            line_of(check(&m, now(), Some(other))),
            "the certificate in /etc/zookeeper/tls/tls.crt has no subject alternative name for zk-1.zk-hs.default.svc.cluster.local (it names zk-0.zk-hs.default.svc.cluster.local, zk-cs.default.svc): ZooKeeper's peers check a server's host name against its certificate (quorum hostname verification), so they would refuse this server. Fix: in the cert-manager Certificate, list every pod's FQDN under spec.dnsNames (zk-0.zk-hs.<namespace>.svc.cluster.local, ...; see docker/k8s/components/tls/certificate.yaml) and keep spec.usages at server auth, client auth, digital signature, key encipherment"
        );
        // The check is optional (a standalone server has no peers).
        check(&m, now(), None).unwrap();
    }

    #[test]
    fn keys_zookeeper_or_zkpod_cannot_use() {
        let ca = Ca::new("zkpod test CA");
        let m = material(&ca, &Leaf::ed25519(), &ca);
        assert_eq!(
            line_of(check(&m, now(), Some(FQDN))),
            "the private key in /etc/zookeeper/tls/tls.key is Ed25519: ZooKeeper's PEM loader reads RSA and EC keys only, so ZooKeeper would fail to start. Fix: set spec.privateKey in the Certificate to algorithm: ECDSA with size: 256 (or algorithm: RSA)"
        );
        let mut garbage = material(&ca, &Leaf::default(), &ca);
        garbage.key.der = vec![0x30, 0x03, 0x02, 0x01, 0x00];
        let e = check(&garbage, now(), Some(FQDN)).unwrap_err();
        assert!(matches!(e, Problem::KeyAlgorithm { .. }), "{e:?}");
        assert!(
            e.line().contains("algorithm: ECDSA with size: 256"),
            "{}",
            e.line()
        );
    }

    #[test]
    fn files_that_do_not_hold_what_they_should() {
        let ca = Ca::new("zkpod test CA");
        let (cert, key) = ca.issue(&Leaf::default());
        let p = |c: &str, k: &str, a: &str| {
            parse_material(sources(), c.as_bytes(), k.as_bytes(), a.as_bytes()).unwrap_err()
        };
        assert_eq!(
            p(&key, &key, &ca.pem),
            Problem::NoCertificate {
                file: "/etc/zookeeper/tls/tls.crt".into()
            }
        );
        assert_eq!(
            p(&cert, &cert, &ca.pem),
            Problem::NoKey {
                file: "/etc/zookeeper/tls/tls.key".into()
            }
        );
        assert_eq!(
            p(&cert, &format!("{key}{key}"), &ca.pem).line(),
            "/etc/zookeeper/tls/tls.key holds 2 private keys: it is not clear which one belongs to the certificate. Fix: keep exactly one key in it (cert-manager writes one)"
        );
        assert_eq!(
            p(&cert, &key, "").line(),
            "/etc/zookeeper/tls/ca.crt holds no certificate: there is nothing to present to peers or to trust. Fix: check that the Secret is the one cert-manager writes for the Certificate (tls.crt and ca.crt hold certificates)"
        );
        let enc = crate::tls::pem::encode("ENCRYPTED PRIVATE KEY", b"x");
        assert!(p(&cert, &enc, &ca.pem)
            .line()
            .starts_with("the private key in /etc/zookeeper/tls/tls.key is encrypted: "));
        let cut = &cert[..cert.len() / 2];
        let e = p(cut, &key, &ca.pem);
        assert!(
            e.line()
                .starts_with("/etc/zookeeper/tls/tls.crt is not a PEM file ("),
            "{}",
            e.line()
        );
    }

    #[test]
    fn unreadable_files() {
        let e =
            crate::tls::load(crate::tls::secret_layout(Path::new("/nonexistent/tls"))).unwrap_err();
        assert_eq!(
            e.line(),
            "/nonexistent/tls/tls.crt does not exist: zkpod needs the certificate, its key and the CA to set up TLS. Fix: mount the cert-manager Secret so that /nonexistent/tls/tls.crt exists (it holds tls.crt, tls.key and ca.crt), or correct the directory given with --tls-dir (ZOO_TLS_DIR)"
        );
        // Bounded and typed: what the file is, never what it holds.
        let d = tempfile::tempdir().unwrap();
        for n in ["tls.crt", "tls.key", "ca.crt"] {
            std::fs::write(d.path().join(n), b"").unwrap();
        }
        let key = d.path().join("tls.crt");
        std::fs::remove_file(&key).unwrap();
        nix::unistd::mkfifo(&key, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let e = crate::tls::load(crate::tls::secret_layout(d.path())).unwrap_err();
        assert_eq!(
            e,
            Problem::Unreadable {
                file: key.clone(),
                error: FileError::NotRegular("a FIFO")
            }
        );
        assert!(e.line().starts_with(&format!(
            "{} is a FIFO, not a regular file: zkpod needs the certificate, its key and the CA to set up TLS. Fix: point --tls-dir (ZOO_TLS_DIR) at the directory where the cert-manager Secret is mounted",
            key.display()
        )), "{}", e.line());
    }

    #[test]
    fn not_after_comes_from_webpki_checking_the_window_first() {
        let ca = Ca::new("zkpod test CA");
        let (cert, _) = ca.issue(&Leaf {
            until: (2031, 7, 9),
            ..Leaf::default()
        });
        use rustls_pki_types::pem::PemObject;
        let der = CertificateDer::from_pem_slice(cert.as_bytes()).unwrap();
        let ee = EndEntityCert::try_from(&der).unwrap();
        assert_eq!(not_after(&ee), Some(at(2031, 7, 9)));
    }
}
