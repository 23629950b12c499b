//! A conversation with one server: a current_thread tokio runtime built
//! once, and the one deadline that every word asked in it shares.
//!
//! The probe path sets up no logging and starts no thread: the runtime has
//! no worker threads, and an IP literal host needs no resolver thread.

use anyhow::Context;
use tokio::runtime::Runtime;
use tokio::time::Instant;

use crate::client::tls::Connector;
use crate::client::{fourlw, Endpoint, Error};

/// The result of asking one word: the reply bytes, or why there are none.
pub type Outcome = Result<Vec<u8>, Error>;

/// Asks four-letter words of one server until its deadline.
pub struct Session {
    /// `None` only while being dropped.
    runtime: Option<Runtime>,
    endpoint: Endpoint,
    deadline: Instant,
    /// With TLS: the connector built from the endpoint's material once, or
    /// why it could not be (every word then fails with that).
    tls: Option<Result<Connector, Error>>,
}

impl Session {
    /// Starts the clock: everything asked in this session must be answered
    /// within `endpoint.timeout` from now.
    ///
    /// With TLS, the material is read and checked here (a failure is
    /// reported by every [`ask`](Session::ask)).
    ///
    /// Fails only when the runtime cannot be created (no epoll or timer).
    pub fn open(endpoint: &Endpoint) -> anyhow::Result<Session> {
        Session::open_at(endpoint, std::time::Instant::now())
    }

    /// As [`Session::open`], with the clock started at `started`: the
    /// deadline is `started + endpoint.timeout`, so what was done since
    /// (reading zoo.cfg to find the endpoint) counts against it.
    ///
    /// Fails only when the runtime cannot be created (no epoll or timer).
    pub fn open_at(endpoint: &Endpoint, started: std::time::Instant) -> anyhow::Result<Session> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .context("cannot create the tokio runtime for the four-letter-word client")?;
        let tls = endpoint
            .tls
            .as_ref()
            .map(|spec| Connector::new(spec, &endpoint.host).map_err(Error::Tls));
        Ok(Session {
            runtime: Some(runtime),
            endpoint: endpoint.clone(),
            deadline: Instant::from_std(started) + endpoint.timeout,
            tls,
        })
    }

    /// Sends `word` and waits for the reply, at the latest until the
    /// session's deadline.
    pub fn ask(&self, word: &[u8; 4]) -> Outcome {
        let tls = match &self.tls {
            None => None,
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => return Err(e.clone()),
        };
        let e = &self.endpoint;
        let query = fourlw::query(&e.host, e.port, word, self.deadline, tls);
        match &self.runtime {
            Some(rt) => rt.block_on(query),
            None => unreachable!("the runtime is only taken when the session is dropped"),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Do not wait for a host-name lookup still running on the blocking pool.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Duration;

    #[test]
    fn words_of_one_session_share_its_deadline() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let mut s = conn.unwrap();
                let mut w = [0u8; 4];
                s.read_exact(&mut w).unwrap();
                if &w == b"ruok" {
                    s.write_all(b"imok").unwrap();
                } else {
                    // Hold the second word past the deadline.
                    std::thread::sleep(Duration::from_secs(2));
                }
            }
        });
        let e = Endpoint {
            host: "127.0.0.1".into(),
            port,
            timeout: Duration::from_millis(300),
            tls: None,
        };
        let s = Session::open(&e).unwrap();
        let started = std::time::Instant::now();
        assert_eq!(s.ask(b"ruok").unwrap(), b"imok");
        assert!(matches!(s.ask(b"srvr"), Err(Error::TimedOut { .. })));
        let took = started.elapsed();
        assert!(took < Duration::from_millis(800), "{took:?}");
    }
}
