//! The hosts file (`ensemble::domains_from_hosts`, `find_domain`), as the
//! kubelet or anyone with access to the pod spec may write it. Properties: a
//! domain found is non-empty, has no trailing dot, whitespace or `#`, and is
//! the rest of a name on a line (outside comments) that starts with
//! `<short>.`; what `find_domain` accepts from it is a DNS name of at most
//! 253 characters (no control character can reach zoo.cfg), and a refusal
//! is one line.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zkpod::start::ensemble::{domains_from_hosts, find_domain, DomainInput};

#[derive(Arbitrary, Debug)]
struct Case {
    hosts: String,
    short: String,
}

fuzz_target!(|c: Case| {
    for d in domains_from_hosts(&c.hosts, &c.short) {
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
    }
    let input = DomainInput {
        hosts: Some(&c.hosts),
        hosts_path: "/etc/hosts",
        hosts_problem: None,
        short: &c.short,
        flag: None,
        service: None,
        namespace: None,
        cluster_domain: "cluster.local",
    };
    match find_domain(input) {
        Ok((d, _, w)) => {
            assert!(d.len() <= 253);
            assert!(
                d.split('.').all(|l| !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')),
                "{d:?}"
            );
            if let Some(w) = w {
                assert!(!w.to_string().chars().any(|c| c.is_control()), "{w}");
            }
        }
        Err(e) => assert!(!e.to_string().chars().any(|c| c.is_control()), "{e}"),
    }
});
