//! Why an exchange with a server failed, as plain data that `probe` judges.

use std::fmt;
use std::io;

use crate::client::tls::TlsError;

/// Which part of the exchange ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The connection was not established.
    Connect,
    /// Connected, but the TLS handshake did not finish in time.
    Handshake,
    /// Connected, but the reply did not end (EOF) in time.
    Reply,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Connect => "connect",
            Phase::Handshake => "TLS handshake",
            Phase::Reply => "reply",
        })
    }
}

/// Why an exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The host name did not resolve to any address.
    Resolve { host: String, detail: String },
    /// Nothing listens on the port (ECONNREFUSED).
    Refused,
    /// The deadline passed; `partial` holds the bytes received before it.
    TimedOut { phase: Phase, partial: Vec<u8> },
    /// The server closed the connection without a byte, on every attempt.
    Empty { attempts: u8 },
    /// Any other socket error, as text (kind and OS message).
    Io(String),
    /// The TLS layer failed (handshake, certificates, our own material).
    Tls(TlsError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Resolve { host, detail } => write!(f, "cannot resolve {host}: {detail}"),
            Error::Refused => f.write_str("connection refused"),
            Error::TimedOut { phase, partial } => {
                write!(f, "timed out ({phase}, {} bytes received)", partial.len())
            }
            Error::Empty { attempts } => write!(f, "empty reply ({attempts} attempts)"),
            Error::Io(e) => write!(f, "{e}"),
            Error::Tls(e) => write!(f, "TLS: {e:?}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    pub(crate) fn io(e: &io::Error) -> Error {
        Error::Io(e.to_string())
    }
}

/// Whether an I/O error means the peer closed or reset the connection: at
/// the end of a reply that is its end, not a failure. Over TLS, a close
/// without close_notify reads as UnexpectedEof.
pub(crate) fn closed_early(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::NotConnected
            | io::ErrorKind::UnexpectedEof
    )
}
