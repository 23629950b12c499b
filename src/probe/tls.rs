//! The one-line messages of TLS failures: what happened at the endpoint,
//! naming the file involved, what it means, and the fix. Pure.

use crate::client::tls::{TlsError, TlsSpec};
use crate::client::Endpoint;
use crate::tls::check::Problem;
use crate::tls::time::{rfc3339, span};

/// The stderr line for a TLS failure talking to `t`.
pub fn line(t: &Endpoint, e: &TlsError) -> String {
    let spec = t.tls.as_ref();
    let cert = spec.map_or_else(String::new, |s| s.sources.cert.display().to_string());
    let truststore = spec.map_or_else(String::new, |s| s.sources.ca.display().to_string());
    let origin = spec.map_or("", |s| s.origin.as_str());
    const RELOAD: &str = "ZooKeeper 3.7.2, 3.8.1, 3.9.0 and later load rotated files without a restart (client.certReload, which zkpod start turns on), older ones need the pod restarted";
    match e {
        TlsError::Material(p) => material_line(t, spec, p),
        TlsError::BadServerName(n) => format!(
            "--tls-server-name \"{}\" is not a DNS name or an IP address: zkpod cannot check {t}'s certificate against it. Fix: pass the name the server's certificate carries, e.g. zk-0.zk-hs.<namespace>.svc.cluster.local",
            n.escape_default()
        ),
        TlsError::UnknownCa => format!(
            "{t} presented a certificate that no CA in {truststore} issued ({origin}): zkpod does not trust it, and neither would clients that trust that CA. Fix: issue every server's certificate from the one Issuer whose CA is ca.crt of the Secret; after changing the Secret, restart the pod so that zkpod start copies it (or wait for the reload: {RELOAD})"
        ),
        TlsError::Expired { not_after, now } => format!(
            "{t} presented a certificate that expired at {} ({} ago): every TLS client refuses it. Fix: find out why it was not renewed (kubectl describe certificate, and its Issuer); once the Secret holds a new certificate, {RELOAD}",
            rfc3339(*not_after),
            span(now.as_secs().saturating_sub(not_after.as_secs()))
        ),
        TlsError::NotYetValid { not_before, now } => format!(
            "{t} presented a certificate that is valid only from {} (in {}): TLS clients refuse it until then. Fix: check the clocks of this node and of the Issuer",
            rfc3339(*not_before),
            span(not_before.as_secs().saturating_sub(now.as_secs()))
        ),
        TlsError::NameMismatch {
            expected,
            source,
            presented,
        } => {
            let names = if presented.is_empty() {
                "other names".to_string()
            } else {
                presented.join(", ")
            };
            format!(
                "{t} presented a certificate for {names}, not for {expected} ({}): clients that connect by that name refuse it. Fix: add {expected} to spec.dnsNames of the cert-manager Certificate, or pass --tls-server-name with a name the server's certificate carries",
                source_says(*source)
            )
        }
        TlsError::BadCertificate(d) => format!(
            "{t} presented a certificate that zkpod refuses ({d}): TLS clients would refuse it too. Fix: issue a new certificate from the Certificate resource (cmctl renew, or delete its Secret) and let the server load it"
        ),
        TlsError::Rejected { alert, local: Some(p) } => {
            let (what, means, fix) = p.parts();
            format!(
                "{t} rejected zkpod's client certificate from {cert} (TLS alert {alert}), and {what}: {means}. Fix: {fix}"
            )
        }
        TlsError::Rejected { alert, local: None } => format!(
            "{t} rejected zkpod's client certificate from {cert} (TLS alert {alert}): the server does not trust its issuer (the server's trust store holds another CA). Fix: give servers and clients certificates of one Issuer, whose CA is ca.crt of the Secret; with --tls-dir, pass a directory holding a certificate of that Issuer"
        ),
        TlsError::Refused { alert } => format!(
            "{t} refused the TLS handshake (TLS alert {alert}): it accepts no TLS version or cipher suite that zkpod offers (TLS 1.3 and 1.2, with AES-GCM or ChaCha20-Poly1305). Fix: check ssl.protocol, ssl.enabledProtocols and ssl.ciphersuites in zoo.cfg (zkpod start leaves them at ZooKeeper's defaults, which zkpod speaks)"
        ),
        TlsError::NotTls => format!(
            "{t} does not speak TLS (its first reply is not a TLS record): it is a plaintext port. Fix: ask zoo.cfg's secureClientPort (what --tls auto does when --port is not given), or pass --tls off for the plaintext clientPort"
        ),
        TlsError::ClosedInHandshake => format!(
            "{t} closed the connection during the TLS handshake: it is not a TLS port (ZooKeeper's plaintext clientPort drops a TLS client this way), or it refused the connection. Fix: ask zoo.cfg's secureClientPort (what --tls auto does when --port is not given), or pass --tls off for the plaintext clientPort; check the server's log for an SSL error"
        ),
        TlsError::Other(d) => format!(
            "TLS with {t} failed ({d}): zkpod could not set up an encrypted connection. Fix: check the server's log for its side of the TLS error, and the ssl.* settings in zoo.cfg"
        ),
    }
}

fn source_says(s: crate::client::tls::NameSource) -> &'static str {
    use crate::client::tls::NameSource as N;
    match s {
        N::Flag => "the name given with --tls-server-name",
        N::Host => "the name given with --host",
        N::OwnCertificate => "this pod's own name in its certificate, as --host is an address",
        N::Address => "the address asked, as zkpod's certificate names no DNS name",
    }
}

fn material_line(t: &Endpoint, spec: Option<&TlsSpec>, p: &Problem) -> String {
    let origin = spec.map_or("", |s| s.origin.as_str());
    match p {
        Problem::Unreadable { file, error } => format!(
            "{} {error}, named by {origin}: the probe has no certificate to present or CA to trust for {t}. Fix: zkpod start --tls-dir writes these files on every start (check --conf_dir points at the dir it wrote); with --tls-dir, mount the cert-manager Secret there; for the plaintext port pass --tls off",
            file.display()
        ),
        other => {
            let (what, means, fix) = other.parts();
            format!("zkpod's TLS material for {t} ({origin}): {what}: {means}. Fix: {fix}")
        }
    }
}
