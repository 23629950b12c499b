//! The files ZooKeeper's PEM loader reads, rendered from checked material:
//! the key store (the private key, then the certificate chain, in ONE file)
//! and the trust store (the CA certificates). Pure.
//!
//! ZooKeeper's loader (`org.apache.zookeeper.util.PemReader`, 3.5.5 to
//! 3.9) takes PKCS#8 keys only: it hands the key's bytes to Java's
//! `PKCS8EncodedKeySpec`. cert-manager writes PKCS#1 (`RSA PRIVATE KEY`)
//! for RSA and SEC1 (`EC PRIVATE KEY`) for ECDSA unless the Certificate asks
//! for `privateKey.encoding: PKCS8`, so the key is re-wrapped here as
//! PKCS#8: the same key, in a PrivateKeyInfo envelope (RFC 5208) that
//! names its algorithm.

use pkcs8::der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef};
use pkcs8::der::{Decode, Encode};
use pkcs8::{AlgorithmIdentifierRef, PrivateKeyInfoRef};
use rustls_pki_types::CertificateDer;

use crate::tls::check::{Material, Problem};
use crate::tls::pem::{encode, Key, KeyFormat};

/// rsaEncryption (RFC 8017), the algorithm of a PKCS#1 key.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// id-ecPublicKey (RFC 5480), the algorithm of a SEC1 key.
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// The key store: the key as PKCS#8, then every certificate of the chain.
///
/// Fails when the key's DER is malformed, or a SEC1 key names no curve
/// and the certificate's public key does not either.
pub fn keystore(m: &Material) -> Result<String, Problem> {
    let der = pkcs8_der(&m.key, &m.chain[0]).map_err(|detail| Problem::KeyAlgorithm {
        file: m.sources.key.clone(),
        detail,
    })?;
    let mut out = encode(KeyFormat::Pkcs8.label(), &der);
    out.push_str(&certificates(&m.chain));
    Ok(out)
}

/// The trust store: every CA certificate.
pub fn truststore(m: &Material) -> String {
    certificates(&m.cas)
}

fn certificates(certs: &[CertificateDer<'_>]) -> String {
    certs.iter().map(|c| encode("CERTIFICATE", c)).collect()
}

/// The key as PKCS#8 DER, as `openssl pkcs8 -topk8 -nocrypt` writes it:
/// a SEC1 key loses its own copy of the curve, which the envelope names.
/// `cert` names the curve of a SEC1 key that does not.
fn pkcs8_der(key: &Key, cert: &CertificateDer<'_>) -> Result<Vec<u8>, String> {
    let wrap =
        |oid: ObjectIdentifier, parameters: AnyRef<'_>, inner: &[u8]| -> Result<Vec<u8>, String> {
            let algorithm = AlgorithmIdentifierRef {
                oid,
                parameters: Some(parameters),
            };
            let private_key = OctetStringRef::new(inner).map_err(|e| e.to_string())?;
            PrivateKeyInfoRef::new(algorithm, private_key)
                .to_der()
                .map_err(|e| e.to_string())
        };
    match key.format {
        KeyFormat::Pkcs8 => Ok(key.der.clone()),
        KeyFormat::Pkcs1 => wrap(RSA_ENCRYPTION, AnyRef::NULL, &key.der),
        KeyFormat::Sec1 => {
            let mut ec = sec1::EcPrivateKey::from_der(&key.der).map_err(|e| e.to_string())?;
            let curve = ec
                .parameters
                .take()
                .and_then(|p| p.named_curve())
                .or_else(|| spki_curve(cert))
                .ok_or("the EC key and its certificate name no curve")?;
            let inner = ec.to_der().map_err(|e| e.to_string())?;
            wrap(EC_PUBLIC_KEY, AnyRef::from(&curve), &inner)
        }
    }
}

/// The named curve of the certificate's EC public key.
fn spki_curve(cert: &CertificateDer<'_>) -> Option<ObjectIdentifier> {
    let ee = webpki::EndEntityCert::try_from(cert).ok()?;
    let spki = ee.subject_public_key_info();
    let info = pkcs8::spki::SubjectPublicKeyInfoRef::from_der(spki.as_ref()).ok()?;
    info.algorithm
        .parameters?
        .decode_as::<ObjectIdentifier>()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::check::tests::{material, FQDN};
    use crate::tls::check::{check, parse_material};
    use crate::tls::testpki::{now, Alg, Ca, Leaf};
    use pkcs8::der::Decode;

    /// Material whose key is the inner key of its PKCS#8: PKCS#1 for RSA,
    /// SEC1 for EC, as cert-manager writes them.
    fn unwrapped(m: &Material, format: KeyFormat) -> Material {
        let info = PrivateKeyInfoRef::from_der(&m.key.der).unwrap();
        let mut out = m.clone();
        out.key = Key {
            format,
            der: info.private_key.as_bytes().to_vec(),
        };
        out
    }

    /// The key store, read back as zkpod's probes and ZooKeeper read it:
    /// key first, then the chain; the key is PKCS#8 and belongs to the
    /// certificate.
    fn assert_keystore_of(m: &Material) {
        let ks = keystore(m).unwrap();
        assert!(ks.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{ks}");
        let back = parse_material(
            m.sources.clone(),
            ks.as_bytes(),
            ks.as_bytes(),
            truststore(m).as_bytes(),
        )
        .unwrap();
        assert_eq!(back.key.format, KeyFormat::Pkcs8);
        assert_eq!(back.chain, m.chain);
        assert_eq!(back.cas, m.cas);
        check(&back, now(), Some(FQDN)).unwrap();
    }

    #[test]
    fn pkcs8_keys_are_kept_as_they_are() {
        let ca = Ca::new("zkpod test CA");
        let m = material(&ca, &Leaf::default(), &ca);
        assert_keystore_of(&m);
        let ks = keystore(&m).unwrap();
        let back = crate::tls::pem::parse(ks.as_bytes()).unwrap();
        assert_eq!(back.keys[0].der, m.key.der);
    }

    #[test]
    fn pkcs1_rsa_keys_become_pkcs8() {
        let ca = Ca::new("zkpod test CA");
        let rsa = Leaf {
            alg: Alg::Rsa,
            ..Leaf::default()
        };
        let m = material(&ca, &rsa, &ca);
        let pkcs1 = unwrapped(&m, KeyFormat::Pkcs1);
        assert_keystore_of(&pkcs1);
        // Byte for byte what `openssl pkcs8 -topk8 -nocrypt` makes of the
        // fixture's PKCS#1 form (its PKCS#8 form is the fixture itself).
        let back = crate::tls::pem::parse(keystore(&pkcs1).unwrap().as_bytes()).unwrap();
        assert_eq!(back.keys[0].der, m.key.der);
    }

    #[test]
    fn sec1_ec_keys_become_pkcs8_with_or_without_their_curve() {
        let ca = Ca::new("zkpod test CA");
        let m = material(&ca, &Leaf::default(), &ca);
        // ring's PKCS#8 leaves the curve out of the inner SEC1 key: the
        // certificate's public key names it.
        let bare = unwrapped(&m, KeyFormat::Sec1);
        let curve = |der: &[u8]| sec1::EcPrivateKey::from_der(der).unwrap().parameters;
        assert_eq!(curve(&bare.key.der), None);
        assert_keystore_of(&bare);
        // cert-manager's SEC1 keys carry the curve.
        let p256 = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
        let mut ec = sec1::EcPrivateKey::from_der(&bare.key.der).unwrap();
        ec.parameters = Some(sec1::EcParameters::from(p256));
        let mut with_curve = bare.clone();
        with_curve.key.der = ec.to_der().unwrap();
        assert!(curve(&with_curve.key.der).is_some());
        assert_keystore_of(&with_curve);
    }

    #[test]
    fn sec1_as_openssl_writes_it_becomes_what_openssl_pkcs8_makes() {
        let fixture = include_str!("../../tests/fixtures/ec-p256-sec1-and-pkcs8.pem");
        let p = crate::tls::pem::parse(fixture.as_bytes()).unwrap();
        let (sec1, openssl) = (&p.keys[0], &p.keys[1]);
        assert_eq!(
            (sec1.format, openssl.format),
            (KeyFormat::Sec1, KeyFormat::Pkcs8)
        );
        let unused = CertificateDer::from(Vec::new());
        assert_eq!(pkcs8_der(sec1, &unused).unwrap(), openssl.der);
    }
}
