//! `--set KEY=VALUE` entries and `ZOO_CFG_EXTRA` (`settings::parse_extra`),
//! and `--4lw-whitelist` (`settings::parse_whitelist`). Properties: an
//! accepted entry is what the Properties reader makes of it (escapes undone,
//! the key ended by the first `=`, `:` or white space; `parse_entry` is
//! checked against `parse_str`), with a key of letters, digits, `.`, `_` and
//! `-`, a value without control characters, a key no zkpod flag owns (in any
//! case, after unescaping) and no server line; the last entry for a key
//! wins; every refusal is one bounded line. The whitelist is `*` alone, or
//! four-letter words without duplicates that include the words the probes
//! need.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zkpod::config::keys;
use zkpod::config::properties::{first_control, parse_entry, parse_str};
use zkpod::config::settings::{parse_extra, parse_whitelist, REQUIRED_4LW};

#[derive(Arbitrary, Debug)]
struct Entries {
    set: Vec<String>,
    env: Option<String>,
    whitelist: String,
}

fn one_bounded_line(m: &str) {
    assert!(!m.chars().any(|c| c.is_control()), "{m:?}");
    assert!(m.chars().count() < 2048, "{} characters", m.chars().count());
}

fuzz_target!(|e: Entries| {
    // parse_entry reads an entry as the Properties reader reads that line.
    for item in &e.set {
        if let Ok((k, v)) = parse_entry(item) {
            assert_eq!(parse_str(item).unwrap(), vec![(k, v)], "{item:?}");
        }
    }
    match parse_extra(&e.set, e.env.as_deref()) {
        Ok(pairs) => {
            let mut last = BTreeMap::new();
            let from_env = e.env.iter().flat_map(|v| v.split_whitespace());
            for item in from_env.chain(e.set.iter().map(String::as_str)) {
                let (k, v) = parse_entry(item).expect("accepted entries parse");
                last.insert(k, v.trim().to_string());
            }
            let got: BTreeMap<String, String> = pairs.iter().cloned().collect();
            assert_eq!(got.len(), pairs.len(), "a key twice: {pairs:?}");
            assert_eq!(got, last);
            for (k, v) in &pairs {
                assert!(!k.is_empty());
                assert!(
                    k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
                    "{k:?}"
                );
                assert!(first_control(v).is_none(), "{v:?}");
                assert!(
                    matches!(keys::owner_of(k), None | Some(keys::Owner::ZooKeeper)),
                    "{k} is owned by {:?}",
                    keys::owner_of(k)
                );
            }
        }
        Err(err) => one_bounded_line(&err.to_string()),
    }
    match parse_whitelist(&e.whitelist) {
        Ok(words) if words == ["*"] => {}
        Ok(words) => {
            for w in &words {
                assert!(
                    w.len() == 4 && w.bytes().all(|b| b.is_ascii_lowercase()),
                    "{w}"
                );
            }
            let mut unique = words.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), words.len(), "{words:?}");
            for r in REQUIRED_4LW {
                assert!(words.iter().any(|w| w == r), "{r} missing from {words:?}");
            }
        }
        Err(err) => one_bounded_line(&err.to_string()),
    }
});
