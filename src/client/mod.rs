//! Talking to a ZooKeeper server: where it is ([`Endpoint`]), connecting
//! under one deadline over a [`stream::Stream`] (plain TCP, or TLS with
//! [`tls`]), the four-letter-word exchange ([`fourlw`]), a [`Session`] that
//! asks one or more words under a single deadline, and the replies parsed
//! ([`reply`]). Nothing here judges a reply: that is `probe`'s job.

pub mod endpoint;
pub mod error;
pub mod fourlw;
pub mod kube;
pub mod reply;
pub mod session;
pub mod stream;
pub mod tls;
pub mod zk;

pub use endpoint::Endpoint;
pub use error::{Error, Phase};
pub use session::{Outcome, Session};
