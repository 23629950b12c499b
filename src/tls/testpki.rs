//! A test PKI made at test time with rcgen: a CA, and certificates it
//! issues with chosen names, validity, usages and key types (test builds
//! only). Times are fixed, so checks run against a fixed "now".

use rcgen::{
    date_time_ymd, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SignatureAlgorithm, PKCS_ECDSA_P256_SHA256, PKCS_ED25519, PKCS_RSA_SHA256,
};
use rustls_pki_types::UnixTime;

/// The "now" of the tests: 2026-06-01T00:00:00Z, inside [`Leaf::default`]'s
/// validity (2026-01-01 to 2027-01-01).
pub fn now() -> UnixTime {
    at(2026, 6, 1)
}

/// Midnight UTC of a date, as webpki takes it.
pub fn at(y: i32, m: u8, d: u8) -> UnixTime {
    let t = date_time_ymd(y, m, d).unix_timestamp();
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(t as u64))
}

/// The test RSA key (tests/fixtures): ring cannot generate RSA keys.
pub const RSA_KEY: &str = include_str!("../../tests/fixtures/rsa-2048-test-key.pem");

/// A CA: its certificate (PEM) and what signs with it.
pub struct Ca {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p.not_before = date_time_ymd(2025, 1, 1);
        p.not_after = date_time_ymd(2035, 1, 1);
        let cert = p.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(p, key),
        }
    }

    /// Issues `leaf`: returns (certificate PEM, key PEM in PKCS#8).
    pub fn issue(&self, leaf: &Leaf) -> (String, String) {
        let key = match leaf.alg {
            Alg::Rsa => KeyPair::from_pem_and_sign_algo(RSA_KEY, &PKCS_RSA_SHA256).unwrap(),
            Alg::Other(a) => KeyPair::generate_for(a).unwrap(),
        };
        let mut p = CertificateParams::new(leaf.names.clone()).unwrap();
        p.distinguished_name.push(
            DnType::CommonName,
            leaf.names.first().cloned().unwrap_or_default(),
        );
        p.not_before = date_time_ymd(leaf.from.0, leaf.from.1, leaf.from.2);
        p.not_after = date_time_ymd(leaf.until.0, leaf.until.1, leaf.until.2);
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.extended_key_usages = leaf.usages.clone();
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

#[derive(Clone, Copy)]
pub enum Alg {
    Rsa,
    Other(&'static SignatureAlgorithm),
}

/// What a test certificate looks like.
#[derive(Clone)]
pub struct Leaf {
    pub names: Vec<String>,
    pub from: (i32, u8, u8),
    pub until: (i32, u8, u8),
    pub usages: Vec<ExtendedKeyUsagePurpose>,
    pub alg: Alg,
}

impl Default for Leaf {
    /// zk-0 of a 3-server ensemble in namespace default, as cert-manager
    /// issues it with the example Certificate: ECDSA P-256, server and
    /// client auth, valid for 2026.
    fn default() -> Leaf {
        Leaf {
            names: vec![
                "zk-0.zk-hs.default.svc.cluster.local".into(),
                "zk-cs.default.svc".into(),
            ],
            from: (2026, 1, 1),
            until: (2027, 1, 1),
            usages: vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
            alg: Alg::Other(&PKCS_ECDSA_P256_SHA256),
        }
    }
}

impl Leaf {
    pub fn ed25519() -> Leaf {
        Leaf {
            alg: Alg::Other(&PKCS_ED25519),
            ..Leaf::default()
        }
    }
}
