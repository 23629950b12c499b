//! The ensemble: this pod's DNS domain and the `server.N` lines.
//!
//! In a StatefulSet pod with `serviceName` set, the kubelet writes the pod's
//! own line into /etc/hosts as `IP fqdn short`
//! (`10.1.2.3 zk-0.zk-hs.default.svc.cluster.local zk-0`); that is where
//! `hostname -d` finds the domain, and so does zkpod.

use crate::config::settings::Member;
use crate::config::{flags, values};
use crate::sys::report::{self, diagnose, Code, Warning};

/// Where the domain came from (logged, so an operator can see why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainSource {
    HostsFile,
    Flag,
    Composed,
}

/// The domains of `short` in hosts-file text, in file order, each once:
/// the rest of every name on a line that starts with `short.` (compared
/// without case, as DNS names are). Comments are ignored. `hostname -d`
/// takes the first.
pub fn domains_from_hosts(hosts: &str, short: &str) -> Vec<String> {
    let prefix = format!("{short}.");
    let mut out: Vec<String> = Vec::new();
    for name in hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split_whitespace().skip(1))
    {
        let Some(head) = name.get(..prefix.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(&prefix) {
            continue;
        }
        let d = name[prefix.len()..].trim_end_matches('.').to_string();
        if !d.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&d)) {
            out.push(d);
        }
    }
    out
}

/// The first domain of `short` in hosts-file text (see [`domains_from_hosts`]).
pub fn domain_from_hosts(hosts: &str, short: &str) -> Option<String> {
    domains_from_hosts(hosts, short).into_iter().next()
}

/// The inputs for finding the domain.
#[derive(Debug, Clone, Copy)]
pub struct DomainInput<'a> {
    pub hosts: Option<&'a str>,
    /// Where `hosts` was read from (for the message).
    pub hosts_path: &'a str,
    /// Why the hosts file could not be read, when it exists but could not.
    pub hosts_problem: Option<&'a str>,
    pub short: &'a str,
    pub flag: Option<&'a str>,
    pub service: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub cluster_domain: &'a str,
}

/// A value of a flag that is not what its domain allows (exit code 4).
fn bad_value(flag: &str, value: &str, why: &str, fix: &str) -> anyhow::Error {
    diagnose(
        Code::Config,
        format!("{} {} {why}", flags::origin(flag), report::shown(value)),
        "it would be written into every server line of zoo.cfg and name no pod",
        fix,
    )
}

/// Finds the servers' DNS domain: from the hosts file, else `--domain`, else
/// `<service>.<namespace>.svc.<cluster-domain>`; each checked as a DNS name
/// (labels of letters, digits and hyphens) before it reaches zoo.cfg. A
/// second, different domain for the pod in the hosts file is a warning
/// (the first wins, as with `hostname -d`).
///
/// Fails (exit code 3) when none of these gives one, or the hosts file's is
/// not a DNS name; (exit code 4) when a flag's value is not one.
pub fn find_domain(i: DomainInput<'_>) -> anyhow::Result<(String, DomainSource, Option<Warning>)> {
    let found = i
        .hosts
        .map(|h| domains_from_hosts(h, i.short))
        .unwrap_or_default();
    if let Some(d) = found.first() {
        let domain = values::dns_name(d).map_err(|why| {
            diagnose(
                Code::Identity,
                format!(
                    "{}'s line for pod {} names the domain {}, which {why}",
                    i.hosts_path,
                    report::clean(i.short),
                    report::shown(d)
                ),
                "zkpod would write it into every server line of zoo.cfg",
                "correct the hosts file (the kubelet writes it from the StatefulSet's serviceName), or remove the odd hostAliases entry",
            )
        })?;
        let warning = found.get(1).map(|other| {
            Warning::new(
                format!(
                    "{} names pod {} twice, with the domains {} and {}",
                    i.hosts_path,
                    report::clean(i.short),
                    domain,
                    report::clean(other)
                ),
                "zkpod uses the first, as hostname -d does",
                "remove the hostAliases entry that adds the second name, or pass the domain you mean to --domain and make it the first line",
            )
        });
        return Ok((domain, DomainSource::HostsFile, warning));
    }
    if let Some(d) = i.flag.map(str::trim).filter(|d| !d.is_empty()) {
        let domain = values::dns_name(d).map_err(|why| {
            bad_value(
                "--domain",
                d,
                &why,
                "pass the headless Service's domain, e.g. --domain zk-hs.default.svc.cluster.local",
            )
        })?;
        return Ok((domain, DomainSource::Flag, None));
    }
    if let (Some(svc), Some(ns)) = (i.service, i.namespace) {
        if !svc.is_empty() && !ns.is_empty() {
            values::dns_label(svc).map_err(|why| {
                bad_value(
                    "--service",
                    svc,
                    &why,
                    "pass the headless Service's name, e.g. --service zk-hs",
                )
            })?;
            values::dns_label(ns).map_err(|why| {
                bad_value(
                    "--namespace",
                    ns,
                    &why,
                    "set POD_NAMESPACE from the downward API (fieldRef: metadata.namespace)",
                )
            })?;
            let cluster = values::dns_name(i.cluster_domain.trim_matches('.')).map_err(|why| {
                bad_value(
                    "--cluster-domain",
                    i.cluster_domain,
                    &why,
                    "pass the cluster's DNS domain, e.g. --cluster-domain cluster.local",
                )
            })?;
            let domain = values::dns_name(&format!("{svc}.{ns}.svc.{cluster}")).map_err(|why| {
                bad_value(
                    "--service",
                    svc,
                    &format!("gives the domain {svc}.{ns}.svc.{cluster}, which {why}"),
                    "use shorter names",
                )
            })?;
            return Ok((domain, DomainSource::Composed, None));
        }
    }
    let missing = match (i.service, i.namespace) {
        (Some(_), None) => "--service is set but POD_NAMESPACE is not",
        (None, Some(_)) => "POD_NAMESPACE is set but --service is not",
        _ => "neither --domain nor --service with POD_NAMESPACE is set",
    };
    let short = report::clean(i.short);
    let hosts_said = match i.hosts_problem {
        Some(p) => format!("{} {p}", i.hosts_path),
        None => format!("{} has no line 'IP {short}.<domain> {short}'", i.hosts_path),
    };
    Err(diagnose(
        Code::Identity,
        format!("cannot find the DNS domain of pod {short}: {hosts_said} and {missing}"),
        "zkpod cannot name the other ensemble members",
        "set spec.serviceName of the StatefulSet to the headless Service (the kubelet then writes the pod's FQDN to /etc/hosts), or pass --domain <service>.<namespace>.svc.cluster.local",
    ))
}

/// The ensemble members: `<base>-<i>.<domain>` for i in 0..servers, with ids
/// from `offset` (checked by `identity::decide` to fit). No client-port
/// suffix (`;2181`): with `clientPortAddress` it is an invalid config on
/// ZooKeeper 3.8.
///
/// Fails (exit code 4) when a member's name is longer than a DNS name may be.
pub fn members(base: &str, domain: &str, servers: u32, offset: u32) -> anyhow::Result<Vec<Member>> {
    (0..servers)
        .map(|i| {
            let host = format!("{base}-{i}.{domain}");
            values::dns_name(&host).map_err(|why| {
                diagnose(
                    Code::Config,
                    format!("server name {} {why}", report::shown(&host)),
                    "ZooKeeper could not resolve it",
                    "use a shorter StatefulSet name, Service name or namespace",
                )
            })?;
            Ok(Member {
                id: offset.checked_add(i).ok_or_else(|| {
                    diagnose(
                        Code::Config,
                        "server id overflow",
                        "ids would wrap around",
                        "lower --id-offset",
                    )
                })?,
                host,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBELET_HOSTS: &str = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n10.244.1.7\tzk-1.zk-hs.default.svc.cluster.local\tzk-1\n";

    fn input<'a>(hosts: Option<&'a str>, short: &'a str) -> DomainInput<'a> {
        DomainInput {
            hosts,
            hosts_path: "/etc/hosts",
            hosts_problem: None,
            short,
            flag: None,
            service: None,
            namespace: None,
            cluster_domain: "cluster.local",
        }
    }

    #[test]
    fn domain_from_kubelet_hosts_file() {
        assert_eq!(
            domain_from_hosts(KUBELET_HOSTS, "zk-1").as_deref(),
            Some("zk-hs.default.svc.cluster.local")
        );
        assert_eq!(domain_from_hosts(KUBELET_HOSTS, "zk-10"), None);
        assert_eq!(
            domain_from_hosts("10.0.0.1 ZK-1.zk-hs.ns.svc.cluster.local ZK-1\n", "zk-1").as_deref(),
            Some("zk-hs.ns.svc.cluster.local")
        );
        assert_eq!(domain_from_hosts("#10.0.0.1 zk-1.x zk-1\n", "zk-1"), None);
    }

    #[test]
    fn domain_order_hosts_then_flag_then_composed() {
        let mut i = input(Some(KUBELET_HOSTS), "zk-1");
        i.flag = Some("other.example");
        assert_eq!(find_domain(i).unwrap().1, DomainSource::HostsFile);
        let mut i = input(Some(""), "zk-1");
        i.flag = Some("zk-hs.prod.svc.cluster.local.");
        assert_eq!(
            find_domain(i).unwrap(),
            (
                "zk-hs.prod.svc.cluster.local".into(),
                DomainSource::Flag,
                None
            )
        );
        let mut i = input(None, "zk-1");
        i.service = Some("zk-hs");
        i.namespace = Some("kafka");
        i.cluster_domain = "corp.local";
        assert_eq!(
            find_domain(i).unwrap(),
            (
                "zk-hs.kafka.svc.corp.local".into(),
                DomainSource::Composed,
                None
            )
        );
    }

    #[test]
    fn missing_domain_names_the_fix() {
        let e = find_domain(input(Some("127.0.0.1 localhost\n"), "zk-0"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot find the DNS domain of pod zk-0"), "{e}");
        assert!(e.contains("spec.serviceName"), "{e}");
        let mut i = input(None, "zk-0");
        i.service = Some("zk-hs");
        let e = find_domain(i).unwrap_err().to_string();
        assert!(e.contains("POD_NAMESPACE is not"), "{e}");
    }

    #[test]
    fn regression_issue_8_domains_are_dns_names() {
        let flag = |d: &'static str| {
            let mut i = input(None, "zk-0");
            i.flag = Some(d);
            find_domain(i).unwrap_err()
        };
        for (bad, why) in [
            (
                "zk-hs\nserver.9=evil:1:2\ndataDir=/etc/x\n#",
                "holds a line break",
            ),
            ("a..b", "has an empty label"),
            ("zk hs", "holds a space"),
            ("a:1:2", "holds ':'"),
        ] {
            let e = flag(bad);
            assert_eq!(
                crate::sys::report::code_of(&e, Code::Io),
                Code::Config,
                "{bad:?}"
            );
            let m = e.to_string();
            assert!(m.starts_with("--domain (ZOO_DOMAIN) '"), "{m}");
            assert!(m.contains(why), "{bad:?}: {m}");
            assert!(!m.contains('\n'), "{m}");
        }
        let mut i = input(None, "zk-0");
        i.service = Some("zk_hs");
        i.namespace = Some("default");
        assert!(find_domain(i)
            .unwrap_err()
            .to_string()
            .starts_with("--service (ZOO_SERVICE) 'zk_hs' holds '_'"));
        let mut i = input(None, "zk-0");
        i.service = Some("zk-hs");
        i.namespace = Some("Kafka Prod");
        assert!(find_domain(i)
            .unwrap_err()
            .to_string()
            .starts_with("--namespace (POD_NAMESPACE) 'Kafka Prod'"));
        // A NUL byte in the hosts file's FQDN is not written into zoo.cfg.
        let e = find_domain(input(Some("10.0.0.1 zk-0.zk-hs\0x.ns zk-0\n"), "zk-0")).unwrap_err();
        assert_eq!(crate::sys::report::code_of(&e, Code::Io), Code::Identity);
        assert!(e.to_string().contains("names the domain 'zk-hs\\u{0}x.ns', which has a label that holds the character U+0000"), "{e}");
    }

    #[test]
    fn regression_fuzz_hosts_file_a_refusal_never_echoes_a_line_break() {
        // Found by fuzz/hosts_file: the pod name was echoed raw.
        let e = find_domain(input(Some("x"), "\n")).unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
        assert!(
            e.starts_with("cannot find the DNS domain of pod \\n: "),
            "{e}"
        );
    }

    #[test]
    fn regression_issue_8_two_hosts_lines_for_the_pod_warn() {
        let hosts = "10.0.0.1 zk-0.zk-hs.a.svc.cluster.local zk-0\n10.0.0.1 zk-0.example.com\n10.0.0.1 ZK-0.zk-hs.a.svc.cluster.local\n";
        let (d, _, w) = find_domain(input(Some(hosts), "zk-0")).unwrap();
        assert_eq!(d, "zk-hs.a.svc.cluster.local");
        assert_eq!(w.unwrap().to_string(), "/etc/hosts names pod zk-0 twice, with the domains zk-hs.a.svc.cluster.local and example.com: zkpod uses the first, as hostname -d does. Fix: remove the hostAliases entry that adds the second name, or pass the domain you mean to --domain and make it the first line");
        // A Latin-1 byte in a comment, decoded lossily, hides nothing.
        let latin1 =
            String::from_utf8_lossy(b"# caf\xe9\n10.0.0.1 zk-0.zk-hs.a zk-0\n").into_owned();
        assert_eq!(
            domain_from_hosts(&latin1, "zk-0").as_deref(),
            Some("zk-hs.a")
        );
    }

    #[test]
    fn a_member_name_longer_than_dns_allows_is_refused() {
        let long = ["abcdefgh"; 30].join(".");
        let e = members("zk", &long, 3, 1).unwrap_err().to_string();
        assert!(
            e.contains("characters long (a DNS name has at most 253)"),
            "{e}"
        );
    }

    #[test]
    fn members_are_named_after_the_pods() {
        let m = members("zk", "zk-hs.default.svc.cluster.local", 3, 1).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(
            m[0],
            Member {
                id: 1,
                host: "zk-0.zk-hs.default.svc.cluster.local".into()
            }
        );
        assert_eq!(m[2].id, 3);
        assert_eq!(m[2].host, "zk-2.zk-hs.default.svc.cluster.local");
    }
}
