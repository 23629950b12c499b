//! The connection to a server: resolving its host and connecting, under the
//! session's deadline, to a [`Stream`].
//!
//! `Stream` is an enum over what carries the bytes. Today that is plain TCP;
//! TLS for probes of a TLS-only client port (rustls, from the PEM files
//! cert-manager mounts) becomes a second variant, and the exchange above,
//! which only reads and writes a `Stream`, does not change.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use crate::client::error::{Error, Phase};

/// A connection to a server.
#[derive(Debug)]
pub enum Stream {
    Plain(TcpStream),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
        }
    }

    /// Half-closes the write side: the server then sees the end of the
    /// request, as with `nc -q`.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// The addresses of `host:port`. An IP literal needs no lookup (and no
/// thread); a name goes through the system resolver on tokio's blocking
/// pool, under the deadline.
pub async fn resolve(host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, Error> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let err = |detail: String| Error::Resolve {
        host: host.to_string(),
        detail,
    };
    match timeout_at(deadline, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(err(
            "no answer from the resolver before the deadline".to_string()
        )),
        Ok(Err(e)) => Err(err(e.to_string())),
        Ok(Ok(it)) => {
            let v: Vec<SocketAddr> = it.collect();
            if v.is_empty() {
                Err(err("no addresses".to_string()))
            } else {
                Ok(v)
            }
        }
    }
}

/// Connects to the first address that accepts; reports the last failure.
pub async fn connect(addrs: &[SocketAddr], deadline: Instant) -> Result<Stream, Error> {
    let mut last = Error::Refused;
    for addr in addrs {
        match timeout_at(deadline, TcpStream::connect(addr)).await {
            Err(_) => {
                return Err(Error::TimedOut {
                    phase: Phase::Connect,
                    partial: Vec::new(),
                })
            }
            Ok(Ok(s)) => return Ok(Stream::Plain(s)),
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => last = Error::Refused,
            Ok(Err(e)) => last = Error::io(&e),
        }
    }
    Err(last)
}
