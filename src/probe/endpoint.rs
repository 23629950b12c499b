//! Which server a probe or diagnostic asks: the flags first, then the
//! zoo.cfg that `zkpod start` wrote, then 127.0.0.1 and ZooKeeper's usual
//! client port.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::client::Endpoint;
use crate::config::{flags, keys, zoocfg};
use crate::sys::file::FileError;
use crate::sys::report::{self, diagnose, Code};

/// The host asked when neither a flag nor zoo.cfg names one.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// A file the probe read its endpoint from (zoo.cfg, or zkpod start's
/// `membership.properties` when ZooKeeper erased the client keys from
/// zoo.cfg): its path, and its bytes or why it could not be read.
pub type Read = Option<(PathBuf, Result<Vec<u8>, FileError>)>;

/// Fills in the host and port: `host` and `port` (flags) first, then
/// zoo.cfg's clientPortAddress (when it names one address) and clientPort,
/// then 127.0.0.1 and the default client port. `zoo_cfg` is called only when
/// a flag leaves something to fill in (a probe reads no file it does not
/// need); it returns the file it read (`<conf dir>/zoo.cfg`, `None`: there
/// is none) with its bytes, in zoo.cfg's format.
///
/// Fails (exit 1, the probes' code) when that file cannot be read (a FIFO,
/// a directory, larger than 1 MiB, no permission) or does not say a usable
/// port or address: probing some other port instead would be a silent lie.
pub fn resolve(
    host: Option<&str>,
    port: Option<u16>,
    timeout: Duration,
    zoo_cfg: impl FnOnce() -> Read,
) -> anyhow::Result<Endpoint> {
    let (addr, cfg_port) = match (host, port) {
        (Some(_), Some(_)) => (None, None),
        _ => match zoo_cfg() {
            None => (None, None),
            Some((path, Ok(bytes))) => {
                zoocfg::client_endpoint(&bytes).map_err(|why| unusable(&path, &why))?
            }
            Some((path, Err(e))) => return Err(unusable(&path, &e.to_string())),
        },
    };
    let default_port = keys::CLIENT_PORT
        .flag_default()
        .parse()
        .expect("the key table's clientPort default is a port");
    Ok(Endpoint {
        host: host
            .map(str::to_string)
            .or(addr)
            .unwrap_or_else(|| DEFAULT_HOST.to_string()),
        port: port.or(cfg_port).unwrap_or(default_port),
        timeout,
    })
}

fn unusable(cfg: &Path, why: &str) -> anyhow::Error {
    diagnose(
        Code::Unhealthy,
        format!("{} {why}", report::path(cfg)),
        "the probe cannot tell where ZooKeeper takes clients, and will not guess",
        format!(
            "point {} at the dir zkpod start writes zoo.cfg to, or pass {} and {}",
            flags::origin("--conf_dir"),
            flags::origin("--port"),
            flags::origin("--host")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_millis(500);

    fn r(
        host: Option<&str>,
        port: Option<u16>,
        cfg: impl FnOnce() -> Result<Option<Vec<u8>>, FileError>,
    ) -> anyhow::Result<Endpoint> {
        resolve(host, port, T, || match cfg() {
            Ok(None) => None,
            Ok(Some(b)) => Some((PathBuf::from("/c/zoo.cfg"), Ok(b))),
            Err(e) => Some((PathBuf::from("/c/zoo.cfg"), Err(e))),
        })
    }

    #[test]
    fn flags_then_zoo_cfg_then_defaults() {
        let cfg = || {
            Ok(Some(
                b"clientPort=2190\nclientPortAddress=127.0.0.12\n".to_vec(),
            ))
        };
        let e = r(None, None, cfg).unwrap();
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.12", 2190));
        let e = r(Some("10.0.0.1"), None, cfg).unwrap();
        assert_eq!((e.host.as_str(), e.port), ("10.0.0.1", 2190));
        let e = r(None, Some(2181), cfg).unwrap();
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.12", 2181));
        let e = r(None, None, || Ok(None)).unwrap();
        assert_eq!((e.host.as_str(), e.port), ("127.0.0.1", 2181));
        // Both flags given: zoo.cfg is not read at all.
        let e = r(Some("h"), Some(1), || panic!("read zoo.cfg")).unwrap();
        assert_eq!((e.host.as_str(), e.port, e.timeout), ("h", 1, T));
    }

    #[test]
    fn a_zoo_cfg_that_cannot_say_is_a_failure_not_a_guess() {
        let line = |cfg: Result<Option<Vec<u8>>, FileError>| {
            let e = r(None, None, || cfg).unwrap_err();
            assert_eq!(report::code_of(&e, Code::Io), Code::Unhealthy);
            e.to_string()
        };
        let m = line(Ok(Some(b"clientPort=218100\n".to_vec())));
        assert!(m.starts_with("/c/zoo.cfg sets clientPort='218100', which is not a port from 1 to 65535: the probe cannot tell"), "{m}");
        assert!(m.contains("Fix: point --conf_dir (ZOO_CONF_DIR) at"), "{m}");
        let m = line(Ok(Some(b"clientPort=0\n".to_vec())));
        assert!(m.contains("clientPort='0', which is not a port"), "{m}");
        let m = line(Ok(Some(b"clientPortAddress=a b\n".to_vec())));
        assert!(
            m.contains("clientPortAddress='a b', which is neither an IP address nor a DNS name"),
            "{m}"
        );
        let m = line(Err(FileError::NotRegular("a FIFO")));
        assert!(
            m.starts_with("/c/zoo.cfg is a FIFO, not a regular file: "),
            "{m}"
        );
        let m = line(Err(FileError::TooLarge { cap: 1 << 20 }));
        assert!(m.starts_with("/c/zoo.cfg is larger than 1 MiB: "), "{m}");
        let m = line(Ok(Some(b"clientPort=\\u21\n".to_vec())));
        assert!(m.contains("line 1 has a malformed \\uXXXX escape"), "{m}");
    }
}
