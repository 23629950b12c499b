//! The ensemble: this pod's DNS domain and the `server.N` lines.
//!
//! In a StatefulSet pod with `serviceName` set, the kubelet writes the pod's
//! own line into /etc/hosts as `IP fqdn short`
//! (`10.1.2.3 zk-0.zk-hs.default.svc.cluster.local zk-0`); that is where
//! `hostname -d` finds the domain, and so does zkpod.

use crate::config::settings::Member;
use crate::sys::report::{diagnose, Code};

/// Where the domain came from (logged, so an operator can see why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainSource {
    HostsFile,
    Flag,
    Composed,
}

/// Finds the domain of `short` in hosts-file text: the rest of the first
/// name on a line that starts with `short.` (compared without case, as DNS
/// names are). Comments are ignored.
pub fn domain_from_hosts(hosts: &str, short: &str) -> Option<String> {
    let prefix = format!("{short}.");
    hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split_whitespace().skip(1))
        .find_map(|name| {
            let head = name.get(..prefix.len())?;
            head.eq_ignore_ascii_case(&prefix)
                .then(|| &name[prefix.len()..])
        })
        .map(|d| d.trim_end_matches('.').to_string())
        .filter(|d| !d.is_empty())
}

/// The inputs for finding the domain.
#[derive(Debug, Clone, Copy)]
pub struct DomainInput<'a> {
    pub hosts: Option<&'a str>,
    /// Where `hosts` was read from (for the message).
    pub hosts_path: &'a str,
    pub short: &'a str,
    pub flag: Option<&'a str>,
    pub service: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub cluster_domain: &'a str,
}

/// Finds the servers' DNS domain: from the hosts file, else `--domain`, else
/// `<service>.<namespace>.svc.<cluster-domain>`.
///
/// Fails (exit code 3) when none of these gives one.
pub fn find_domain(i: DomainInput<'_>) -> anyhow::Result<(String, DomainSource)> {
    if let Some(d) = i.hosts.and_then(|h| domain_from_hosts(h, i.short)) {
        return Ok((d, DomainSource::HostsFile));
    }
    if let Some(d) = i.flag.map(str::trim).filter(|d| !d.is_empty()) {
        return Ok((d.trim_matches('.').to_string(), DomainSource::Flag));
    }
    if let (Some(svc), Some(ns)) = (i.service, i.namespace) {
        if !svc.is_empty() && !ns.is_empty() {
            return Ok((
                format!("{svc}.{ns}.svc.{}", i.cluster_domain.trim_matches('.')),
                DomainSource::Composed,
            ));
        }
    }
    let missing = match (i.service, i.namespace) {
        (Some(_), None) => "--service is set but POD_NAMESPACE is not",
        (None, Some(_)) => "POD_NAMESPACE is set but --service is not",
        _ => "neither --domain nor --service with POD_NAMESPACE is set",
    };
    Err(diagnose(
        Code::Identity,
        format!(
            "cannot find the DNS domain of pod {}: {} has no line 'IP {}.<domain> {}' and {missing}",
            i.short, i.hosts_path, i.short, i.short
        ),
        "zkpod cannot name the other ensemble members",
        "set spec.serviceName of the StatefulSet to the headless Service (the kubelet then writes the pod's FQDN to /etc/hosts), or pass --domain <service>.<namespace>.svc.cluster.local",
    ))
}

/// The ensemble members: `<base>-<i>.<domain>` for i in 0..servers, with ids
/// from `offset`. No client-port suffix (`;2181`): with `clientPortAddress`
/// it is an invalid config on ZooKeeper 3.8.
pub fn members(base: &str, domain: &str, servers: u32, offset: u32) -> Vec<Member> {
    (0..servers)
        .map(|i| Member {
            id: i + offset,
            host: format!("{base}-{i}.{domain}"),
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
            ("zk-hs.prod.svc.cluster.local".into(), DomainSource::Flag)
        );
        let mut i = input(None, "zk-1");
        i.service = Some("zk-hs");
        i.namespace = Some("kafka");
        i.cluster_domain = "corp.local";
        assert_eq!(
            find_domain(i).unwrap(),
            ("zk-hs.kafka.svc.corp.local".into(), DomainSource::Composed)
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
    fn members_are_named_after_the_pods() {
        let m = members("zk", "zk-hs.default.svc.cluster.local", 3, 1);
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
