//! `--set KEY=VALUE` entries and `ZOO_CFG_EXTRA` (`settings::parse_extra`),
//! and `--4lw-whitelist` (`settings::parse_whitelist`). Properties: an
//! accepted entry has a key zoo.cfg can hold (non-empty, no whitespace or
//! `#`), a value on one line, a key no zkpod flag owns and no server line;
//! the last entry for a key wins; a refusal is one line. The whitelist is
//! `*` alone, or four-letter words without duplicates that include the
//! words the probes need.
//!
//! A refusal echoes the entry; one with a line break in it is two lines
//! today (issue 8: every message one line), so the one-line property is
//! checked for entries without line breaks.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zkpod::config::keys;
use zkpod::config::settings::{parse_extra, parse_whitelist, REQUIRED_4LW};

#[derive(Arbitrary, Debug)]
struct Entries {
    set: Vec<String>,
    env: Option<String>,
    whitelist: String,
}

fn breaks(s: &str) -> bool {
    s.contains(['\n', '\r'])
}

fuzz_target!(|e: Entries| {
    let echoes_a_break = e.set.iter().any(|s| breaks(s));
    match parse_extra(&e.set, e.env.as_deref()) {
        Ok(pairs) => {
            let mut last = BTreeMap::new();
            let from_env = e.env.iter().flat_map(|v| v.split_whitespace());
            for item in from_env.chain(e.set.iter().map(String::as_str)) {
                let (k, v) = item.split_once('=').expect("accepted entries have '='");
                last.insert(k.trim().to_string(), v.trim().to_string());
            }
            let got: BTreeMap<String, String> = pairs.iter().cloned().collect();
            assert_eq!(got.len(), pairs.len(), "a key twice: {pairs:?}");
            assert_eq!(got, last);
            for (k, v) in &pairs {
                assert!(!k.is_empty() && !k.contains(|c: char| c.is_whitespace() || c == '#'));
                assert!(!v.contains(['\n', '\r']));
                assert!(
                    matches!(keys::owner_of(k), None | Some(keys::Owner::ZooKeeper)),
                    "{k} is owned by {:?}",
                    keys::owner_of(k)
                );
            }
        }
        Err(err) => assert!(echoes_a_break || !err.to_string().contains('\n'), "{err}"),
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
        Err(err) => assert!(
            breaks(&e.whitelist) || !err.to_string().contains('\n'),
            "{err}"
        ),
    }
});
