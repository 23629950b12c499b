//! The start's membership step (issue 9): which dynamic configuration the
//! server starts with. Pure: [`need`] states the question (this server's
//! line, the initial members, whom to ask, what the volume holds), the
//! command asks the peers (`start::peers`), `membership::decide` answers,
//! and [`settle`] turns the answer into the files to write.
//!
//! Where it all lives: ZooKeeper is started with `<data dir>/zoo.cfg`, so
//! the `zoo.cfg.dynamic.<version>` files it writes on every committed
//! reconfig land next to it on the data volume and survive every restart;
//! `<conf dir>/zoo.cfg` is a symlink to it, for people and for the probes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::dynamic::{self, ClientSpec, Config, Role, Server};
use crate::config::settings::{DynamicSettings, Member, SettingsInput};
use crate::config::version::{v, Version};
use crate::config::zoocfg;
use crate::membership::decide::{self, Decision};
use crate::membership::Mode;
use crate::start::facts::VolumeConfig;
use crate::sys::report::{self, diagnose, Code, Warning};

/// The first release with `reconfigEnabled` (3.5.0-3.5.2 reconfigure
/// unconditionally; zkpod does not run them dynamically).
pub const DYNAMIC_SINCE: Version = v(3, 5, 3);

/// The file zkpod writes for a server that bootstraps a new ensemble, and
/// for one that joins: names whose suffix is not hex, so ZooKeeper gives
/// them no version and adopts the ensemble's committed configuration.
pub const BOOTSTRAP_FILE: &str = "zoo.cfg.dynamic.zkpod-bootstrap";
pub const JOIN_FILE: &str = "zoo.cfg.dynamic.zkpod-join";

/// Where a set-aside volume's old data goes, inside the data (and log) dir.
pub const SET_ASIDE_DIR: &str = "zkpod-set-aside";

/// One peer to ask for its committed configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub host: String,
    pub port: u16,
}

/// How the peers are asked over TLS: the Secret's directory (this pod's
/// certificate is the client certificate, its CA the trust) and the port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerTls {
    pub dir: PathBuf,
    pub port: u16,
}

/// What the membership step needs to know, decided by the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// This server's line, as it should be committed (participant).
    pub me: Server,
    /// The initial members (`--servers`): who bootstraps a new ensemble.
    pub initial: Vec<Server>,
    /// The peers to ask: the initial members and the volume's last
    /// committed configuration, this server excluded.
    pub candidates: Vec<Candidate>,
    /// What the volume holds, for the decision.
    pub volume: decide::Volume,
    /// The file of the volume's committed configuration, if any.
    pub local_file: Option<PathBuf>,
    /// The committed dynamic config files already on the volume.
    pub existing: Vec<String>,
    pub data_dir: PathBuf,
    pub data_log_dir: PathBuf,
    /// `--peer-wait`.
    pub peer_wait: Duration,
    /// `--tls-dir`: the peers are asked on their TLS client port (with
    /// `--plaintext-client loopback` their plaintext port is out of reach).
    pub tls: Option<PeerTls>,
    /// The flags' client endpoint (used when the committed configuration
    /// gives this server none).
    pub client: ClientSpec,
}

impl Need {
    /// `<data dir>/zoo.cfg`: the file ZooKeeper is started with.
    pub fn zoo_cfg(&self) -> PathBuf {
        self.data_dir.join("zoo.cfg")
    }
}

/// What was decided, ready to render and apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// zoo.cfg's dynamic part: the dynamic config file and the client
    /// endpoint.
    pub dynamic: DynamicSettings,
    /// A dynamic config file to write (path, configuration): a bootstrap,
    /// a joiner's first configuration, or a copy of the ensemble's
    /// committed one (rendered by `Config::render_file`).
    pub write: Option<(PathBuf, Config)>,
    /// Move the volume's old data aside first (a removed member's volume).
    pub set_aside: bool,
    /// What was decided, for the log.
    pub summary: String,
}

/// Whether this start runs with dynamic membership.
///
/// Fails (exit code 4) when `--membership dynamic` is asked of a ZooKeeper
/// or a pod that cannot have it; `auto` falls back to a static server list
/// and says why in a warning only when the fallback changes something an
/// ensemble relies on.
pub fn dynamic_wanted(
    mode: Mode,
    release: Option<Version>,
    has_ordinal: bool,
) -> anyhow::Result<bool> {
    let supported = release.is_some_and(|r| r >= DYNAMIC_SINCE);
    match mode {
        Mode::Static => Ok(false),
        Mode::Auto => Ok(supported && has_ordinal),
        Mode::Dynamic if !supported => Err(diagnose(
            Code::Config,
            format!(
                "--membership dynamic needs ZooKeeper 3.5.3 or newer, and this one is {}",
                release.map_or_else(|| "of an unknown version".to_string(), |r| r.to_string())
            ),
            "older releases cannot reconfigure a running ensemble, so scaling would need a restart of every server with a new server list",
            "run ZooKeeper 3.5.3 or newer, or pass --membership static (ZOO_MEMBERSHIP=static) and keep replicas equal to --servers",
        )),
        Mode::Dynamic if !has_ordinal => Err(diagnose(
            Code::Config,
            "--membership dynamic needs a StatefulSet pod name (<name>-<ordinal>)",
            "zkpod names every member after the pods, so without an ordinal it cannot tell this server's place in the ensemble",
            "run zkpod in a StatefulSet pod, or pass --membership auto",
        )),
        Mode::Dynamic => Ok(true),
    }
}

/// This server's line, or an initial member's, from the flags: the pod's
/// FQDN, the quorum and election ports, and the client endpoint. The client
/// endpoint is written for every member only when it is the same for all
/// (no `--client_address`): a pod-specific address is added by each server
/// for itself, through `zkpod join`.
pub fn server_line(m: &Member, s: &SettingsInput, with_client: bool) -> Server {
    Server {
        id: m.id,
        host: m.host.clone(),
        quorum_port: s.server_port,
        election_port: s.election_port,
        role: Role::Participant,
        client: with_client.then(|| ClientSpec {
            address: s.client_address.clone(),
            port: s.client_port,
        }),
    }
}

/// What [`need`] asks from.
#[derive(Debug, Clone, Copy)]
pub struct NeedInput<'a> {
    /// This server: its id and its pod's FQDN.
    pub me: &'a Member,
    /// The initial members (`--servers`).
    pub initial: &'a [Member],
    pub settings: &'a SettingsInput,
    pub data_dir: &'a Path,
    pub data_log_dir: &'a Path,
    pub volume: &'a VolumeConfig,
    /// ZooKeeper data is on the volume.
    pub has_data: bool,
    pub peer_wait: Duration,
}

/// States the membership question for this server, from the flags and the
/// volume.
///
/// Fails (exit code 5) when the volume's zoo.cfg or its dynamic config
/// cannot be read or parsed: zkpod will not start a server whose committed
/// membership it cannot see.
pub fn need(i: NeedInput<'_>) -> anyhow::Result<Need> {
    let NeedInput {
        me,
        initial,
        settings,
        data_dir,
        data_log_dir,
        volume: vol,
        has_data,
        peer_wait,
    } = i;
    let me_line = server_line(me, settings, true);
    let shared_client = settings.client_address.is_none();
    let initial_lines: Vec<Server> = initial
        .iter()
        .map(|m| server_line(m, settings, shared_client))
        .collect();

    let unreadable = |what: &str, detail: &str| {
        diagnose(
            Code::DataGuard,
            format!("{what} on the data volume {detail}"),
            "it holds the ensemble's committed membership, and starting without it could give this server a stale view of the ensemble; nothing was changed",
            "check the file's permissions and content; if the volume is damaged, move the data dir aside and let the pod join afresh",
        )
    };
    let zoo_cfg_path = data_dir.join("zoo.cfg");
    let shown_cfg = report::path(&zoo_cfg_path);
    match &vol.zoo_cfg {
        Some(Err(e)) => return Err(unreadable(&shown_cfg, &e.to_string())),
        Some(Ok(bytes)) => {
            zoocfg::parse(bytes).map_err(|m| unreadable(&shown_cfg, &unusable(&m.to_string())))?;
        }
        None => {}
    }
    let (local, local_file) = match &vol.current {
        None => (None, None),
        Some((path, None)) => {
            return Err(diagnose(
                Code::DataGuard,
                format!(
                    "{shown_cfg} names dynamicConfigFile={}, which is not a zoo.cfg.dynamic.* file next to it",
                    report::path(path)
                ),
                "ZooKeeper writes every committed configuration next to the zoo.cfg it runs with, so this one is not ZooKeeper's; zkpod reads no file outside the data dir on its word, and nothing was changed",
                format!(
                    "move {shown_cfg} aside (mv {shown_cfg} {shown_cfg}.bad) so that this server asks the ensemble for its committed configuration"
                ),
            ));
        }
        Some((path, Some(Err(e)))) => {
            return Err(unreadable(&report::path(path), &e.to_string()));
        }
        Some((path, Some(Ok(bytes)))) => {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let version = name.as_deref().and_then(dynamic::version_from_file_name);
            let mut c = Config::parse_bytes(bytes)
                .map_err(|e| unreadable(&report::path(path), &unusable(&e)))?;
            // A versionless file (a bootstrap or joiner file ZooKeeper has
            // not replaced yet) is nobody's committed configuration.
            c.version = version;
            (version.map(|_| c), Some(path.clone()))
        }
    };
    let mut former_participant = false;
    for (name, bytes) in &vol.committed {
        let shown_file = report::path(&data_dir.join(name));
        let bytes = bytes
            .as_ref()
            .map_err(|e| unreadable(&shown_file, &e.to_string()))?;
        let c = Config::parse_bytes(bytes).map_err(|e| unreadable(&shown_file, &unusable(&e)))?;
        former_participant |= c.is_participant(me.id);
    }

    let mut candidates: Vec<Candidate> = Vec::new();
    let mut add = |host: &str, port: u16| {
        if !candidates.iter().any(|c| c.host.eq_ignore_ascii_case(host)) {
            candidates.push(Candidate {
                host: host.to_string(),
                port,
            });
        }
    };
    for m in initial.iter().filter(|m| m.id != me.id) {
        add(&m.host, settings.client_port);
    }
    if let Some(c) = &local {
        for s in c.servers.values().filter(|s| s.id != me.id) {
            add(
                &s.host,
                s.client.as_ref().map_or(settings.client_port, |c| c.port),
            );
        }
    }
    Ok(Need {
        me: me_line,
        initial: initial_lines,
        candidates,
        volume: decide::Volume {
            committed: local,
            former_participant,
            has_data,
        },
        local_file,
        existing: vol.committed.iter().map(|(n, _)| n.clone()).collect(),
        data_dir: data_dir.to_path_buf(),
        data_log_dir: data_log_dir.to_path_buf(),
        peer_wait,
        tls: None,
        client: ClientSpec {
            address: settings.client_address.clone(),
            port: settings.client_port,
        },
    })
}

/// Why a file on the volume is not a configuration zkpod can act on.
fn unusable(why: &str) -> String {
    format!("is not a configuration ZooKeeper wrote: {why}")
}

/// The client endpoint zoo.cfg must name: this server's in `config` when
/// its line has one (ZooKeeper refuses a zoo.cfg that disagrees with the
/// committed line), else the flags'.
fn client_of(config: &Config, need: &Need) -> ClientSpec {
    config
        .servers
        .get(&need.me.id)
        .and_then(|s| s.client.clone())
        .unwrap_or_else(|| need.client.clone())
}

/// Turns the decision into the files to write, or refuses.
///
/// Fails (exit code 9) for [`Decision::Wait`] and an unresolved
/// [`Decision::Poll`]: this server cannot start safely yet; nothing was
/// changed, and the kubelet's next restart asks again.
pub fn settle(need: &Need, decision: Decision, pod: &str) -> anyhow::Result<Settled> {
    let me = need.me.id;
    let file_in = |name: &str| need.data_dir.join(name);
    let dynamic = |file: PathBuf, client: ClientSpec| DynamicSettings {
        file,
        client_port: client.port,
        client_address: client.address.filter(|a| a != "0.0.0.0"),
    };
    Ok(match decision {
        Decision::UseLocal => {
            let (Some(file), Some(c)) = (&need.local_file, &need.volume.committed) else {
                unreachable!("UseLocal is only decided when the volume has a committed config")
            };
            Settled {
                dynamic: dynamic(file.clone(), client_of(c, need)),
                write: None,
                set_aside: false,
                summary: format!(
                    "membership: server {me} starts with its committed configuration (version {}, {} voters)",
                    c.version_text(),
                    c.voters()
                ),
            }
        }
        Decision::Adopt(c) => {
            let name = format!("{}{:x}", dynamic::FILE_PREFIX, c.version.unwrap_or(0));
            let write = (!need.existing.contains(&name)).then(|| (file_in(&name), c.clone()));
            Settled {
                dynamic: dynamic(file_in(&name), client_of(&c, need)),
                write,
                set_aside: false,
                summary: format!(
                    "membership: server {me} starts with the ensemble's newer committed configuration (version {}, {} voters)",
                    c.version_text(),
                    c.voters()
                ),
            }
        }
        Decision::Join { base, set_aside } => {
            let joiner = decide::joiner_config(&base, &need.me);
            let aside = if set_aside {
                " (its old data set aside)"
            } else {
                ""
            };
            Settled {
                dynamic: dynamic(file_in(JOIN_FILE), need.client.clone()),
                write: Some((file_in(JOIN_FILE), joiner.clone())),
                set_aside,
                summary: format!(
                    "membership: server {me} joins the ensemble (configuration version {}, {} voters) as an observer{aside}; `zkpod join` makes it a voter",
                    base.version_text(),
                    base.voters()
                ),
            }
        }
        Decision::Bootstrap(c) => Settled {
            dynamic: dynamic(file_in(BOOTSTRAP_FILE), need.client.clone()),
            write: Some((file_in(BOOTSTRAP_FILE), c.clone())),
            set_aside: false,
            summary: format!(
                "membership: no ensemble answers; server {me} bootstraps one of {} initial servers",
                c.servers.len()
            ),
        },
        Decision::Wait(why) | Decision::Poll(why) => {
            return Err(diagnose(
                Code::Waiting,
                format!("{pod} (server {me}) cannot start yet: {why}"),
                "starting now could give it a view of the ensemble that disagrees with what the ensemble committed; nothing was changed",
                "wait: the kubelet restarts the container and it asks again; if no ensemble exists, start the initial members (ordinals below --servers) first",
            ))
        }
    })
}

/// What was asked that a dynamic ensemble lacks (warnings for the log).
pub fn warnings(need: &Need, password: bool) -> Vec<Warning> {
    let mut w = Vec::new();
    if !password {
        w.push(Warning::new(
            "no --superuser-password-file (ZOO_SUPERUSER_PASSWORD_FILE)",
            format!(
                "`zkpod join` and `zkpod leave` cannot reconfigure the ensemble, so server {} can start and serve but scaling cannot add or remove voters",
                need.me.id
            ),
            "mount a Secret with the superuser password and pass its path, e.g. --superuser-password-file=/etc/zkpod/auth/password",
        ));
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::fixtures;
    use crate::membership::decide::Peer;
    use crate::sys::file::FileError;

    fn members(n: u32) -> Vec<Member> {
        (0..n)
            .map(|i| Member {
                id: i + 1,
                host: format!("zk-{i}.zk-hs.default.svc.cluster.local"),
            })
            .collect()
    }

    fn need_with(vol: VolumeConfig, me: u32) -> Need {
        let m = Member {
            id: me,
            host: format!("zk-{}.zk-hs.default.svc.cluster.local", me - 1),
        };
        need(NeedInput {
            me: &m,
            initial: &members(3),
            settings: &fixtures::defaults(),
            data_dir: Path::new("/v/data"),
            data_log_dir: Path::new("/v/data/log"),
            volume: &vol,
            has_data: false,
            peer_wait: Duration::from_secs(30),
        })
        .unwrap()
    }

    const COMMITTED: &str = "server.1=zk-0.zk-hs.default.svc.cluster.local:2888:3888:participant;0.0.0.0:2181\nserver.2=zk-1.zk-hs.default.svc.cluster.local:2888:3888:participant;0.0.0.0:2181\nserver.3=zk-2.zk-hs.default.svc.cluster.local:2888:3888:participant;0.0.0.0:2181\n";

    fn committed_volume() -> VolumeConfig {
        VolumeConfig {
            zoo_cfg: Some(Ok(
                "dynamicConfigFile=/v/data/zoo.cfg.dynamic.100000000\n".into()
            )),
            current: Some((
                "/v/data/zoo.cfg.dynamic.100000000".into(),
                Some(Ok(COMMITTED.into())),
            )),
            committed: vec![("zoo.cfg.dynamic.100000000".into(), Ok(COMMITTED.into()))],
        }
    }

    #[test]
    fn the_question_names_this_server_the_initial_members_and_whom_to_ask() {
        let n = need_with(VolumeConfig::default(), 2);
        assert_eq!(
            n.me.line(),
            "server.2=zk-1.zk-hs.default.svc.cluster.local:2888:3888:participant;2181"
        );
        assert_eq!(n.initial.len(), 3);
        let hosts: Vec<&str> = n.candidates.iter().map(|c| c.host.as_str()).collect();
        assert_eq!(
            hosts,
            [
                "zk-0.zk-hs.default.svc.cluster.local",
                "zk-2.zk-hs.default.svc.cluster.local"
            ]
        );
        assert_eq!(n.volume, decide::Volume::default());
        assert_eq!(n.zoo_cfg(), Path::new("/v/data/zoo.cfg"));
    }

    #[test]
    fn a_committed_config_on_the_volume_is_read_with_its_version_from_the_name() {
        let n = need_with(committed_volume(), 2);
        let c = n.volume.committed.as_ref().unwrap();
        assert_eq!(c.version, Some(0x1_0000_0000));
        assert!(n.volume.former_participant);
        assert_eq!(
            n.local_file.as_deref(),
            Some(Path::new("/v/data/zoo.cfg.dynamic.100000000"))
        );
        let s = settle(&n, Decision::UseLocal, "zk-1").unwrap();
        assert_eq!(s.write, None);
        assert_eq!(
            s.dynamic.file,
            Path::new("/v/data/zoo.cfg.dynamic.100000000")
        );
        assert_eq!(
            (s.dynamic.client_port, s.dynamic.client_address),
            (2181, None)
        );
    }

    #[test]
    fn a_joiner_file_has_no_version_and_lists_the_joiner_as_observer() {
        let n = need_with(VolumeConfig::default(), 4);
        let live = Config::parse(COMMITTED).unwrap();
        let d = decide::decide(&decide::Input {
            me: &n.me,
            initial: &n.initial,
            volume: &n.volume,
            peers: &[("zk-0".into(), Peer::Serving(live))],
            waited_out: false,
        });
        let s = settle(&n, d, "zk-3").unwrap();
        let (path, config) = s.write.unwrap();
        let text = config.render_file().unwrap();
        assert_eq!(path, Path::new("/v/data/zoo.cfg.dynamic.zkpod-join"));
        assert_eq!(dynamic::version_from_file_name(JOIN_FILE), None);
        assert!(text
            .ends_with("server.4=zk-3.zk-hs.default.svc.cluster.local:2888:3888:observer;2181\n"));
        assert!(s.summary.contains("joins the ensemble"), "{}", s.summary);
    }

    #[test]
    fn waiting_is_exit_9_with_one_line() {
        let n = need_with(VolumeConfig::default(), 5);
        let e = settle(
            &n,
            Decision::Wait("no serving ensemble answers".into()),
            "zk-4",
        )
        .unwrap_err();
        assert_eq!(crate::sys::report::code_of(&e, Code::Io), Code::Waiting);
        let m = e.to_string();
        assert!(
            m.starts_with("zk-4 (server 5) cannot start yet: no serving ensemble answers"),
            "{m}"
        );
        assert!(!m.contains('\n'));
    }

    #[test]
    fn an_unreadable_committed_config_is_refused() {
        let vol = VolumeConfig {
            zoo_cfg: Some(Ok(
                "dynamicConfigFile=/v/data/zoo.cfg.dynamic.100000000\n".into()
            )),
            current: Some((
                "/v/data/zoo.cfg.dynamic.100000000".into(),
                Some(Err(FileError::Denied)),
            )),
            committed: vec![],
        };
        let m = &members(3)[1];
        let e = need(NeedInput {
            me: m,
            initial: &members(3),
            settings: &fixtures::defaults(),
            data_dir: Path::new("/v/data"),
            data_log_dir: Path::new("/v/l"),
            volume: &vol,
            has_data: true,
            peer_wait: Duration::from_secs(1),
        })
        .unwrap_err();
        assert_eq!(crate::sys::report::code_of(&e, Code::Io), Code::DataGuard);
        assert!(e.to_string().contains("/v/data/zoo.cfg.dynamic.100000000 on the data volume cannot be read by this user (permission denied)"), "{e}");
    }

    #[test]
    fn modes() {
        assert!(!dynamic_wanted(Mode::Auto, Some(v(3, 4, 14)), true).unwrap());
        assert!(dynamic_wanted(Mode::Auto, Some(v(3, 8, 0)), true).unwrap());
        assert!(!dynamic_wanted(Mode::Auto, Some(v(3, 8, 0)), false).unwrap());
        assert!(!dynamic_wanted(Mode::Static, Some(v(3, 9, 4)), true).unwrap());
        let e = dynamic_wanted(Mode::Dynamic, Some(v(3, 4, 14)), true).unwrap_err();
        assert!(
            e.to_string()
                .contains("needs ZooKeeper 3.5.3 or newer, and this one is 3.4.14"),
            "{e}"
        );
    }
}
