//! Replies to `mntr`: `reply::parse_mntr`, `metrics::check_mntr` and the
//! Prometheus rendering. Properties: the exposition text is valid (every
//! line a `# HELP`/`# TYPE` comment or a sample with a valid metric name, a
//! correctly escaped label, a finite value), label escaping is reversible,
//! and there is one sample per numeric or label pair.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkpod::client::reply::parse_mntr;
use zkpod::probe::metrics::{check_mntr, escape_label, prometheus, Names};

/// The label value of `escape_label`, unescaped; `None` if it is not a
/// valid escaped value (a raw `"` or newline, or an unknown escape).
fn unescape(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                'n' => out.push('\n'),
                _ => return None,
            },
            '"' | '\n' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

fn valid_name(n: &str) -> bool {
    (n.starts_with("zookeeper_") || n.starts_with("zk_"))
        && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let pairs = parse_mntr(&text);
    for (k, _) in &pairs {
        assert!(!k.is_empty());
        assert_eq!(unescape(&escape_label(k)).as_deref(), Some(k.as_str()));
    }
    if check_mntr(data.to_vec()).is_ok() {
        assert!(!pairs.is_empty());
    }
    let names = if data.first().is_some_and(|b| b % 2 == 1) {
        Names::Zk
    } else {
        Names::Zookeeper
    };
    let out = prometheus(&pairs, names);
    let mut samples = 0;
    for line in out.lines() {
        if let Some(rest) = line
            .strip_prefix("# HELP ")
            .or_else(|| line.strip_prefix("# TYPE "))
        {
            let name = rest.split(' ').next().unwrap_or("");
            assert!(valid_name(name), "{line}");
            continue;
        }
        samples += 1;
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        let v: f64 = value.parse().expect("a numeric sample");
        assert!(v.is_finite(), "{line}");
        let name = match series.split_once('{') {
            Some((name, labels)) => {
                let labels = labels.strip_suffix('}').expect("labels end with }");
                let (label, quoted) = labels.split_once('=').expect("label=value");
                assert!(label.bytes().all(|b| b.is_ascii_lowercase()), "{line}");
                let inner = quoted
                    .strip_prefix('"')
                    .and_then(|q| q.strip_suffix('"'))
                    .expect("a quoted label value");
                assert!(unescape(inner).is_some(), "{line}");
                name
            }
            None => series,
        };
        assert!(valid_name(name), "{line}");
    }
    let expected = pairs
        .iter()
        .filter(|(k, v)| {
            let k = k.strip_prefix("zk_").unwrap_or(k);
            ["version", "server_state", "peer_state"].contains(&k)
                || v.parse::<f64>().is_ok_and(f64::is_finite)
        })
        .count();
    assert_eq!(samples, expected, "{out}");
});
