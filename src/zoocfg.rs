//! zoo.cfg: reading it back (probes find the client port and address in it).
//!
//! Rendering lives in `settings` / `render` functions added by the start
//! command; this module only knows the file format: Java properties with
//! `key=value` lines and `#` comments.

use std::collections::BTreeMap;
use std::path::Path;

/// Parses zoo.cfg text into its settings. Later lines win, as in
/// `java.util.Properties`. Blank lines and `#`/`!` comments are skipped.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let (key, value) = match line.find(['=', ':']) {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, ""),
        };
        map.insert(key.trim().to_string(), value.trim().to_string());
    }
    map
}

/// Where a server configured by `text` takes client connections:
/// (clientPortAddress when it names one address, clientPort).
pub fn client_endpoint(text: &str) -> (Option<String>, Option<u16>) {
    let cfg = parse(text);
    let port = cfg.get("clientPort").and_then(|p| p.parse().ok());
    let addr = cfg
        .get("clientPortAddress")
        .filter(|a| !a.is_empty() && a.as_str() != "0.0.0.0" && a.as_str() != "::")
        .cloned();
    (addr, port)
}

/// Reads `conf_dir/zoo.cfg` if it exists and is readable.
pub fn read(conf_dir: &Path) -> Option<String> {
    std::fs::read_to_string(conf_dir.join("zoo.cfg")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_properties() {
        let cfg = parse("# c\nclientPort=2181\n\n tickTime = 2000 \nserver.1=a:2888:3888\nclientPort=2182\n");
        assert_eq!(cfg["clientPort"], "2182");
        assert_eq!(cfg["tickTime"], "2000");
        assert_eq!(cfg["server.1"], "a:2888:3888");
    }

    #[test]
    fn endpoint() {
        assert_eq!(
            client_endpoint("clientPort=2190\nclientPortAddress=127.0.0.12\n"),
            (Some("127.0.0.12".to_string()), Some(2190))
        );
        assert_eq!(client_endpoint("clientPortAddress=0.0.0.0\n"), (None, None));
    }
}
