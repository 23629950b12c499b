//! The ZooKeeper client protocol, for what membership needs: a session
//! authenticated as ZooKeeper's superuser, the committed configuration
//! (`/zookeeper/config`, after a `sync`), a conditional incremental
//! `reconfig`, and a write that confirms a new configuration is active.
//!
//! The wire protocol (jute records, session handshake, auth packets,
//! reconnects within a session) comes from the `zookeeper-client` crate;
//! this module gives it one deadline per call and maps its errors to the
//! few cases the membership loop acts on ([`ZkError`]).

use std::fmt;
use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use tokio::runtime::Runtime;
use zookeeper_client as zk;

use crate::client::Endpoint;

/// The znode where `zkpod join`/`leave` record the last membership change
/// they made. Writing it is how a new configuration is confirmed: a write
/// commits only in the configuration that is active (a `sync` would not
/// prove that, see ZooKeeper's reconfig guide).
pub const NOTE_PARENT: &str = "/zkpod";
pub const NOTE: &str = "/zkpod/membership";

/// What went wrong talking to ZooKeeper, as far as the membership loop
/// cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZkError {
    /// No session could be established (refused, unreachable, timed out).
    Connect(String),
    /// The digest is wrong or the superuser is not configured on the server.
    NoAuth,
    /// Conditional reconfig: the configuration changed since it was read.
    BadVersion,
    /// Another reconfig is being committed.
    InProgress,
    /// No quorum of the new configuration is connected and synced yet.
    NoQuorum,
    /// The server runs with reconfigEnabled=false.
    Disabled,
    /// The server refused the request's arguments.
    BadArguments(String),
    /// The connection dropped (e.g. the leader changed); the outcome of the
    /// request is unknown.
    ConnectionLoss,
    /// No answer before the deadline.
    Timeout,
    Other(String),
}

impl ZkError {
    /// Whether asking again (after reading the configuration again) can
    /// succeed.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            ZkError::Connect(_)
                | ZkError::BadVersion
                | ZkError::InProgress
                | ZkError::NoQuorum
                | ZkError::ConnectionLoss
                | ZkError::Timeout
        )
    }
}

impl fmt::Display for ZkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZkError::Connect(e) => write!(f, "no session: {e}"),
            ZkError::NoAuth => f.write_str("not authorized (superuser digest refused)"),
            ZkError::BadVersion => f.write_str("the configuration changed meanwhile"),
            ZkError::InProgress => f.write_str("another reconfiguration is in progress"),
            ZkError::NoQuorum => {
                f.write_str("no quorum of the new configuration is connected and synced")
            }
            ZkError::Disabled => f.write_str("reconfiguration is disabled on the server"),
            ZkError::BadArguments(e) => write!(f, "bad arguments: {e}"),
            ZkError::ConnectionLoss => f.write_str("the connection was lost"),
            ZkError::Timeout => f.write_str("no answer before the deadline"),
            ZkError::Other(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for ZkError {}

// ZooKeeper's error codes the crate passes through as numbers.
const NEW_CONFIG_NO_QUORUM: i32 = -13;
const RECONFIG_IN_PROGRESS: i32 = -14;

fn map(e: zk::Error) -> ZkError {
    match e {
        zk::Error::NoAuth | zk::Error::AuthFailed => ZkError::NoAuth,
        zk::Error::BadVersion => ZkError::BadVersion,
        zk::Error::ReconfigDisabled => ZkError::Disabled,
        zk::Error::BadArguments(s) => ZkError::BadArguments(s.to_string()),
        zk::Error::ConnectionLoss | zk::Error::SessionExpired | zk::Error::ClientClosed => {
            ZkError::ConnectionLoss
        }
        zk::Error::Timeout => ZkError::Timeout,
        zk::Error::UnexpectedErrorCode(NEW_CONFIG_NO_QUORUM) => ZkError::NoQuorum,
        zk::Error::UnexpectedErrorCode(RECONFIG_IN_PROGRESS) => ZkError::InProgress,
        other => ZkError::Other(other.to_string()),
    }
}

/// Where ZooKeeper keeps the committed dynamic configuration.
pub const CONFIG_NODE: &str = "/zookeeper/config";

/// The superuser's name in ZooKeeper's digest scheme.
pub const SUPERUSER: &str = "super";

/// An authenticated session with one server.
pub struct Admin {
    /// `None` only while being dropped.
    runtime: Option<Runtime>,
    client: Option<zk::Client>,
    timeout: Duration,
}

/// Note ACL: anyone may read the note; only the (super)user who wrote it
/// may change it.
const NOTE_ACLS: [zk::Acl; 2] = [
    zk::Acl::new_const(zk::Permission::READ, "world", "anyone"),
    zk::Acl::new_const(zk::Permission::ALL, "auth", ""),
];

impl Admin {
    /// Opens a session with `endpoint`, authenticated with the superuser
    /// `password` when given. Each later call waits at most
    /// `endpoint.timeout`.
    ///
    /// Fails with `ZkError::Connect` when no session is established in
    /// time; an error of the runtime itself is an `anyhow` error.
    pub fn connect(
        endpoint: &Endpoint,
        password: Option<&str>,
    ) -> anyhow::Result<Result<Admin, ZkError>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .context("cannot create the tokio runtime for the ZooKeeper client")?;
        let mut connector = zk::Client::connector()
            .with_session_timeout(Duration::from_secs(10))
            .with_connection_timeout(endpoint.timeout);
        if let Some(pw) = password {
            connector = connector.with_auth("digest", format!("{SUPERUSER}:{pw}").as_bytes());
        }
        let cluster = endpoint.to_string();
        let timeout = endpoint.timeout;
        let client = runtime.block_on(async {
            match tokio::time::timeout(timeout, connector.connect(&cluster)).await {
                Err(_) => Err(ZkError::Connect(format!(
                    "{cluster}: timed out after {}ms",
                    timeout.as_millis()
                ))),
                Ok(Err(zk::Error::NoAuth | zk::Error::AuthFailed)) => Err(ZkError::NoAuth),
                Ok(Err(e)) => Err(ZkError::Connect(format!("{cluster}: {e}"))),
                Ok(Ok(c)) => Ok(c),
            }
        });
        Ok(client.map(|client| Admin {
            runtime: Some(runtime),
            client: Some(client),
            timeout,
        }))
    }

    fn run<T, F>(&self, f: F) -> Result<T, ZkError>
    where
        F: Future<Output = Result<T, zk::Error>>,
    {
        let Some(rt) = &self.runtime else {
            unreachable!("the runtime is only taken when the session is dropped")
        };
        rt.block_on(async {
            match tokio::time::timeout(self.timeout, f).await {
                Err(_) => Err(ZkError::Timeout),
                Ok(r) => r.map_err(map),
            }
        })
    }

    fn client(&self) -> &zk::Client {
        match &self.client {
            Some(c) => c,
            None => unreachable!("the client is only taken when the session is dropped"),
        }
    }

    /// The committed configuration this server knows after a `sync` with
    /// the leader: the text of `/zookeeper/config` (server lines and
    /// `version=`).
    pub fn config(&self) -> Result<String, ZkError> {
        let c = self.client();
        self.run(c.sync(CONFIG_NODE))?;
        let (data, _) = self.run(c.get_config())?;
        Ok(String::from_utf8_lossy(&data).into_owned())
    }

    /// An incremental reconfig, applied only if the configuration is still
    /// version `from`: adds (or updates) the `joining` server lines and
    /// removes the `leaving` ids. Returns the new configuration's text.
    pub fn reconfig(
        &self,
        joining: &[String],
        leaving: &[u32],
        from: u64,
    ) -> Result<String, ZkError> {
        let leaving: Vec<String> = leaving.iter().map(u32::to_string).collect();
        let update = zk::EnsembleUpdate::Incremental {
            joinings: joining.iter().map(String::as_str),
            leavings: leaving.iter().map(String::as_str),
        };
        let version = i64::try_from(from).unwrap_or(i64::MAX);
        let (data, _) = self.run(self.client().update_ensemble(update, Some(version)))?;
        Ok(String::from_utf8_lossy(&data).into_owned())
    }

    /// Writes `note` to [`NOTE`] (creating it and its parent when absent):
    /// it commits only once the new configuration is active.
    pub fn write_note(&self, note: &str) -> Result<(), ZkError> {
        let c = self.client();
        let note_acls = NOTE_ACLS;
        let acls = zk::Acls::new(&note_acls);
        let options = zk::CreateMode::Persistent.with_acls(acls);
        match self.run(c.create(NOTE_PARENT, b"", &options)) {
            Ok(_) | Err(ZkError::Other(_)) => {}
            Err(e) => return Err(e),
        }
        match self.run(c.set_data(NOTE, note.as_bytes(), None)) {
            Ok(_) => Ok(()),
            Err(ZkError::Other(_)) => self
                .run(c.create(NOTE, note.as_bytes(), &options))
                .map(|_| ()),
            Err(e) => Err(e),
        }
    }
}

impl Drop for Admin {
    fn drop(&mut self) {
        // Dropping the client makes its session task send CloseSession;
        // give that a moment to reach the server before the runtime goes,
        // so the session ends now instead of timing out.
        if let Some(rt) = self.runtime.take() {
            drop(self.client.take());
            rt.block_on(async { tokio::time::sleep(Duration::from_millis(50)).await });
            rt.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_errors_are_the_transient_ones() {
        for e in [
            ZkError::BadVersion,
            ZkError::InProgress,
            ZkError::NoQuorum,
            ZkError::ConnectionLoss,
            ZkError::Timeout,
            ZkError::Connect("x".into()),
        ] {
            assert!(e.retryable(), "{e}");
        }
        for e in [
            ZkError::NoAuth,
            ZkError::Disabled,
            ZkError::BadArguments("x".into()),
        ] {
            assert!(!e.retryable(), "{e}");
        }
    }

    #[test]
    fn error_codes_of_reconfig_are_recognised() {
        assert_eq!(map(zk::Error::UnexpectedErrorCode(-13)), ZkError::NoQuorum);
        assert_eq!(
            map(zk::Error::UnexpectedErrorCode(-14)),
            ZkError::InProgress
        );
        assert_eq!(map(zk::Error::BadVersion), ZkError::BadVersion);
    }
}
