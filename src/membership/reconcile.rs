//! What `zkpod join` and `zkpod leave` ask of the ensemble, decided from the
//! current committed configuration (pure; the caller talks to ZooKeeper).

use crate::config::dynamic::{ClientSpec, Config, Role, Server};

/// The next step towards the wanted membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing to change.
    Done,
    /// A conditional incremental reconfig from `from` (the version read).
    Reconfig {
        joining: Vec<String>,
        leaving: Vec<u32>,
        from: u64,
    },
    /// Refused, with the one-line reason.
    Refuse(String),
    /// Not yet: read the configuration again after a pause (why, for the log).
    Wait(String),
}

fn same_client(a: &Option<ClientSpec>, b: &Option<ClientSpec>) -> bool {
    let norm = |c: &Option<ClientSpec>| {
        c.as_ref().map(|c| {
            let addr = c.address.as_deref().unwrap_or("0.0.0.0");
            let addr = if addr == "::" || addr == "[::]" {
                "0.0.0.0"
            } else {
                addr
            };
            (addr.to_ascii_lowercase(), c.port)
        })
    };
    norm(a) == norm(b)
}

/// True when `have` is `want` as ZooKeeper would print it back.
pub fn same_server(have: &Server, want: &Server) -> bool {
    have.id == want.id
        && have.host.eq_ignore_ascii_case(&want.host)
        && have.quorum_port == want.quorum_port
        && have.election_port == want.election_port
        && have.role == want.role
        && same_client(&have.client, &want.client)
}

/// `zkpod join`, before it waits for the server to serve: whether the
/// configuration the server started with (its dynamic config file, as
/// `zkpod start` left it) already makes it a voter: an initial member of a
/// new ensemble, or a voter restarting. Then there is nothing to join, and
/// the hook must not wait: the kubelet publishes a pod's address, and so its
/// DNS name, only once the postStart hook has returned, and the peers of a
/// voter reach it by that name to form a quorum with it.
pub fn voter_at_start(started_with: &Config, me: &Server) -> bool {
    started_with.is_participant(me.id)
}

/// `zkpod join`, first and required: make `me` a participant (with its
/// wanted line, when it has to be added), once every lower ordinal of the
/// StatefulSet (ids `offset..me`) votes.
///
/// Voters are added in ordinal order because the kubelet publishes a pod's
/// name only once its postStart hook (this join) has returned, and a new
/// voter opens its election connections to every lower id by name: had
/// server 3 been promoted before server 2 (1 -> 3 at once), voters {1, 3}
/// could never hear from server 2, nor server 2 from a quorum of them.
/// Promoted in order, each new voter finds every lower one published.
pub fn participant_step(current: &Config, me: &Server, offset: u32) -> Step {
    if current.is_participant(me.id) {
        return Step::Done;
    }
    if let Some(id) = (offset..me.id).find(|&id| !current.is_participant(id)) {
        return Step::Wait(format!(
            "server {id} (ordinal {}) is not a voter yet; voters are added in ordinal order",
            id - offset
        ));
    }
    join_step(current, me)
}

/// `zkpod join`, then: make `me`'s line exactly the wanted one (its ports
/// and client endpoint as the flags give them).
pub fn join_step(current: &Config, me: &Server) -> Step {
    let want = me.with_role(Role::Participant);
    match current.servers.get(&me.id) {
        Some(have) if same_server(have, &want) => Step::Done,
        _ => Step::Reconfig {
            joining: vec![want.line()],
            leaving: Vec::new(),
            from: current.version.unwrap_or(0),
        },
    }
}

/// `zkpod leave`: remove server `id`, unless it is the last voter.
pub fn leave_step(current: &Config, id: u32) -> Step {
    if !current.servers.contains_key(&id) {
        return Step::Done;
    }
    if current.is_participant(id) && current.voters() == 1 {
        return Step::Refuse(format!(
            "server {id} is the last voting member (configuration version {}); removing it would leave no ensemble",
            current.version_text()
        ));
    }
    Step::Reconfig {
        joining: Vec::new(),
        leaving: vec![id],
        from: current.version.unwrap_or(0),
    }
}

/// Members whose pod ordinal (id - offset) is at or beyond `replicas`: pods
/// the StatefulSet no longer has, left in the configuration by a preStop
/// that did not finish. Never `me`, and never every voter.
pub fn stale_members(current: &Config, replicas: u32, offset: u32, me: u32) -> Vec<u32> {
    let stale: Vec<u32> = current
        .servers
        .keys()
        .copied()
        .filter(|&id| id != me && id.checked_sub(offset).is_some_and(|ord| ord >= replicas))
        .collect();
    let voters_left = current
        .servers
        .values()
        .filter(|s| s.role == Role::Participant && !stale.contains(&s.id))
        .count();
    if voters_left == 0 {
        return Vec::new();
    }
    stale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Config {
        Config::parse(text).unwrap()
    }

    fn me(id: u32) -> Server {
        crate::config::dynamic::parse_server(
            id,
            &format!("zk-{}.zk-hs:2888:3888:participant;2181", id - 1),
        )
        .unwrap()
    }

    #[test]
    fn a_voter_at_start_has_nothing_to_join_an_observer_or_a_stranger_has() {
        let bootstrap = cfg("server.1=zk-0.zk-hs:2888:3888:participant\nserver.2=zk-1.zk-hs:2888:3888:participant\nversion=100000000");
        // An initial member, even with a line the flags would change later.
        assert!(voter_at_start(&bootstrap, &me(1)));
        assert!(voter_at_start(&bootstrap, &me(2)));
        // A joiner starts as an observer of the committed configuration.
        let joining = cfg("server.1=zk-0.zk-hs:2888:3888:participant;2181\nserver.3=zk-2.zk-hs:2888:3888:observer;2181\nversion=100000002");
        assert!(!voter_at_start(&joining, &me(3)));
        // Not in it at all.
        assert!(!voter_at_start(&bootstrap, &me(4)));
    }

    #[test]
    fn join_is_done_when_zookeeper_prints_the_same_line_back() {
        // ZooKeeper prints ";2181" back as ";0.0.0.0:2181".
        let c = cfg("server.1=zk-0.zk-hs:2888:3888:participant;0.0.0.0:2181\nversion=100000000");
        assert_eq!(join_step(&c, &me(1)), Step::Done);
    }

    #[test]
    fn join_adds_a_missing_server_and_fixes_a_changed_line() {
        let c = cfg("server.1=zk-0.zk-hs:2888:3888:participant\nversion=100000000");
        assert_eq!(
            join_step(&c, &me(2)),
            Step::Reconfig {
                joining: vec!["server.2=zk-1.zk-hs:2888:3888:participant;2181".into()],
                leaving: vec![],
                from: 0x1_0000_0000
            }
        );
        // Own line without a client spec (bootstrap file): reconciled.
        assert!(matches!(join_step(&c, &me(1)), Step::Reconfig { .. }));
    }

    #[test]
    fn being_a_participant_comes_before_the_exact_line() {
        // A static-era line (no client spec): already a voter.
        let c = cfg("server.1=zk-0.zk-hs:2888:3888:participant\nversion=0");
        assert_eq!(participant_step(&c, &me(1), 1), Step::Done);
        assert!(matches!(join_step(&c, &me(1)), Step::Reconfig { .. }));
        assert!(matches!(
            participant_step(&c, &me(2), 1),
            Step::Reconfig { .. }
        ));
        // An observer is not a participant yet.
        let o = cfg("server.1=zk-0.zk-hs:2888:3888:participant;2181\nserver.2=zk-1.zk-hs:2888:3888:observer;2181\nversion=3");
        assert!(matches!(
            participant_step(&o, &me(2), 1),
            Step::Reconfig { .. }
        ));
    }

    #[test]
    fn voters_are_added_in_ordinal_order() {
        // 1 -> 3 at once: server 3 waits until server 2 votes.
        let one = cfg("server.1=zk-0.zk-hs:2888:3888:participant;2181\nversion=100000000");
        assert_eq!(
            participant_step(&one, &me(3), 1),
            Step::Wait(
                "server 2 (ordinal 1) is not a voter yet; voters are added in ordinal order".into()
            )
        );
        // ... an observer line for server 2 does not count as a voter ...
        let observing = cfg("server.1=zk-0.zk-hs:2888:3888:participant;2181\nserver.2=zk-1.zk-hs:2888:3888:observer;2181\nversion=100000001");
        assert!(matches!(
            participant_step(&observing, &me(3), 1),
            Step::Wait(_)
        ));
        // ... and once it votes, server 3 is added.
        let two = cfg("server.1=zk-0.zk-hs:2888:3888:participant;2181\nserver.2=zk-1.zk-hs:2888:3888:participant;2181\nversion=100000002");
        assert!(matches!(
            participant_step(&two, &me(3), 1),
            Step::Reconfig { .. }
        ));
        // A voter never waits; ids count from the offset (--id-offset 10:
        // zk-0 is server 10, zk-1 server 11).
        assert_eq!(participant_step(&two, &me(2), 1), Step::Done);
        let offset = cfg("server.10=zk-0.zk-hs:2888:3888:participant;2181\nversion=1");
        assert!(matches!(
            participant_step(&offset, &me(11), 10),
            Step::Reconfig { .. }
        ));
        assert!(matches!(
            participant_step(&offset, &me(12), 10),
            Step::Wait(_)
        ));
    }

    #[test]
    fn leave_never_removes_the_last_voter() {
        let c = cfg("server.1=zk-0.zk-hs:2888:3888:participant;2181\nversion=5");
        let Step::Refuse(why) = leave_step(&c, 1) else {
            panic!()
        };
        assert!(
            why.contains("server 1 is the last voting member (configuration version 0x5)"),
            "{why}"
        );
        assert_eq!(leave_step(&c, 2), Step::Done);
    }

    #[test]
    fn stale_members_are_beyond_the_replicas() {
        let c =
            cfg("server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2\nserver.5=e:1:2");
        assert_eq!(stale_members(&c, 3, 1, 1), vec![4, 5]);
        assert_eq!(stale_members(&c, 5, 1, 1), Vec::<u32>::new());
        assert_eq!(stale_members(&c, 0, 1, 1), vec![2, 3, 4, 5], "me stays");
    }
}
