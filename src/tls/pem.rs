//! PEM files as cert-manager writes them: certificates, and a private key in
//! PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`, cert-manager's default
//! for RSA) or SEC1 (`EC PRIVATE KEY`, its default for ECDSA). Decoding is
//! rustls-pki-types' (RFC 7468); this module sorts the sections and names
//! what a file holds that zkpod cannot use. Pure.

use rustls_pki_types::pem::{PemObject, SectionKind};
use rustls_pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};

/// How a private key is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    Pkcs8,
    Pkcs1,
    Sec1,
}

impl KeyFormat {
    /// The PEM label (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`).
    pub fn label(self) -> &'static str {
        match self {
            KeyFormat::Pkcs8 => "PRIVATE KEY",
            KeyFormat::Pkcs1 => "RSA PRIVATE KEY",
            KeyFormat::Sec1 => "EC PRIVATE KEY",
        }
    }
}

/// An unencrypted private key: its encoding and DER bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    pub format: KeyFormat,
    pub der: Vec<u8>,
}

impl std::fmt::Debug for Key {
    /// Never the key bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({:?}, {} bytes)", self.format, self.der.len())
    }
}

impl Key {
    /// The key as rustls takes it.
    pub fn to_rustls(&self) -> PrivateKeyDer<'static> {
        let der = self.der.clone();
        match self.format {
            KeyFormat::Pkcs8 => PrivatePkcs8KeyDer::from(der).into(),
            KeyFormat::Pkcs1 => PrivatePkcs1KeyDer::from(der).into(),
            KeyFormat::Sec1 => PrivateSec1KeyDer::from(der).into(),
        }
    }
}

/// What one PEM file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pem {
    /// The certificates, in file order.
    pub certs: Vec<CertificateDer<'static>>,
    /// The unencrypted private keys, in file order.
    pub keys: Vec<Key>,
    /// Whether a key is encrypted (`ENCRYPTED PRIVATE KEY`, or OpenSSL's
    /// `Proc-Type: 4,ENCRYPTED` header): zkpod has no password for it.
    pub encrypted_key: bool,
}

/// Why bytes are not PEM, in words that quote nothing of the file (it may
/// be a key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotPem {
    NoEnd,
    BadBegin,
    BadBase64,
    TooLarge,
    Other,
}

impl std::fmt::Display for NotPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotPem::NoEnd => "a section has no END line",
            NotPem::BadBegin => "a BEGIN line is malformed",
            NotPem::BadBase64 => "a section's base64 is invalid",
            NotPem::TooLarge => "a section is too large",
            NotPem::Other => "it cannot be decoded",
        })
    }
}

/// Sorts the PEM sections of `bytes`. Sections of other kinds (a CSR, a
/// public key) are skipped. Fails with why the text is not PEM (bad
/// base64, a section without its END line), never quoting it.
pub fn parse(bytes: &[u8]) -> Result<Pem, NotPem> {
    let mut pem = Pem {
        encrypted_key: contains(bytes, b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
            || contains(bytes, b"Proc-Type: 4,ENCRYPTED"),
        ..Pem::default()
    };
    if pem.encrypted_key {
        // OpenSSL's encrypted form has headers the decoder refuses; what
        // matters is that zkpod cannot read the key.
        return Ok(pem);
    }
    for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes) {
        let (kind, der) = section.map_err(|e| match e {
            rustls_pki_types::pem::Error::MissingSectionEnd { .. } => NotPem::NoEnd,
            rustls_pki_types::pem::Error::IllegalSectionStart { .. } => NotPem::BadBegin,
            rustls_pki_types::pem::Error::Base64Decode(_) => NotPem::BadBase64,
            rustls_pki_types::pem::Error::SectionTooLarge => NotPem::TooLarge,
            _ => NotPem::Other,
        })?;
        let format = match kind {
            SectionKind::Certificate => {
                pem.certs.push(CertificateDer::from(der));
                continue;
            }
            SectionKind::PrivateKey => KeyFormat::Pkcs8,
            SectionKind::RsaPrivateKey => KeyFormat::Pkcs1,
            SectionKind::EcPrivateKey => KeyFormat::Sec1,
            _ => continue,
        };
        pem.keys.push(Key { format, der });
    }
    Ok(pem)
}

/// Encodes DER as one PEM section with `label`, 64-column lines, LF endings.
pub fn encode(label: &str, der: &[u8]) -> String {
    // Fails only for an invalid label; ours are constants.
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der)
        .unwrap_or_else(|e| unreachable!("PEM label {label}: {e}"))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_sections_and_skips_others() {
        let text = format!(
            "junk before\n{}{}{}{}",
            encode("CERTIFICATE", b"\x30\x01"),
            encode("CERTIFICATE REQUEST", b"csr"),
            encode("EC PRIVATE KEY", b"ec"),
            encode("CERTIFICATE", b"\x30\x02"),
        );
        let p = parse(text.as_bytes()).unwrap();
        assert_eq!(p.certs.len(), 2);
        assert_eq!(p.certs[1].as_ref(), b"\x30\x02");
        assert_eq!(
            p.keys,
            [Key {
                format: KeyFormat::Sec1,
                der: b"ec".to_vec()
            }]
        );
        assert!(!p.encrypted_key);
        assert_eq!(format!("{:?}", p.keys[0]), "Key(Sec1, 2 bytes)");
    }

    #[test]
    fn encrypted_and_broken_files() {
        let enc = encode("ENCRYPTED PRIVATE KEY", b"secret");
        assert!(parse(enc.as_bytes()).unwrap().encrypted_key);
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert!(parse(legacy.as_bytes()).unwrap().encrypted_key);
        let cut = "-----BEGIN CERTIFICATE-----\nMIIB\n";
        assert_eq!(parse(cut.as_bytes()), Err(NotPem::NoEnd));
        let bad = "-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n";
        assert_eq!(parse(bad.as_bytes()), Err(NotPem::BadBase64));
        assert_eq!(parse(b"not pem at all").unwrap(), Pem::default());
    }

    #[test]
    fn encodes_64_columns() {
        let e = encode("CERTIFICATE", &[7u8; 100]);
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(*lines.last().unwrap(), "-----END CERTIFICATE-----");
        assert!(e.ends_with('\n'));
    }
}
