//! The start-time membership decision (issue 9), as a pure function.
//!
//! Before the JVM starts, zkpod decides which dynamic configuration it
//! starts ZooKeeper with. The committed configuration is the law: zkpod
//! never starts a server with a static view that disagrees with what the
//! ensemble committed. Inputs are what the volume holds and what live peers
//! answer to `conf`; the output is one of a few actions.

use crate::config::dynamic::{Config, Role, Server};

/// What one candidate peer answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// Serving: its committed configuration (from `conf`).
    Serving(Config),
    /// A ZooKeeper answers but is not serving (leader election, or a
    /// sibling waiting for its quorum).
    NotServing,
    /// Nothing answers (refused, unreachable, name does not resolve).
    Silent,
}

/// What this pod's volume holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Volume {
    /// The configuration the volume's zoo.cfg points at (the newest this
    /// server knew), when it is a committed (versioned) one.
    pub committed: Option<Config>,
    /// True when some committed config file on the volume (ZooKeeper keeps
    /// the old ones) lists this server as a participant: it once voted.
    pub former_participant: bool,
    /// ZooKeeper data (snapshots, transaction logs) is present.
    pub has_data: bool,
}

/// Everything the decision looks at.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// This server as it should appear in the configuration (participant).
    pub me: &'a Server,
    /// The initial members (`--servers`), used only to bootstrap an
    /// ensemble that does not exist yet.
    pub initial: &'a [Server],
    pub volume: &'a Volume,
    /// Candidate peers and their answers (this server excluded).
    pub peers: &'a [(String, Peer)],
    /// True once the bounded wait for a serving peer has run out.
    pub waited_out: bool,
}

/// What to start ZooKeeper with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The volume's committed configuration lists this server: use it.
    UseLocal,
    /// A serving peer has a newer committed configuration that lists this
    /// server: start with a copy of it.
    Adopt(Config),
    /// Join the live ensemble: its committed configuration plus this server
    /// as an observer; `zkpod join` promotes it. With `set_aside`, the
    /// volume's data (of a former member the ensemble has since removed)
    /// is moved aside first.
    Join { base: Config, set_aside: bool },
    /// No ensemble exists: start one of the initial members.
    Bootstrap(Config),
    /// Peers answer but none serves yet: ask again shortly.
    Poll(String),
    /// Nothing can be started safely now; nothing was changed. The message
    /// says what this server waits for.
    Wait(String),
}

fn newest<'c>(a: Option<&'c Config>, b: Option<&'c Config>) -> Option<&'c Config> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.version > x.version { y } else { x }),
        (x, y) => x.or(y),
    }
}

/// Decides how this server starts. See the module doc and the README's
/// scaling section for the reasoning behind each branch.
pub fn decide(i: &Input<'_>) -> Decision {
    let me = i.me.id;
    let serving = i.peers.iter().filter_map(|(_, p)| match p {
        Peer::Serving(c) => Some(c),
        _ => None,
    });
    let remote = serving.max_by_key(|c| c.version);
    let listening: Vec<&str> = i
        .peers
        .iter()
        .filter(|(_, p)| *p != Peer::Silent)
        .map(|(h, _)| h.as_str())
        .collect();
    let local = i.volume.committed.as_ref();

    match newest(local, remote) {
        Some(c) if c.is_participant(me) => {
            if local.is_some_and(|l| l.version == c.version) {
                Decision::UseLocal
            } else {
                Decision::Adopt(c.clone())
            }
        }
        Some(c) => match remote {
            Some(r) => Decision::Join {
                base: r.clone(),
                set_aside: i.volume.has_data && i.volume.former_participant,
            },
            None if !listening.is_empty() && !i.waited_out => Decision::Poll(format!(
                "server {me} is not a voting member of its last committed configuration (version {}) and {} answer but do not serve yet",
                c.version_text(),
                listening.join(", ")
            )),
            None => Decision::Wait(format!(
                "server {me} is not a voting member of its last committed configuration (version {}), and no serving ensemble answers to join",
                c.version_text()
            )),
        },
        None => {
            let initial = i.initial.iter().any(|s| s.id == me);
            if !i.waited_out && (!listening.is_empty() || !initial) {
                let who = if listening.is_empty() {
                    "no peer answers yet".to_string()
                } else {
                    format!("{} answer but do not serve yet", listening.join(", "))
                };
                return Decision::Poll(format!("no committed configuration is known: {who}"));
            }
            if initial {
                let servers = i
                    .initial
                    .iter()
                    .map(|s| (s.id, s.with_role(Role::Participant)))
                    .collect();
                Decision::Bootstrap(Config {
                    version: None,
                    servers,
                })
            } else {
                Decision::Wait(format!(
                    "server {me} is not one of the {} initial servers (--servers), and no serving ensemble answers to join",
                    i.initial.len()
                ))
            }
        }
    }
}

/// The configuration a joiner starts with: the committed one plus itself as
/// an observer (so joiners can never form a quorum among themselves).
pub fn joiner_config(base: &Config, me: &Server) -> Config {
    let mut c = base.clone();
    c.version = None;
    c.servers.insert(me.id, me.with_role(Role::Observer));
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::dynamic::ClientSpec;

    fn server(id: u32) -> Server {
        Server {
            id,
            host: format!("zk-{}.zk-hs", id - 1),
            quorum_port: 2888,
            election_port: 3888,
            role: Role::Participant,
            client: Some(ClientSpec {
                address: None,
                port: 2181,
            }),
        }
    }

    fn config(version: u64, ids: &[u32]) -> Config {
        Config {
            version: Some(version),
            servers: ids.iter().map(|&i| (i, server(i))).collect(),
        }
    }

    fn run(me: u32, vol: &Volume, peers: &[(&str, Peer)], waited_out: bool) -> Decision {
        let me = server(me);
        let initial: Vec<Server> = (1..=3).map(server).collect();
        let peers: Vec<(String, Peer)> = peers
            .iter()
            .map(|(h, p)| (h.to_string(), p.clone()))
            .collect();
        decide(&Input {
            me: &me,
            initial: &initial,
            volume: vol,
            peers: &peers,
            waited_out,
        })
    }

    #[test]
    fn first_install_bootstraps_the_initial_members() {
        let d = run(
            2,
            &Volume::default(),
            &[("zk-0", Peer::Silent), ("zk-2", Peer::Silent)],
            false,
        );
        let Decision::Bootstrap(c) = d else {
            panic!("{d:?}")
        };
        assert_eq!(c.version, None);
        assert_eq!(c.servers.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn a_late_initial_member_polls_while_a_sibling_answers_then_bootstraps() {
        let peers = [("zk-0", Peer::NotServing), ("zk-2", Peer::Silent)];
        assert!(matches!(
            run(2, &Volume::default(), &peers, false),
            Decision::Poll(_)
        ));
        assert!(matches!(
            run(2, &Volume::default(), &peers, true),
            Decision::Bootstrap(_)
        ));
    }

    #[test]
    fn an_ordinal_beyond_the_initial_size_never_bootstraps() {
        let d = run(5, &Volume::default(), &[("zk-0", Peer::Silent)], true);
        let Decision::Wait(why) = d else {
            panic!("{d:?}")
        };
        assert!(
            why.contains("server 5 is not one of the 3 initial servers"),
            "{why}"
        );
    }

    #[test]
    fn the_why_scenario_new_pods_join_and_the_restarted_one_keeps_its_config() {
        // zk-3 new (empty volume) while zk-0..2 serve config {1,2,3}.
        let live = config(0x1_0000_0000, &[1, 2, 3]);
        let peers = [
            ("zk-0", Peer::Serving(live.clone())),
            ("zk-1", Peer::Serving(live.clone())),
        ];
        let d = run(4, &Volume::default(), &peers, false);
        assert_eq!(
            d,
            Decision::Join {
                base: live.clone(),
                set_aside: false
            }
        );
        // zk-2 restarted with its volume: its committed config lists it.
        let vol = Volume {
            committed: Some(live.clone()),
            former_participant: true,
            has_data: true,
        };
        assert_eq!(run(3, &vol, &peers, false), Decision::UseLocal);
    }

    #[test]
    fn a_newer_remote_config_is_adopted_when_it_lists_this_server() {
        let old = config(0x1_0000_0000, &[1, 2, 3]);
        let new = config(0x1_0000_0005, &[1, 2, 3, 4, 5]);
        let vol = Volume {
            committed: Some(old),
            former_participant: true,
            has_data: true,
        };
        assert_eq!(
            run(3, &vol, &[("zk-0", Peer::Serving(new.clone()))], false),
            Decision::Adopt(new)
        );
    }

    #[test]
    fn an_old_volume_of_a_removed_member_is_set_aside_and_rejoins() {
        // scale 5 -> 3 removed server 4; its volume says {1,2,3} at removal.
        let at_removal = config(0x1_0000_0009, &[1, 2, 3]);
        let vol = Volume {
            committed: Some(at_removal),
            former_participant: true,
            has_data: true,
        };
        let live = config(0x2_0000_0003, &[1, 2, 3]);
        let d = run(4, &vol, &[("zk-0", Peer::Serving(live.clone()))], false);
        assert_eq!(
            d,
            Decision::Join {
                base: live,
                set_aside: true
            }
        );
    }

    #[test]
    fn a_joiner_restarted_before_promotion_keeps_its_synced_data() {
        let live = config(0x1_0000_0000, &[1, 2, 3]);
        let vol = Volume {
            committed: Some(live.clone()),
            former_participant: false,
            has_data: true,
        };
        let d = run(4, &vol, &[("zk-0", Peer::Serving(live.clone()))], false);
        assert_eq!(
            d,
            Decision::Join {
                base: live,
                set_aside: false
            }
        );
    }

    #[test]
    fn a_non_member_without_a_serving_ensemble_waits() {
        let live = config(0x1_0000_0000, &[1, 2, 3]);
        let vol = Volume {
            committed: Some(live),
            former_participant: true,
            has_data: true,
        };
        assert!(matches!(
            run(4, &vol, &[("zk-0", Peer::NotServing)], false),
            Decision::Poll(_)
        ));
        let d = run(4, &vol, &[("zk-0", Peer::NotServing)], true);
        let Decision::Wait(why) = d else {
            panic!("{d:?}")
        };
        assert!(
            why.contains(
                "not a voting member of its last committed configuration (version 0x100000000)"
            ),
            "{why}"
        );
    }

    #[test]
    fn a_member_restarting_alone_uses_its_volume() {
        // Full restart: nobody serves; the committed config lists me.
        let c = config(0x3_0000_0000, &[1, 2, 3, 4, 5]);
        let vol = Volume {
            committed: Some(c),
            former_participant: true,
            has_data: true,
        };
        assert_eq!(
            run(5, &vol, &[("zk-0", Peer::NotServing)], false),
            Decision::UseLocal
        );
    }

    #[test]
    fn joiner_config_lists_the_joiner_as_observer_without_a_version() {
        let live = config(0x1_0000_0000, &[1, 2, 3]);
        let j = joiner_config(&live, &server(4));
        assert_eq!(j.version, None);
        assert_eq!(j.servers[&4].role, Role::Observer);
        assert!(!j.is_participant(4));
        assert_eq!(j.voters(), 3);
    }
}
