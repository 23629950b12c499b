//! Where a server takes client connections, and how long a conversation
//! with it may take.

use std::fmt;
use std::time::Duration;

/// A server's client address and the deadline for everything asked of it
/// in one [`Session`](crate::client::Session) (connect, retry and replies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// An IP literal (`127.0.0.1`, `::1`, `[::1]`) or a host name.
    pub host: String,
    pub port: u16,
    pub timeout: Duration,
}

impl fmt::Display for Endpoint {
    /// `host:port`, with an IPv6 literal bracketed (`[::1]:2181`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') && !self.host.starts_with('[') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_endpoints_are_bracketed() {
        let e = |host: &str| Endpoint {
            host: host.into(),
            port: 2181,
            timeout: Duration::from_secs(1),
        };
        assert_eq!(e("::1").to_string(), "[::1]:2181");
        assert_eq!(e("[::1]").to_string(), "[::1]:2181");
        assert_eq!(e("zk-0.zk-hs").to_string(), "zk-0.zk-hs:2181");
    }
}
