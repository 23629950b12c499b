//! Where a server takes client connections, and how long a conversation
//! with it may take.

use std::fmt;
use std::time::Duration;

use crate::client::tls::TlsSpec;

/// A server's client address and the deadline for everything asked of it
/// in one [`Session`](crate::client::Session) (connect, retry and replies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// An IP literal (`127.0.0.1`, `::1`, `[::1]`) or a host name.
    pub host: String,
    pub port: u16,
    pub timeout: Duration,
    /// TLS on this port (ZooKeeper's secureClientPort), or plain TCP.
    pub tls: Option<TlsSpec>,
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

/// Parses a timeout: `800ms`, `2s`, `1.5s`, or a bare number of seconds
/// (`--timeout`, `ZOO_PROBE_TIMEOUT`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        (t, 1.0)
    };
    match num.trim().parse::<f64>() {
        // At least 1 ms, as the message says (0.0001 and 82e-90 are not).
        Ok(v) if v.is_finite() && v * scale >= 0.001 && v * scale <= 3600.0 => {
            Ok(Duration::from_secs_f64(v * scale))
        }
        _ => Err(format!(
            "'{s}' is not a duration between 1ms and 1h; write it as 800ms, 2s or 1.5"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_fuzz_flag_values_timeouts_are_at_least_1ms() {
        for tiny in ["82e-90", "0.0001", "0.5ms"] {
            assert!(parse_duration(tiny).is_err(), "{tiny}");
        }
        assert_eq!(parse_duration("1ms"), Ok(Duration::from_millis(1)));
        assert_eq!(parse_duration("0.001"), Ok(Duration::from_millis(1)));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("800ms"), Ok(Duration::from_millis(800)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["0", "fast", "-1s"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(
                e.contains(&format!("'{bad}' is not a duration between 1ms and 1h")),
                "{e}"
            );
        }
    }

    #[test]
    fn ipv6_endpoints_are_bracketed() {
        let e = |host: &str| Endpoint {
            host: host.into(),
            port: 2181,
            timeout: Duration::from_secs(1),
            tls: None,
        };
        assert_eq!(e("::1").to_string(), "[::1]:2181");
        assert_eq!(e("[::1]").to_string(), "[::1]:2181");
        assert_eq!(e("zk-0.zk-hs").to_string(), "zk-0.zk-hs:2181");
    }
}
