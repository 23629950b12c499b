//! The hosts file (`ensemble::domain_from_hosts`), as the kubelet or anyone
//! with access to the pod spec may write it. Property: a domain found is
//! non-empty, has no trailing dot, whitespace or `#`, and is the rest of a
//! name on a line (outside comments) that starts with `<short>.`.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zkpod::start::ensemble::domain_from_hosts;

#[derive(Arbitrary, Debug)]
struct Case {
    hosts: String,
    short: String,
}

fuzz_target!(|c: Case| {
    let Some(d) = domain_from_hosts(&c.hosts, &c.short) else {
        return;
    };
    assert!(!d.is_empty() && !d.ends_with('.'), "{d:?}");
    assert!(
        !d.contains(|ch: char| ch.is_whitespace() || ch == '#'),
        "{d:?}"
    );
    let prefix = format!("{}.", c.short);
    let found = c
        .hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split_whitespace().skip(1))
        .any(|name| {
            name.len() > prefix.len()
                && name.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
                && name[prefix.len()..].trim_end_matches('.') == d
        });
    assert!(found, "{d:?} is on no line of {:?}", c.hosts);
});
