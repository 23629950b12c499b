//! `tls.source` in the conf dir: where `zkpod start --tls-dir` took the key
//! and trust stores from, so that the probes can keep them in step with the
//! Secret (`probe::refresh`). Written and read as Java Properties through
//! [`crate::config::properties`], one grammar both ways, like
//! `membership.properties`: a path with `=`, `:`, `#`, a backslash or
//! non-ASCII reads back exactly as written, and a control character is
//! refused instead of written. Pure.

use std::path::PathBuf;

use crate::config::properties::{self, Writer};

/// The file's name in the conf dir.
pub use crate::tls::stores::STATE as FILE;

/// What `tls.source` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The directory in cert-manager's layout (`--tls-dir`).
    pub source: PathBuf,
    /// The name the certificate must carry (the pod's FQDN); `None` for a
    /// standalone server, whose certificate is checked for no name.
    pub name: Option<String>,
}

const HEADER: &str =
    "Written by zkpod start: the source of keystore.pem and truststore.pem (zkpod probe refreshes them from it).";

/// The file's text, through the Properties encoder.
///
/// Fails with what is wrong when the source is not UTF-8 or a value holds
/// a control character (guards: start checks `--tls-dir` and the FQDN
/// before it gets here).
pub fn render(s: &State) -> Result<String, String> {
    let source = s
        .source
        .to_str()
        .ok_or_else(|| format!("{FILE}: the source directory is not UTF-8"))?;
    let mut w = Writer::new();
    let fail = |k: &str, r: properties::Refused| format!("{FILE} entry '{k}' {r}");
    w.comment(HEADER).map_err(|r| fail("#", r))?;
    w.entry("source", source).map_err(|r| fail("source", r))?;
    if let Some(n) = &s.name {
        w.entry("name", n).map_err(|r| fail("name", r))?;
    }
    Ok(w.finish())
}

/// Parses the file's bytes with the Properties grammar (as written);
/// `None` when they are not Properties text or name no source.
pub fn parse(bytes: &[u8]) -> Option<State> {
    let map = properties::to_map(properties::parse(bytes).ok()?);
    let source = map.get("source").filter(|v| !v.is_empty())?;
    Some(State {
        source: PathBuf::from(source),
        name: map.get("name").filter(|v| !v.is_empty()).cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_as_properties_golden() {
        let s = State {
            source: "/etc/zookeeper/tls".into(),
            name: Some("zk-0.zk-hs.default.svc.cluster.local".into()),
        };
        assert_eq!(
            render(&s).unwrap(),
            "# Written by zkpod start: the source of keystore.pem and truststore.pem (zkpod probe refreshes them from it).\n\
             source=/etc/zookeeper/tls\n\
             name=zk-0.zk-hs.default.svc.cluster.local\n"
        );
    }

    #[test]
    fn round_trips_through_the_one_grammar() {
        for source in [
            "/etc/zookeeper/tls",
            "/mnt/a=b:c #!x/tls",
            "/mnt/back\\slash/ tls",
            "/mnt/zérø/証明書",
        ] {
            for name in [None, Some("zk-0.zk-hs.default.svc.cluster.local")] {
                let s = State {
                    source: source.into(),
                    name: name.map(str::to_string),
                };
                let text = render(&s).unwrap();
                assert!(text.is_ascii(), "{text}");
                assert_eq!(parse(text.as_bytes()), Some(s.clone()), "{text}");
                // The same text as java.util.Properties reads it.
                let map = properties::to_map(properties::parse(text.as_bytes()).unwrap());
                assert_eq!(map.get("source").map(String::as_str), Some(source));
            }
        }
    }

    #[test]
    fn a_control_character_is_refused_not_written() {
        let s = State {
            source: "/etc/tls\nname=evil".into(),
            name: None,
        };
        assert_eq!(
            render(&s).unwrap_err(),
            "tls.source entry 'source' holds the control character U+000A at position 8"
        );
        let s = State {
            source: "/etc/tls".into(),
            name: Some("zk-0\rx".into()),
        };
        assert!(render(&s)
            .unwrap_err()
            .starts_with("tls.source entry 'name' holds"));
    }

    #[test]
    fn what_names_no_source_is_none() {
        assert_eq!(parse(b"name=x\n"), None);
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"source=\n"), None);
        // Properties, not lines split at '=': continuation and escapes.
        assert_eq!(
            parse(b"source = /a\\\n  /b\nname:zk\\u0041\n"),
            Some(State {
                source: "/a/b".into(),
                name: Some("zkA".into())
            })
        );
        // A malformed escape is no record (Java refuses it too).
        assert_eq!(parse(b"source=/a\\u00zz\n"), None);
    }
}
