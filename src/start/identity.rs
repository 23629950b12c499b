//! Server identity: the myid derived from the StatefulSet pod's hostname.
//!
//! A StatefulSet names its pods `<name>-<ordinal>` (`zk-0`, `zk-1`, ...).
//! ZooKeeper ids start at 1, so by default myid = ordinal + 1 (`--id-offset`).

use crate::config::flags;
use crate::sys::report::{self, diagnose, Code, Warning};

/// A StatefulSet pod name split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodName {
    /// The StatefulSet name (`zk` in `zk-2`).
    pub base: String,
    /// The ordinal (`2` in `zk-2`).
    pub ordinal: u32,
}

/// Splits a hostname (short or fully qualified) into StatefulSet name and
/// ordinal. Returns `None` when the first label does not end in `-<digits>`,
/// or the digits have a leading zero: a StatefulSet never names a pod `zk-01`,
/// and the server list would name `zk-1`, another pod.
pub fn parse_pod_name(hostname: &str) -> Option<PodName> {
    let short = hostname.split('.').next().unwrap_or("");
    let (base, ordinal) = short.rsplit_once('-')?;
    if base.is_empty()
        || ordinal.is_empty()
        || !ordinal.bytes().all(|b| b.is_ascii_digit())
        || (ordinal.len() > 1 && ordinal.starts_with('0'))
    {
        return None;
    }
    Some(PodName {
        base: base.to_string(),
        ordinal: ordinal.parse().ok()?,
    })
}

/// What decides this server's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdInput<'a> {
    pub hostname: &'a str,
    /// `--myid` / `ZOO_MY_ID`.
    pub explicit: Option<u32>,
    /// `--id-offset` (1: zk-0 is server 1).
    pub offset: u32,
    /// `--servers`.
    pub servers: u32,
    /// Dynamic membership: `--servers` is only the initial size, and a pod
    /// with a higher ordinal joins the ensemble instead of being refused.
    pub scalable: bool,
}

/// The server's identity: its id and, when the hostname has one, its pod name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub myid: u32,
    pub pod: Option<PodName>,
    /// A warning when the id did not come from the ordinal.
    pub note: Option<Warning>,
}

/// The most servers `--servers` allows (ZooKeeper's documented id range is
/// 1 to 255).
pub const MAX_SERVERS: u32 = 255;

/// Decides the server id, in checked arithmetic: no id wraps around.
///
/// Fails (exit code 3) when an ensemble member's hostname has no ordinal,
/// or when the id falls outside the ensemble's server.N lines; (exit code
/// 4) when `--id-offset` and `--servers` would give ids past 4294967295.
pub fn decide(input: IdInput<'_>) -> anyhow::Result<Identity> {
    let IdInput {
        hostname,
        explicit,
        offset,
        servers,
        scalable,
    } = input;
    let pod = parse_pod_name(hostname);
    let host = report::clean(hostname);
    let first = u64::from(offset);
    let last = first + u64::from(servers.max(1)) - 1;
    if last > u64::from(u32::MAX) {
        return Err(diagnose(
            Code::Config,
            format!(
                "{} {offset} with --servers {servers} gives ids up to {last}, past 4294967295, the largest id zkpod writes",
                flags::origin("--id-offset")
            ),
            "the ids would wrap around, and two pods would write the same myid",
            "lower --id-offset (ZOO_ID_OFFSET); ids start at 1 by default (zk-0 is server 1)",
        ));
    }
    let range = if servers == 1 {
        format!("server.{first}")
    } else {
        format!("server.{first}..server.{last}")
    };

    if servers > 1 && pod.is_none() {
        return Err(diagnose(
            Code::Identity,
            format!("hostname \"{host}\" has no StatefulSet ordinal (expected <name>-<N>, such as zk-0)"),
            format!("zkpod names the {servers} ensemble members <name>-0..<name>-{} after it, so it cannot build the server list", servers - 1),
            "run zkpod as the container of a StatefulSet pod (its hostname is <statefulset>-<ordinal>), or pass --hostname zk-N",
        ));
    }

    let from_pod = pod.as_ref().map(|p| u64::from(p.ordinal) + first);
    let (myid, note) = match (explicit, from_pod) {
        (Some(id), Some(derived)) if u64::from(id) != derived => (
            u64::from(id),
            Some(Warning::new(
                format!("--myid {id} overrides the id {derived} that hostname {host} gives"),
                format!("server.{id} in zoo.cfg names another pod's address, so the ensemble reaches that pod as this server"),
                "drop --myid (ZOO_MY_ID) so that the id comes from the hostname",
            )),
        ),
        (Some(id), _) => (u64::from(id), None),
        (None, Some(derived)) => (derived, None),
        (None, None) => (
            first,
            Some(Warning::new(
                format!("hostname \"{host}\" has no ordinal"),
                format!("as the only server it takes id {offset}"),
                "nothing for a standalone server; an ensemble member must run in a StatefulSet pod (<name>-<N>)",
            )),
        ),
    };

    // Dynamic membership lets an ordinal beyond --servers join, but never
    // past the largest id (no wrap-around) or the largest ensemble.
    let grows = scalable
        && myid <= u64::from(u32::MAX)
        && !matches!(&pod, Some(p) if p.ordinal >= MAX_SERVERS);
    if myid < first || (myid > last && !grows) {
        let source = match (explicit, &pod) {
            (Some(_), _) => format!("--myid {myid} (on pod {host})"),
            (None, Some(p)) => format!(
                "hostname {host} (ordinal {} + --id-offset {offset}) gives server id {myid}, which",
                p.ordinal
            ),
            (None, None) => format!("server id {myid}"),
        };
        let fix = match (explicit, &pod) {
            (None, Some(p)) if p.ordinal >= MAX_SERVERS => format!(
                "zkpod allows at most {MAX_SERVERS} servers (--servers), so ordinal {} cannot be one: scale the StatefulSet to at most {MAX_SERVERS} replicas (zk-0..zk-{})",
                p.ordinal,
                MAX_SERVERS - 1
            ),
            // In u64: the ordinal may be u32::MAX (found by fuzz/flag_values).
            (None, Some(p)) => format!(
                "a static server list (ZooKeeper 3.4, or --membership static) cannot grow while it runs, so scale the StatefulSet back to --servers (ZOO_SERVERS) replicas; growing it to at least {} servers safely needs ZooKeeper 3.5.3+ with --membership auto, which scales with `kubectl scale` alone",
                u64::from(p.ordinal) + 1
            ),
            _ => format!("pass a --myid within {first}..{last}, or drop --myid to derive it from the hostname"),
        };
        return Err(diagnose(
            Code::Identity,
            format!("{source} is outside the ensemble ({range}, from --servers {servers})"),
            "this server is missing from every member's server list and could never join the quorum",
            fix,
        ));
    }
    // Within first..=last, or checked above to fit in a u32.
    Ok(Identity {
        myid: myid as u32,
        pod,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(hostname: &str, servers: u32) -> IdInput<'_> {
        IdInput {
            hostname,
            explicit: None,
            offset: 1,
            servers,
            scalable: false,
        }
    }

    #[test]
    fn regression_fuzz_flag_values_the_largest_ordinal() {
        // Found by fuzz/flag_values: the fix's "at least N" overflowed u32
        // (a panic with overflow checks; "at least 4294967295" without).
        let e = decide(input("zk-4294967295", 3)).unwrap_err().to_string();
        assert!(
            e.contains("gives server id 4294967296, which is outside the ensemble"),
            "{e}"
        );
        assert!(e.contains("zkpod allows at most 255 servers"), "{e}");
    }

    #[test]
    fn regression_issue_8_at_most_255_not_at_least_256() {
        let e = decide(input("zk-255", 255)).unwrap_err().to_string();
        assert!(!e.contains("at least 256"), "{e}");
        assert!(e.contains("so ordinal 255 cannot be one: scale the StatefulSet to at most 255 replicas (zk-0..zk-254)"), "{e}");
    }

    #[test]
    fn regression_issue_8_an_id_offset_that_wraps_is_refused() {
        let mut i = input("zk-2", 3);
        i.offset = u32::MAX;
        let e = decide(i).unwrap_err();
        assert_eq!(crate::sys::report::code_of(&e, Code::Io), Code::Config);
        assert!(e.to_string().starts_with("--id-offset (ZOO_ID_OFFSET) 4294967295 with --servers 3 gives ids up to 4294967297, past 4294967295"), "{e}");
        // The largest offset that fits still works, for every pod.
        let mut i = input("zk-2", 3);
        i.offset = u32::MAX - 2;
        assert_eq!(decide(i).unwrap().myid, u32::MAX);
    }

    #[test]
    fn regression_fuzz_flag_values_refusals_stay_on_one_line() {
        let e = decide(input("zk\nx", 3)).unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
        assert!(e.contains("hostname \"zk\\nx\""), "{e}");
    }

    #[test]
    fn pod_names() {
        assert_eq!(
            parse_pod_name("zk-0"),
            Some(PodName {
                base: "zk".into(),
                ordinal: 0
            })
        );
        assert_eq!(
            parse_pod_name("my-zoo-keeper-12.zk-hs.ns.svc.cluster.local"),
            Some(PodName {
                base: "my-zoo-keeper".into(),
                ordinal: 12
            })
        );
        for bad in [
            "zookeeper",
            "zk-",
            "-3",
            "zk-a",
            "zk-1a",
            "",
            "zk-01",
            "zk-1.2",
        ] {
            // "zk-1.2": the short name is "zk-1" — valid; check separately.
            if bad == "zk-1.2" {
                assert_eq!(parse_pod_name(bad).unwrap().ordinal, 1);
                continue;
            }
            assert_eq!(parse_pod_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn ordinal_plus_offset() {
        assert_eq!(decide(input("zk-0", 3)).unwrap().myid, 1);
        assert_eq!(decide(input("zk-2", 3)).unwrap().myid, 3);
        let mut i = input("zk-2", 3);
        i.offset = 10;
        assert_eq!(decide(i).unwrap().myid, 12);
    }

    #[test]
    fn explicit_id_wins_with_a_note() {
        let mut i = input("zk-0", 3);
        i.explicit = Some(2);
        let id = decide(i).unwrap();
        assert_eq!(id.myid, 2);
        assert_eq!(
            id.note.unwrap().to_string(),
            "--myid 2 overrides the id 1 that hostname zk-0 gives: server.2 in zoo.cfg names another pod's address, so the ensemble reaches that pod as this server. Fix: drop --myid (ZOO_MY_ID) so that the id comes from the hostname"
        );
    }

    #[test]
    fn standalone_without_ordinal_is_server_one() {
        let id = decide(input("laptop", 1)).unwrap();
        assert_eq!(id.myid, 1);
        assert!(id.pod.is_none());
        assert_eq!(
            id.note.unwrap().to_string(),
            "hostname \"laptop\" has no ordinal: as the only server it takes id 1. Fix: nothing for a standalone server; an ensemble member must run in a StatefulSet pod (<name>-<N>)"
        );
    }

    #[test]
    fn ensemble_member_without_ordinal_is_refused() {
        let e = decide(input("zookeeper", 3)).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("hostname \"zookeeper\" has no StatefulSet ordinal"),
            "{msg}"
        );
        assert!(msg.contains("Fix:"), "{msg}");
        assert_eq!(crate::sys::report::code_of(&e, Code::Io), Code::Identity);
    }

    #[test]
    fn with_dynamic_membership_a_higher_ordinal_joins() {
        let mut i = input("zk-7", 3);
        i.scalable = true;
        assert_eq!(decide(i).unwrap().myid, 8);
    }

    #[test]
    fn with_dynamic_membership_ids_still_never_wrap() {
        // Issue 8's duplicate ids, for a joiner: ordinal + offset past
        // 4294967295 must not wrap to a small id, and an ordinal past the
        // largest ensemble is refused as in a static one.
        let mut i = input("zk-7", 3);
        i.scalable = true;
        i.offset = u32::MAX - 3;
        let e = decide(i).unwrap_err().to_string();
        assert!(
            e.contains("gives server id 4294967299, which is outside the ensemble"),
            "{e}"
        );
        let mut i = input("zk-255", 3);
        i.scalable = true;
        let e = decide(i).unwrap_err().to_string();
        assert!(e.contains("so ordinal 255 cannot be one"), "{e}");
        let mut i = input("zk-254", 3);
        i.scalable = true;
        assert_eq!(decide(i).unwrap().myid, 255);
    }

    #[test]
    fn id_outside_ensemble_is_refused() {
        let e = decide(input("zk-3", 3)).unwrap_err().to_string();
        assert!(
            e.contains("hostname zk-3 (ordinal 3 + --id-offset 1) gives server id 4"),
            "{e}"
        );
        assert!(e.contains("server.1..server.3"), "{e}");
        assert!(e.contains("at least 4"), "{e}");
        let mut i = input("zk-0", 3);
        i.explicit = Some(9);
        let e = decide(i).unwrap_err().to_string();
        assert!(
            e.contains("--myid 9 (on pod zk-0) is outside the ensemble"),
            "{e}"
        );
    }
}
