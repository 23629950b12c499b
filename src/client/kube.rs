//! The one question zkpod asks the Kubernetes API: how many replicas does
//! this pod's StatefulSet want (`spec.replicas`)? `zkpod leave` needs it to
//! tell a scale-down (this pod's ordinal is no longer wanted: leave the
//! ensemble) from a restart or an eviction (stay). It needs `get` on that
//! one StatefulSet and the pod's service account token, nothing more.
//!
//! One HTTP/1.0 GET over TLS (rustls, with the service account's CA), read
//! to the end: no HTTP client library for a single request.

use crate::sys::report::{clean, shown};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

/// Where the kubelet mounts the service account.
pub const SERVICE_ACCOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The largest response read (a StatefulSet is a few KiB).
const MAX_RESPONSE: usize = 1 << 20;

/// How to reach the API server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    /// `https` (in a pod) or `http` (a local stand-in, `ZKPOD_KUBE_API`).
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// The service account token (`Authorization: Bearer`).
    pub token: Option<String>,
    /// PEM of the CA that signed the API server's certificate.
    pub ca: Option<Vec<u8>>,
}

/// The environment and files [`Api::locate`] reads.
pub struct Env<'a> {
    pub var: &'a dyn Fn(&str) -> Option<String>,
    pub read: &'a dyn Fn(&Path) -> std::io::Result<Vec<u8>>,
}

impl Api {
    /// The API server of this pod: `ZKPOD_KUBE_API` (`http://host:port`,
    /// for a local stand-in) if set, else the in-cluster address the kubelet
    /// gives every pod (`KUBERNETES_SERVICE_HOST`/`_PORT`) with the service
    /// account's token and CA.
    ///
    /// Fails with a one-line reason when none is available (no service
    /// account token: `automountServiceAccountToken: false`).
    pub fn locate(env: &Env<'_>) -> Result<Api, String> {
        if let Some(url) = (env.var)("ZKPOD_KUBE_API").filter(|u| !u.is_empty()) {
            let (tls, rest) = match url.split_once("://") {
                Some(("http", r)) => (false, r),
                Some(("https", r)) => (true, r),
                _ => {
                    return Err(format!(
                        "ZKPOD_KUBE_API {} is not http://host:port or https://host:port",
                        shown(&url)
                    ))
                }
            };
            let rest = rest.trim_end_matches('/');
            let (host, port) = rest
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.trim_matches(['[', ']']).to_string(), p.parse().ok()?)))
                .ok_or_else(|| format!("ZKPOD_KUBE_API {} has no port", shown(&url)))?;
            return Ok(Api {
                tls,
                host,
                port,
                token: None,
                ca: None,
            });
        }
        let host = (env.var)("KUBERNETES_SERVICE_HOST")
            .ok_or("KUBERNETES_SERVICE_HOST is not set (not in a Kubernetes pod)")?;
        let port = (env.var)("KUBERNETES_SERVICE_PORT")
            .and_then(|p| p.parse().ok())
            .unwrap_or(443);
        let sa = Path::new(SERVICE_ACCOUNT);
        let token = (env.read)(&sa.join("token")).map_err(|e| {
            format!(
                "no service account token at {}/token ({e}): the pod has automountServiceAccountToken: false",
                SERVICE_ACCOUNT
            )
        })?;
        let ca = (env.read)(&sa.join("ca.crt"))
            .map_err(|e| format!("no service account CA at {SERVICE_ACCOUNT}/ca.crt ({e})"))?;
        // The token goes into a header line: anything but visible ASCII
        // (a line break would add headers) is refused, and never quoted.
        let token = String::from_utf8_lossy(&token).trim().to_string();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "the service account token at {SERVICE_ACCOUNT}/token is empty or holds a character a bearer token cannot have"
            ));
        }
        Ok(Api {
            tls: true,
            host,
            port,
            token: Some(token),
            ca: Some(ca),
        })
    }
}

/// This pod's namespace: `POD_NAMESPACE`, else the service account's.
pub fn namespace(env: &Env<'_>) -> Option<String> {
    (env.var)("POD_NAMESPACE")
        .filter(|n| !n.is_empty())
        .or_else(|| {
            (env.read)(&Path::new(SERVICE_ACCOUNT).join("namespace"))
                .ok()
                .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        })
}

/// What the API answered about the StatefulSet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replicas {
    /// `spec.replicas`.
    Wanted(u32),
    /// The StatefulSet does not exist (deleted: every pod goes, nothing
    /// scales down).
    Gone,
}

/// The request line and headers of the GET.
pub fn request(api: &Api, namespace: &str, name: &str) -> String {
    let mut r = format!(
        "GET /apis/apps/v1/namespaces/{namespace}/statefulsets/{name} HTTP/1.0\r\nHost: {}\r\nAccept: application/json\r\nUser-Agent: zkpod\r\n",
        api.host
    );
    if let Some(t) = &api.token {
        r.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    r.push_str("\r\n");
    r
}

/// Reads `spec.replicas` from a whole HTTP response.
///
/// Fails with a one-line reason for anything but 200 (with the JSON) or
/// 404.
pub fn parse_response(bytes: &[u8]) -> Result<Replicas, String> {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("the API server's answer is not HTTP")?;
    let status: u16 = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("the API server's answer has no HTTP status")?;
    match status {
        200 => {
            let v: serde_json::Value = serde_json::from_str(body)
                .map_err(|e| format!("the StatefulSet is not JSON ({e})"))?;
            // An unset spec.replicas means 1 (Kubernetes' default).
            match v.pointer("/spec/replicas") {
                None | Some(serde_json::Value::Null) => Ok(Replicas::Wanted(1)),
                Some(r) => r
                    .as_u64()
                    .and_then(|r| u32::try_from(r).ok())
                    .map(Replicas::Wanted)
                    .ok_or_else(|| format!("spec.replicas is {}, not a count", clean(&r.to_string()))),
            }
        }
        404 => Ok(Replicas::Gone),
        401 | 403 => Err(format!(
            "the API server refused (HTTP {status}): the pod's service account may not get its StatefulSet (the manifests' Role grants get on it)"
        )),
        other => Err(format!("the API server answered HTTP {other}")),
    }
}

/// Asks the API server for StatefulSet `name`'s wanted replicas.
///
/// Fails with a one-line reason (connect, TLS, HTTP, JSON) within
/// `timeout`.
pub fn replicas(
    api: &Api,
    namespace: &str,
    name: &str,
    timeout: Duration,
) -> anyhow::Result<Result<Replicas, String>> {
    // Both go into the request line: DNS labels only (a space or a line
    // break would change the request).
    for (what, v) in [("namespace", namespace), ("StatefulSet name", name)] {
        if let Err(why) = crate::config::values::dns_label(v) {
            return Ok(Err(format!("the {what} {} {why}", shown(v))));
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .context("cannot create the tokio runtime for the Kubernetes API")?;
    let deadline = Instant::now() + timeout;
    let answer = rt.block_on(async {
        match timeout_at(deadline, get(api, &request(api, namespace, name))).await {
            Err(_) => Err(format!(
                "no answer from the API server {}:{} within {}s",
                api.host,
                api.port,
                timeout.as_secs()
            )),
            Ok(r) => r.and_then(|b| parse_response(&b)),
        }
    });
    rt.shutdown_background();
    Ok(answer)
}

async fn get(api: &Api, request: &str) -> Result<Vec<u8>, String> {
    let tcp = tokio::net::TcpStream::connect((api.host.as_str(), api.port))
        .await
        .map_err(|e| {
            format!(
                "cannot connect to the API server {}:{}: {e}",
                api.host, api.port
            )
        })?;
    if !api.tls {
        return exchange(tcp, request).await;
    }
    let mut roots = rustls::RootCertStore::empty();
    let ca = api.ca.as_deref().unwrap_or_default();
    use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
    for cert in CertificateDer::pem_slice_iter(ca) {
        let cert = cert.map_err(|e| format!("the service account CA is not PEM ({e:?})"))?;
        roots
            .add(cert)
            .map_err(|e| format!("the service account CA is not usable ({e})"))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS setup failed ({e})"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from(api.host.clone())
        .map_err(|e| format!("'{}' is not a server name ({e})", api.host))?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with the API server {} failed: {e}", api.host))?;
    exchange(tls, request).await
}

async fn exchange<S>(mut s: S, request: &str) -> Result<Vec<u8>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    s.write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot send to the API server: {e}"))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match s.read(&mut chunk).await {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > MAX_RESPONSE {
                    return Err("the API server's answer is over 1 MiB".to_string());
                }
            }
            // Servers may end TLS without close_notify after an HTTP/1.0 reply.
            Err(e) if !buf.is_empty() && e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(format!("reading the API server's answer failed: {e}")),
        }
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Var<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;
    type Read<'a> = Box<dyn Fn(&Path) -> std::io::Result<Vec<u8>> + 'a>;

    fn env<'a>(
        vars: &'a [(&'a str, &'a str)],
        files: &'a [(&'a str, &'a str)],
    ) -> (Var<'a>, Read<'a>) {
        (
            Box::new(move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }),
            Box::new(move |p: &Path| {
                files
                    .iter()
                    .find(|(n, _)| Path::new(n) == p)
                    .map(|(_, v)| v.as_bytes().to_vec())
                    .ok_or_else(|| std::io::ErrorKind::NotFound.into())
            }),
        )
    }

    #[test]
    fn in_a_pod_the_api_is_the_kubernetes_service_with_the_token() {
        let (var, read) = env(
            &[
                ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
                ("KUBERNETES_SERVICE_PORT", "443"),
            ],
            &[
                (
                    "/var/run/secrets/kubernetes.io/serviceaccount/token",
                    "tok\n",
                ),
                (
                    "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
                    "PEM",
                ),
                (
                    "/var/run/secrets/kubernetes.io/serviceaccount/namespace",
                    "kafka",
                ),
            ],
        );
        let e = Env {
            var: &var,
            read: &read,
        };
        let api = Api::locate(&e).unwrap();
        assert_eq!(
            (api.tls, api.host.as_str(), api.port),
            (true, "10.96.0.1", 443)
        );
        assert_eq!(api.token.as_deref(), Some("tok"));
        assert_eq!(namespace(&e).as_deref(), Some("kafka"));
        let r = request(&api, "kafka", "zk");
        assert!(
            r.starts_with("GET /apis/apps/v1/namespaces/kafka/statefulsets/zk HTTP/1.0\r\n"),
            "{r}"
        );
        assert!(r.contains("Authorization: Bearer tok\r\n"));
    }

    #[test]
    fn without_a_token_the_reason_says_so() {
        let (var, read) = env(&[("KUBERNETES_SERVICE_HOST", "10.96.0.1")], &[]);
        let e = Api::locate(&Env {
            var: &var,
            read: &read,
        })
        .unwrap_err();
        assert!(e.contains("automountServiceAccountToken: false"), "{e}");
        let (var, read) = env(&[], &[]);
        let e = Api::locate(&Env {
            var: &var,
            read: &read,
        })
        .unwrap_err();
        assert!(e.contains("KUBERNETES_SERVICE_HOST is not set"), "{e}");
    }

    #[test]
    fn a_local_stand_in() {
        let (var, read) = env(&[("ZKPOD_KUBE_API", "http://127.0.0.1:18001")], &[]);
        let api = Api::locate(&Env {
            var: &var,
            read: &read,
        })
        .unwrap();
        assert_eq!(
            (api.tls, api.host.as_str(), api.port),
            (false, "127.0.0.1", 18001)
        );
    }

    #[test]
    fn responses() {
        let ok =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"spec\":{\"replicas\":5}}";
        assert_eq!(parse_response(ok), Ok(Replicas::Wanted(5)));
        let unset = b"HTTP/1.1 200 OK\r\n\r\n{\"spec\":{}}";
        assert_eq!(parse_response(unset), Ok(Replicas::Wanted(1)));
        assert_eq!(
            parse_response(b"HTTP/1.1 404 Not Found\r\n\r\n{}"),
            Ok(Replicas::Gone)
        );
        let e = parse_response(b"HTTP/1.1 403 Forbidden\r\n\r\n{}").unwrap_err();
        assert!(e.contains("may not get its StatefulSet"), "{e}");
        assert!(parse_response(b"garbage").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n\r\n{\"spec\":{\"replicas\":-1}}").is_err());
    }
}
