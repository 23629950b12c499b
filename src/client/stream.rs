//! The connection to a server: resolving its host and connecting, under the
//! session's deadline, to a [`Stream`].
//!
//! `Stream` is an enum over what carries the bytes: plain TCP, or TLS on
//! ZooKeeper's secure client port (rustls, see [`tls`](crate::client::tls)).
//! The exchange above only reads and writes a `Stream`.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_rustls::client::TlsStream;

use crate::client::error::{Error, Phase};
use crate::client::tls::{Connector, Failure};

/// A connection to a server.
#[derive(Debug)]
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
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
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    /// Plain TCP: half-closes the write side, so the server sees the end of
    /// the request, as with `nc -q`. TLS: only flushes. A close_notify would
    /// end the TLS session, and ZooKeeper's Netty pipeline then closes the
    /// connection, racing the reply; ZooKeeper needs no end of request for
    /// a four-letter word, and closes after its reply.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
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

/// Connects to the first address that accepts (and, with `tls`, completes
/// the TLS handshake there, under the same deadline); reports the last
/// failure.
pub async fn connect(
    addrs: &[SocketAddr],
    deadline: Instant,
    tls: Option<&Connector>,
) -> Result<Stream, Error> {
    let timed_out = |phase| Error::TimedOut {
        phase,
        partial: Vec::new(),
    };
    let mut last = Error::Refused;
    for addr in addrs {
        match timeout_at(deadline, TcpStream::connect(addr)).await {
            Err(_) => return Err(timed_out(Phase::Connect)),
            Ok(Ok(s)) => {
                let Some(c) = tls else {
                    return Ok(Stream::Plain(s));
                };
                return match timeout_at(deadline, c.handshake(s)).await {
                    Err(_) => Err(timed_out(Phase::Handshake)),
                    Ok(Ok(t)) => Ok(Stream::Tls(Box::new(t))),
                    Ok(Err(f)) => Err(failure(f)),
                };
            }
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => last = Error::Refused,
            Ok(Err(e)) => last = Error::io(&e),
        }
    }
    Err(last)
}

/// A failed TLS stream operation as an [`Error`].
pub fn failure(f: Failure) -> Error {
    match f {
        Failure::Tls(t) => Error::Tls(t),
        Failure::Io(e) if e.kind() == io::ErrorKind::ConnectionRefused => Error::Refused,
        Failure::Io(e) => Error::io(&e),
    }
}
