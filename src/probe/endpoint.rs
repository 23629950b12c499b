//! Which server a probe or diagnostic asks: the flags first, then the
//! zoo.cfg that `zkpod start` wrote, then 127.0.0.1 and ZooKeeper's usual
//! client port.

use std::time::Duration;

use crate::client::Endpoint;
use crate::config::{keys, zoocfg};

/// The host asked when neither a flag nor zoo.cfg names one.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// Fills in the host and port: `host` and `port` (flags) first, then
/// zoo.cfg's clientPortAddress (when it names one address) and clientPort,
/// then 127.0.0.1 and the default client port. `zoo_cfg` is called only when
/// a flag leaves something to fill in (a probe reads no file it does not
/// need).
pub fn resolve(
    host: Option<&str>,
    port: Option<u16>,
    timeout: Duration,
    zoo_cfg: impl FnOnce() -> Option<String>,
) -> Endpoint {
    let (addr, cfg_port) = match (host, port) {
        (Some(_), Some(_)) => (None, None),
        _ => zoo_cfg()
            .as_deref()
            .map(zoocfg::client_endpoint)
            .unwrap_or((None, None)),
    };
    let default_port = keys::CLIENT_PORT
        .flag_default()
        .parse()
        .expect("the key table's clientPort default is a port");
    Endpoint {
        host: host
            .map(str::to_string)
            .or(addr)
            .unwrap_or_else(|| DEFAULT_HOST.to_string()),
        port: port.or(cfg_port).unwrap_or(default_port),
        timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_millis(500);

    #[test]
    fn flags_then_zoo_cfg_then_defaults() {
        let cfg = || Some("clientPort=2190\nclientPortAddress=127.0.0.12\n".to_string());
        let e = resolve(None, None, T, cfg);
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.12", 2190));
        let e = resolve(Some("10.0.0.1"), None, T, cfg);
        assert_eq!((e.host.as_str(), e.port), ("10.0.0.1", 2190));
        let e = resolve(None, Some(2181), T, cfg);
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.12", 2181));
        let e = resolve(None, None, T, || None);
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.1", 2181));
        // Both flags given: zoo.cfg is not read at all.
        let e = resolve(Some("h"), Some(1), T, || panic!("read zoo.cfg"));
        assert_eq!((e.host.as_str(), e.port, e.timeout), ("h", 1, T));
    }
}
