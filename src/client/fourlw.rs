//! The four-letter-word client: ZooKeeper's `ruok`, `srvr`, `mntr`, ... over
//! a plain TCP connection, without a shell or `nc`.
//!
//! One exchange is: connect, write the four bytes, half-close the write side
//! (so the server sees the end of the request, as `nc -q` did), then read to
//! EOF. One deadline covers everything, the retry included. An empty reply
//! (the server closed without a byte: the flaky-`nc` case of the tutorial
//! scripts, see docs/field-notes.md) is retried once if time remains.
//!
//! Runs on a tokio current_thread runtime that the command layer builds; an IP
//! literal host resolves without a thread, a host name through tokio's
//! blocking pool (under the same deadline).

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

/// The largest reply kept (a 3.8 `mntr` is about 15 KiB); a longer reply is
/// cut here, so a misbehaving peer cannot make the probe allocate without bound.
pub const MAX_REPLY: usize = 1 << 20;

/// A complete reply (the server closed the connection after it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The bytes received, at most [`MAX_REPLY`].
    pub bytes: Vec<u8>,
    /// 1, or 2 when the first exchange got an empty reply and was retried.
    pub attempts: u8,
}

/// Which part of the exchange ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The TCP connection was not established.
    Connect,
    /// Connected, but the reply did not end (EOF) in time.
    Reply,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Connect => "connect",
            Phase::Reply => "reply",
        })
    }
}

/// Why an exchange failed. Plain data, so `probe` can judge it without I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FourLwError {
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
}

impl fmt::Display for FourLwError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FourLwError::Resolve { host, detail } => write!(f, "cannot resolve {host}: {detail}"),
            FourLwError::Refused => f.write_str("connection refused"),
            FourLwError::TimedOut { phase, partial } => {
                write!(f, "timed out ({phase}, {} bytes received)", partial.len())
            }
            FourLwError::Empty { attempts } => write!(f, "empty reply ({attempts} attempts)"),
            FourLwError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for FourLwError {}

/// Sends the four-letter word `cmd` to `host:port` and returns the reply.
///
/// Fails with [`FourLwError`]: `Resolve` when the host does not resolve,
/// `Refused`, `TimedOut` when `deadline` passes (connect or reply phase, with
/// the partial bytes), `Empty` when the server closed without a byte twice
/// (or once with no time left for the retry), `Io` for other socket errors.
pub async fn query(
    host: &str,
    port: u16,
    cmd: &[u8; 4],
    deadline: Instant,
) -> Result<Reply, FourLwError> {
    let addrs = resolve(host, port, deadline).await?;
    let first = exchange(&addrs, cmd, deadline).await?;
    if !first.is_empty() {
        return Ok(Reply {
            bytes: first,
            attempts: 1,
        });
    }
    // Empty reply: retry once, only if the deadline leaves room for it.
    if Instant::now() >= deadline {
        return Err(FourLwError::Empty { attempts: 1 });
    }
    let second = exchange(&addrs, cmd, deadline).await?;
    if second.is_empty() {
        return Err(FourLwError::Empty { attempts: 2 });
    }
    Ok(Reply {
        bytes: second,
        attempts: 2,
    })
}

/// An IP literal needs no lookup (and no thread); a name goes through the
/// system resolver on tokio's blocking pool, under the deadline.
async fn resolve(host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, FourLwError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let err = |detail: String| FourLwError::Resolve {
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

/// One connect / write / half-close / read-to-EOF. Returns the bytes (maybe
/// none: the caller decides on the retry).
async fn exchange(
    addrs: &[SocketAddr],
    cmd: &[u8; 4],
    deadline: Instant,
) -> Result<Vec<u8>, FourLwError> {
    let mut stream = connect(addrs, deadline).await?;
    let mut buf = Vec::with_capacity(256);
    // A server that closes at once may reset the connection before our write
    // or half-close lands; that is an empty reply, not an I/O failure.
    let sent = async {
        stream.write_all(cmd).await?;
        stream.shutdown().await
    };
    match timeout_at(deadline, sent).await {
        Err(_) => {
            return Err(FourLwError::TimedOut {
                phase: Phase::Reply,
                partial: buf,
            })
        }
        Ok(Err(e)) if closed_early(&e) => return Ok(buf),
        Ok(Err(e)) => return Err(io_error(&e)),
        Ok(Ok(())) => {}
    }
    let mut chunk = [0u8; 4096];
    loop {
        match timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => {
                return Err(FourLwError::TimedOut {
                    phase: Phase::Reply,
                    partial: buf,
                })
            }
            Ok(Ok(0)) => return Ok(buf),
            Ok(Ok(n)) => {
                let room = MAX_REPLY - buf.len();
                buf.extend_from_slice(&chunk[..n.min(room)]);
                if buf.len() >= MAX_REPLY {
                    return Ok(buf);
                }
            }
            // ZooKeeper closes right after its reply; a reset that follows
            // the data ends the reply like an EOF does.
            Ok(Err(e)) if closed_early(&e) => return Ok(buf),
            Ok(Err(e)) => return Err(io_error(&e)),
        }
    }
}

/// Connects to the first address that accepts; reports the last failure.
async fn connect(addrs: &[SocketAddr], deadline: Instant) -> Result<TcpStream, FourLwError> {
    let mut last = FourLwError::Refused;
    for addr in addrs {
        match timeout_at(deadline, TcpStream::connect(addr)).await {
            Err(_) => {
                return Err(FourLwError::TimedOut {
                    phase: Phase::Connect,
                    partial: Vec::new(),
                })
            }
            Ok(Ok(s)) => return Ok(s),
            Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
                last = FourLwError::Refused
            }
            Ok(Err(e)) => last = io_error(&e),
        }
    }
    Err(last)
}

fn closed_early(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe | io::ErrorKind::NotConnected
    )
}

fn io_error(e: &io::Error) -> FourLwError {
    FourLwError::Io(e.to_string())
}

/// Checks that `word` is a four-letter-word command: exactly four ASCII
/// lowercase letters. Fails with a one-line reason naming the word.
pub fn parse_command(word: &str) -> Result<[u8; 4], String> {
    let b = word.as_bytes();
    if b.len() == 4 && b.iter().all(u8::is_ascii_lowercase) {
        Ok([b[0], b[1], b[2], b[3]])
    } else {
        Err(format!(
            "\"{}\" is not a four-letter word: ZooKeeper's commands are exactly four lowercase ASCII letters. Fix: use one such as srvr, mntr, conf, cons, envi, ruok, stat, isro, wchs",
            word.escape_default()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Duration;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .unwrap()
    }

    /// A one-shot fake server: reads the request to EOF, replies, closes.
    fn serve_once(reply: &'static [u8]) -> (u16, std::thread::JoinHandle<Vec<u8>>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut req = Vec::new();
            s.read_to_end(&mut req).unwrap();
            s.write_all(reply).unwrap();
            req
        });
        (port, h)
    }

    #[test]
    fn sends_the_word_half_closes_and_reads_to_eof() {
        let (port, h) = serve_once(b"imok");
        let deadline = Instant::now() + Duration::from_secs(5);
        let r = rt().block_on(query("127.0.0.1", port, b"ruok", deadline));
        assert_eq!(
            r.unwrap(),
            Reply {
                bytes: b"imok".to_vec(),
                attempts: 1
            }
        );
        // The server only saw EOF because we half-closed.
        assert_eq!(h.join().unwrap(), b"ruok");
    }

    #[test]
    fn empty_reply_is_retried_once_and_counted() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            drop(l.accept().unwrap()); // first: close with nothing
            let (mut s, _) = l.accept().unwrap();
            let mut req = [0u8; 4];
            s.read_exact(&mut req).unwrap();
            s.write_all(b"imok").unwrap();
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let r = rt().block_on(query("127.0.0.1", port, b"ruok", deadline));
        assert_eq!(
            r.unwrap(),
            Reply {
                bytes: b"imok".to_vec(),
                attempts: 2
            }
        );
        h.join().unwrap();
    }

    #[test]
    fn reply_is_capped() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut req = [0u8; 4];
            s.read_exact(&mut req).unwrap();
            let _ = s.write_all(&vec![b'x'; MAX_REPLY * 2]);
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let r = rt().block_on(query("127.0.0.1", port, b"mntr", deadline));
        assert_eq!(r.unwrap().bytes.len(), MAX_REPLY);
    }

    #[test]
    fn refused_is_typed() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let r = rt().block_on(query("127.0.0.1", port, b"ruok", deadline));
        assert_eq!(r, Err(FourLwError::Refused));
    }

    #[test]
    fn unresolvable_host_is_typed() {
        // A name the resolver rejects before sending any query (a NUL byte):
        // tests must not send DNS traffic off this machine's loopback.
        let deadline = Instant::now() + Duration::from_secs(5);
        let r = rt().block_on(query("zk\0host", 2181, b"ruok", deadline));
        assert!(matches!(r, Err(FourLwError::Resolve { .. })), "{r:?}");
    }

    #[test]
    fn command_words() {
        assert_eq!(parse_command("mntr"), Ok(*b"mntr"));
        for bad in ["MNTR", "mnt", "mntrs", "mn r", "mntř", ""] {
            let e = parse_command(bad).unwrap_err();
            assert!(e.contains("is not a four-letter word"), "{e}");
            assert!(!e.contains('\n'));
        }
    }
}
