//! The four-letter-word exchange: ZooKeeper's `ruok`, `srvr`, `mntr`, ...
//! without a shell or `nc`.
//!
//! One exchange is: connect, write the four bytes, half-close the write side
//! (so the server sees the end of the request, as `nc -q` did), then read to
//! EOF. One deadline covers everything, the retry included. An empty reply
//! (the server closed without a byte, as when the tutorial's `echo ruok | nc`
//! probe failed at random on a healthy server) is retried once if time
//! remains.
//!
//! Runs on the tokio current_thread runtime of a [`Session`]; an IP literal
//! host resolves without a thread, a host name through tokio's blocking pool
//! (under the same deadline).
//!
//! [`Session`]: crate::client::Session

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

use crate::client::error::{closed_early, Error, Phase};
use crate::client::stream;
use crate::client::tls::Connector;

/// The largest reply kept (a 3.8 `mntr` is about 15 KiB); a longer reply is
/// cut here, so a misbehaving peer cannot make the probe allocate without bound.
pub const MAX_REPLY: usize = 1 << 20;

/// Sends the four-letter word `word` to `host:port` and returns the reply
/// (at most [`MAX_REPLY`] bytes; the server closed the connection after it).
///
/// Fails with [`Error`]: `Resolve` when the host does not resolve,
/// `Refused`, `TimedOut` when `deadline` passes (connect or reply phase, with
/// the partial bytes), `Empty` when the server closed without a byte twice
/// (or once with no time left for the retry), `Io` for other socket errors,
/// `Tls` when `tls` is given and the TLS layer fails.
pub async fn query(
    host: &str,
    port: u16,
    word: &[u8; 4],
    deadline: Instant,
    tls: Option<&Connector>,
) -> Result<Vec<u8>, Error> {
    let addrs = stream::resolve(host, port, deadline).await?;
    let first = exchange(&addrs, word, deadline, tls).await?;
    if !first.is_empty() {
        return Ok(first);
    }
    // Empty reply: retry once, only if the deadline leaves room for it.
    if Instant::now() >= deadline {
        return Err(Error::Empty { attempts: 1 });
    }
    let second = exchange(&addrs, word, deadline, tls).await?;
    if second.is_empty() {
        return Err(Error::Empty { attempts: 2 });
    }
    Ok(second)
}

/// One connect / write / half-close / read-to-EOF. Returns the bytes (maybe
/// none: the caller decides on the retry).
async fn exchange(
    addrs: &[std::net::SocketAddr],
    word: &[u8; 4],
    deadline: Instant,
    tls: Option<&Connector>,
) -> Result<Vec<u8>, Error> {
    let mut stream = stream::connect(addrs, deadline, tls).await?;
    // Over TLS an I/O error may carry the TLS layer's reason (an alert that
    // refuses our certificate arrives after a TLS 1.3 handshake, at the
    // first read).
    let fail = |e: std::io::Error| match tls {
        Some(c) => stream::failure(c.classify(e)),
        None => Error::io(&e),
    };
    let mut buf = Vec::with_capacity(256);
    // A server that closes at once may reset the connection before our write
    // or half-close lands; that is an empty reply, not an I/O failure.
    let sent = async {
        stream.write_all(word).await?;
        stream.shutdown().await
    };
    match timeout_at(deadline, sent).await {
        Err(_) => {
            return Err(Error::TimedOut {
                phase: Phase::Reply,
                partial: buf,
            })
        }
        Ok(Err(e)) if closed_early(&e) => return Ok(buf),
        Ok(Err(e)) => return Err(fail(e)),
        Ok(Ok(())) => {}
    }
    let mut chunk = [0u8; 4096];
    loop {
        match timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => {
                return Err(Error::TimedOut {
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
            Ok(Err(e)) => return Err(fail(e)),
        }
    }
}

/// Checks that `word` is a four-letter word: exactly four ASCII lowercase
/// letters. Fails with a one-line reason naming the word.
pub fn parse_word(word: &str) -> Result<[u8; 4], String> {
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
        let r = rt().block_on(query("127.0.0.1", port, b"ruok", deadline, None));
        assert_eq!(r.unwrap(), b"imok");
        // The server only saw EOF because we half-closed.
        assert_eq!(h.join().unwrap(), b"ruok");
    }

    #[test]
    fn empty_reply_is_retried_once() {
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
        // Only the second connection answers: imok proves the retry.
        let r = rt().block_on(query("127.0.0.1", port, b"ruok", deadline, None));
        assert_eq!(r.unwrap(), b"imok");
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
        let r = rt().block_on(query("127.0.0.1", port, b"mntr", deadline, None));
        assert_eq!(r.unwrap().len(), MAX_REPLY);
    }

    #[test]
    fn refused_is_typed() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let r = rt().block_on(query("127.0.0.1", port, b"ruok", deadline, None));
        assert_eq!(r, Err(Error::Refused));
    }

    #[test]
    fn unresolvable_host_is_typed() {
        // A name the resolver rejects before sending any query (a NUL byte):
        // tests must not send DNS traffic off this machine's loopback.
        let deadline = Instant::now() + Duration::from_secs(5);
        let r = rt().block_on(query("zk\0host", 2181, b"ruok", deadline, None));
        assert!(matches!(r, Err(Error::Resolve { .. })), "{r:?}");
    }

    #[test]
    fn four_letter_words() {
        assert_eq!(parse_word("mntr"), Ok(*b"mntr"));
        for bad in ["MNTR", "mnt", "mntrs", "mn r", "mntř", ""] {
            let e = parse_word(bad).unwrap_err();
            assert!(e.contains("is not a four-letter word"), "{e}");
            assert!(!e.contains('\n'));
        }
    }
}
