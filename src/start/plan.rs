//! The decisions of `zkpod start`, as one pure function of what was asked
//! ([`Input`]) and what was found ([`Facts`]): every check and every
//! refusal, in the order an operator meets them, before anything changes.
//!
//! The result is a [`Plan`]: the settings, the JVM and logging choices, what
//! to do with myid, the dirs to make, who to drop to, the command to exec.
//! Warnings (valid but probably not meant) go to the caller's list as they
//! arise, so that those before a refusal are still shown.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::config::jvm;
use crate::config::logging::LogLevel;
use crate::config::settings::Member;
use crate::config::settings::{self, Settings};
use crate::config::superuser::{self, Superuser};
use crate::config::version::Version;
use crate::config::{flags, values};
use crate::start::ensemble::{self, DomainInput, DomainSource};
use crate::start::facts::{DirAccess, Facts, VolumeConfig, PASSWD};
use crate::start::identity::{self, IdInput};
use crate::start::input::Input;
use crate::start::install::{self, Install};
use crate::start::membership::{self as start_membership, Need, Settled};
use crate::start::tls as start_tls;
use crate::start::user;
use crate::start::volume::{self, Action, Volume};
use crate::sys::host::{Kind, Meta};
use crate::sys::privs::Ids;
use crate::sys::report::{self, diagnose, Code, Warning};

/// Everything `start` will do, decided before anything is changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub hostname: String,
    pub myid: u32,
    /// The log lines that say what was decided (and why: where the domain
    /// came from, which ZooKeeper, which heap).
    pub summary: Vec<String>,
    pub settings: Settings,
    pub install: Install,
    pub heap_mib: u64,
    /// Every JVM flag, in order (the heap pair first).
    pub jvm_flags: Vec<String>,
    pub log_level: LogLevel,
    pub dns_ttl: u32,
    pub dns_negative_ttl: u32,
    pub data_dir: PathBuf,
    pub data_log_dir: PathBuf,
    pub conf_dir: PathBuf,
    pub myid_action: Action,
    /// The volume as the plan saw it: after taking the volume lock, `apply`
    /// reads it again and refuses if another server changed it meanwhile.
    pub volume: Volume,
    /// The volume's dynamic configuration as the plan saw it (checked
    /// again under the lock, as `volume` is).
    pub volume_config: VolumeConfig,
    /// The dirs to make when missing: data, log, conf.
    pub dirs: Vec<PathBuf>,
    /// When running as root: the user to drop to.
    pub drop_to: Option<Ids>,
    /// The java command line.
    pub command: Vec<String>,
    /// Environment variables to set for the JVM (HOME).
    pub env: Vec<(String, String)>,
    /// Dynamic membership: the question the start asks before writing
    /// anything (`None`: a static server list, or standalone).
    pub membership: Option<Need>,
    /// Dynamic membership: the answer (see [`Plan::settle`]).
    pub settled: Option<Settled>,
    /// ZooKeeper's superuser digest and how the JVM gets it.
    pub superuser: Option<Superuser>,
    /// The pod name (`zk-2`) and its StatefulSet (`zk`), when the hostname
    /// has an ordinal.
    pub pod: Option<(String, String, u32)>,
    pub id_offset: u32,
    /// `--superuser-password-file`.
    pub password_file: Option<PathBuf>,
    /// This process (the JVM's, after the exec): pid and start time.
    pub process: (u32, u64),
    /// `--tls-dir`: the stores and `tls.source` for the conf dir.
    pub tls: Option<crate::start::tls::TlsPlan>,
}

impl Plan {
    /// The release zoo.cfg is written for: the installation's, else the
    /// oldest supported (only keys every release reads).
    pub fn release(&self) -> Version {
        self.install.release().unwrap_or(settings::OLDEST_SUPPORTED)
    }

    /// The zoo.cfg ZooKeeper is started with: on the data volume with
    /// dynamic membership (ZooKeeper writes each committed configuration
    /// next to it), else in the conf dir.
    pub fn zoo_cfg(&self) -> PathBuf {
        match &self.membership {
            Some(need) => need.zoo_cfg(),
            None => self.conf_dir.join("zoo.cfg"),
        }
    }

    /// Records the membership decision: zoo.cfg then names the dynamic
    /// config file and the client endpoint it gives this server.
    ///
    /// Fails (exit code 9) when the decision is to wait.
    pub fn settle(&mut self, decision: crate::membership::decide::Decision) -> Result<()> {
        let Some(need) = &self.membership else {
            return Ok(());
        };
        let pod = self
            .pod
            .as_ref()
            .map_or(self.hostname.as_str(), |p| p.0.as_str());
        let settled = start_membership::settle(need, decision, pod)?;
        self.settings.dynamic = Some(settled.dynamic.clone());
        self.summary.push(settled.summary.clone());
        self.settled = Some(settled);
        Ok(())
    }

    /// The `java.security` override file in the conf dir.
    pub fn java_security(&self) -> PathBuf {
        self.conf_dir.join("java.security")
    }

    /// ZooKeeper's logging config in the conf dir.
    pub fn log_config(&self) -> PathBuf {
        self.conf_dir.join(self.install.backend.file_name())
    }
}

/// Decides everything, or refuses with the first problem found.
///
/// Fails with the operator-facing failure of the first check that does not
/// pass: identity (exit 3), settings and the values that reach a file
/// (4), install (7), java (127/126), heap and JVM flags (4), dirs that are
/// not directories (4), writable dirs (6), files start must replace (8),
/// the volume (6, 5 or 8), the user (4), dirs that are not zkpod's to
/// chown (6) and root's capabilities (6).
pub fn plan(input: &Input, facts: &Facts, warnings: &mut Vec<Warning>) -> Result<Plan> {
    let mut summary = Vec::new();
    let hostname = hostname(input, facts)?;
    // Peeked here without failing (the install's own refusal comes later,
    // in its place): dynamic membership depends on ZooKeeper's release.
    let release = install::discover(&facts.install)
        .ok()
        .and_then(|i| i.release());
    let has_ordinal = identity::parse_pod_name(&hostname).is_some();
    let mut dynamic = start_membership::dynamic_wanted(input.membership, release, has_ordinal)?;
    let id = identity::decide(IdInput {
        hostname: &hostname,
        explicit: input.myid,
        offset: input.id_offset,
        servers: input.servers,
        scalable: dynamic,
    })?;
    warnings.extend(id.note.clone());

    let (members, domain) = match (&id.pod, input.servers) {
        (Some(pod), n) if n > 1 || dynamic => {
            values::dns_label(&pod.base).map_err(|why| {
                diagnose(
                    Code::Identity,
                    format!("hostname {} has the StatefulSet name {}, which {why}", report::shown(&hostname), report::shown(&pod.base)),
                    "zkpod names every server <name>-<N>.<domain> in zoo.cfg, and that would name no pod",
                    "name the StatefulSet with lowercase letters, digits and '-' (a DNS label), or pass --hostname zk-N",
                )
            })?;
            let short = format!("{}-{}", pod.base, pod.ordinal);
            let hosts_path = report::path(&input.hosts_file);
            let (hosts, hosts_problem) = match &facts.hosts {
                Some(Ok(text)) => (Some(text.as_str()), None),
                Some(Err(e)) if !e.is_missing() => (None, Some(e.to_string())),
                _ => (None, None),
            };
            let found = ensemble::find_domain(DomainInput {
                hosts,
                hosts_path: &hosts_path,
                hosts_problem: hosts_problem.as_deref(),
                short: &short,
                flag: input.domain.as_deref(),
                service: input.service.as_deref(),
                namespace: input.namespace.as_deref(),
                cluster_domain: &input.cluster_domain,
            });
            match found {
                // A lone server (auto): without a domain it simply runs
                // standalone, as before dynamic membership.
                Err(_) if n == 1 && input.membership == crate::membership::Mode::Auto => {
                    dynamic = false;
                    (Vec::new(), None)
                }
                Err(e) => return Err(e),
                Ok((domain, source, warning)) => {
                    warnings.extend(warning);
                    if let (Some(flag), DomainSource::HostsFile) = (&input.domain, source) {
                        if flag.trim().trim_matches('.') != domain {
                            warnings.push(Warning::new(
                                format!(
                                    "--domain {} differs from the domain in {hosts_path}, {domain}",
                                    report::clean(flag)
                                ),
                                "zkpod uses the latter, as hostname -d would",
                                format!("drop --domain (ZOO_DOMAIN), or set it to {domain}"),
                            ));
                        }
                    }
                    let from = match source {
                        DomainSource::HostsFile => hosts_path.clone(),
                        DomainSource::Flag => "--domain".to_string(),
                        DomainSource::Composed => {
                            "--service, POD_NAMESPACE and --cluster-domain".to_string()
                        }
                    };
                    summary.push(format!("domain {domain} (from {from})"));
                    let m = ensemble::members(&pod.base, &domain, n, input.id_offset)?;
                    (m, Some(domain))
                }
            }
        }
        _ => (Vec::new(), None),
    };
    summary.insert(
        0,
        format!(
            "server id {} of {} (hostname {})",
            id.myid,
            input.servers,
            report::clean(&hostname)
        ),
    );

    let mut zoo = input.settings.clone();
    zoo.data_dir = facts.data_dir.clone();
    zoo.data_log_dir = facts.data_log_dir.clone();
    if let Some(t) = &input.tls {
        start_tls::adjust_settings(t, &mut zoo)?;
    }
    let mut settings = settings::build(&zoo, id.myid, members)?;
    let data_dir = settings.input.data_dir.clone();
    let data_log_dir = settings.input.data_log_dir.clone();
    for ((flag, resolved), given) in [
        ("--data_dir", &facts.resolved[0]),
        ("--data_log_dir", &facts.resolved[1]),
    ]
    .into_iter()
    .zip([&data_dir, &data_log_dir])
    {
        if let Some(why) = values::system_dir(resolved) {
            return Err(diagnose(
                Code::Config,
                format!("{} {} leads through a symlink to {}, which {why}", flags::origin(flag), given.display(), report::path(resolved)),
                "a ZooKeeper server needs a dedicated directory: zkpod would write myid there and, as root, hand everything in it to the ZooKeeper user",
                format!("point {flag} (or the symlink) at a directory of its own on the mounted volume"),
            ));
        }
    }
    let conf = check_conf_dir(&facts.conf_dir)?;
    if let Some(home) = &input.zk_home {
        values::clean_path(home).map_err(|why| {
            diagnose(
                Code::Config,
                format!(
                    "{} {} {why}",
                    flags::origin("--zk-home"),
                    report::path(home)
                ),
                "its jars go on the JVM's classpath, which a ':' would split",
                format!(
                    "unpack ZooKeeper at an absolute path of {}",
                    values::PATH_CHARS
                ),
            )
        })?;
    }
    warnings.extend(settings::warnings(&settings));
    let mut install = install::discover(&facts.install)?;
    if input.tls.is_some() {
        install::add_tls_jars(&mut install, &facts.install)?;
    }
    summary.push(format!(
        "ZooKeeper {} at {}, logging through {}",
        install.version.as_deref().unwrap_or("(version unknown)"),
        install.location,
        install.backend.file_name()
    ));
    settings.check_release(&settings::Found {
        release: install.release(),
        prometheus: install.has_prometheus_provider(),
        jetty: install.jetty,
    })?;
    if install.release().is_none() {
        warnings.push(Warning::new(
            format!("the ZooKeeper at {} does not say which release it is (no zookeeper-<version>.jar)", install.location),
            format!("zoo.cfg holds only the keys every release since {} reads", settings::OLDEST_SUPPORTED),
            "install a release whose server jar carries its version in the file name (the binary tarball's or scripts/zk-dist.sh's layout)",
        ));
    }
    let tls = match (&input.tls, &facts.tls) {
        (Some(t), Some(material)) => {
            let fqdn = match (&id.pod, &domain) {
                (Some(pod), Some(domain)) => Some(format!("{}-{}.{domain}", pod.base, pod.ordinal)),
                _ => None,
            };
            let p = start_tls::plan(
                t,
                material,
                facts.now_secs,
                install.release(),
                fqdn.as_deref(),
                &facts.conf_dir,
                &mut settings,
            )?;
            summary.push(p.summary.clone());
            Some(p)
        }
        _ => None,
    };
    let java = install::check_java(&facts.java)?;
    let limit = facts
        .memory_limit
        .as_deref()
        .and_then(jvm::parse_cgroup_limit);
    let (heap_mib, heap_warnings) = jvm::resolve_heap(&input.heap, limit)?;
    warnings.extend(heap_warnings);
    summary.push(format!("heap {heap_mib}m"));
    let extra_flags = jvm::parse_extra_flags(input.jvm_flags.as_deref())?;
    warnings.extend(jvm::check_option_vars(&facts.java_option_vars)?);

    let log_file = conf.join(install.backend.file_name());
    let jvm_flags = jvm::flags(
        heap_mib,
        &conf.join("java.security").display().to_string(),
        &install.backend.jvm_flag(&log_file.display().to_string()),
        &extra_flags,
    );

    let root = facts.euid == 0;
    check_dirs_are_dirs(facts)?;
    check_writable(facts)?;
    check_targets(
        facts,
        &conf,
        install.backend.file_name(),
        dynamic,
        input.superuser_password_file.is_some(),
        input.tls.is_some(),
    )?;
    let vol = match &facts.volume {
        Ok(v) => v,
        Err(e) if e.error.kind == std::io::ErrorKind::PermissionDenied => {
            return Err(permission_failure(
                &facts.data_dir,
                facts.data_dir_meta,
                &format!(
                    "failed to {} {}: permission denied",
                    e.action,
                    report::path(&e.path)
                ),
                facts,
            ))
        }
        Err(e) => return Err(report::os_failure(e.action, &e.path, &e.error.io())),
    };
    let myid_action = volume::decide(vol, id.myid, input.accept_new_id, &data_dir, &hostname)?;
    if let Action::Replace { old } = &myid_action {
        warnings.push(Warning::new(
            format!(
                "--accept-new-id: replacing {old} with {} in {}",
                id.myid,
                data_dir.display()
            ),
            format!("this volume now belongs to server {}; the old myid is kept as myid.bak-<UTC time>", id.myid),
            "remove --accept-new-id (ZOO_ACCEPT_NEW_ID) once this start has succeeded, so that a volume mix-up is refused again",
        ));
    }

    let membership = match (dynamic, &id.pod, &domain) {
        (true, Some(pod), Some(domain)) => {
            let me = Member {
                id: id.myid,
                host: format!("{}-{}.{domain}", pod.base, pod.ordinal),
            };
            let need = start_membership::need(start_membership::NeedInput {
                me: &me,
                initial: &settings.servers,
                settings: &settings.input,
                data_dir: &facts.data_dir,
                data_log_dir: &facts.data_log_dir,
                volume: &facts.volume_config,
                has_data: vol.data.is_some(),
                peer_wait: input.peer_wait,
            })?;
            warnings.extend(start_membership::warnings(
                &need,
                facts.superuser_password.is_some(),
            ));
            summary.push(format!(
                "membership: dynamic (ZooKeeper reconfig; --servers {} is the initial size)",
                input.servers
            ));
            let mut need = need;
            need.tls = tls.as_ref().map(|t| start_membership::PeerTls {
                dir: t.dir.clone(),
                port: t.secure_port,
            });
            Some(need)
        }
        _ => None,
    };
    let superuser = match (&facts.superuser_password, &input.superuser_password_file) {
        (Some(Ok(bytes)), Some(file)) => {
            let pw = superuser::password(bytes, file)?;
            let (s, w) = superuser::plan(&pw, facts.java_release.as_deref(), &conf);
            warnings.extend(w);
            Some(s)
        }
        (Some(Err(e)), Some(file)) => {
            return Err(diagnose(
                Code::Config,
                format!("{} {} {e}", flags::origin("--superuser-password-file"), report::path(file)),
                "zkpod cannot give ZooKeeper the superuser digest that `zkpod join` and `leave` reconfigure the ensemble with; nothing was changed",
                "mount the Secret that holds the password at that path (readable by the container's user), or drop the flag (ZOO_SUPERUSER_PASSWORD_FILE)",
            ));
        }
        _ => None,
    };

    let drop_to = if root {
        let spec = user::parse_user(&input.user)?;
        let ids =
            user::resolve_user(&spec, &facts.passwd).map_err(|e| match &facts.passwd_error {
                Some(why) => e.context(format!("{PASSWD} {why}")),
                None => e,
            })?;
        if ids.uid == 0 {
            warnings.push(Warning::new(
                format!("--user {} is root", report::clean(&input.user)),
                "ZooKeeper will run with root privileges",
                "pass the uid of an unprivileged user, e.g. --user 1000:1000",
            ));
            None
        } else {
            Some(ids)
        }
    } else {
        None
    };
    if let Some(ids) = drop_to {
        check_ownership(facts, ids)?;
        let need_chown = facts
            .data_owners
            .iter()
            .any(|o| *o != Some((ids.uid, ids.gid)));
        let caps = facts
            .proc_status
            .as_deref()
            .and_then(user::parse_cap_eff)
            .unwrap_or(u64::MAX);
        user::check_caps(&user::missing_caps(caps, need_chown, true), ids)?;
    }
    warnings.extend(pid1_warning(facts, &input.program));
    let final_uid = drop_to.map_or(facts.euid, |i| i.uid);
    let home = choose_home(final_uid, facts, drop_to.is_some());
    let zoo_cfg = match &membership {
        Some(need) => need.zoo_cfg(),
        None => conf.join("zoo.cfg"),
    };
    let mut jvm_flags = jvm_flags;
    let mut java_flags = jvm_flags.clone();
    if let Some(s) = &superuser {
        match &s.argfile {
            Some(file) => {
                let at = format!("@{}", file.display());
                jvm_flags.push(at.clone());
                java_flags.push(at);
            }
            // Never into java.env, which any user may read.
            None => java_flags.push(s.flag.clone()),
        }
    }
    let command = install::command(&java, &java_flags, &conf, &install, &zoo_cfg);
    Ok(Plan {
        hostname,
        myid: id.myid,
        summary,
        settings,
        install,
        heap_mib,
        jvm_flags,
        log_level: input.log_level,
        dns_ttl: input.dns_ttl,
        dns_negative_ttl: input.dns_negative_ttl,
        dirs: vec![data_dir.clone(), data_log_dir.clone(), conf.clone()],
        data_dir,
        data_log_dir,
        conf_dir: conf,
        myid_action,
        volume: vol.clone(),
        volume_config: facts.volume_config.clone(),
        drop_to,
        command,
        env: home
            .map(|h| vec![("HOME".to_string(), h)])
            .unwrap_or_default(),
        membership,
        settled: None,
        superuser,
        pod: id.pod.as_ref().map(|p| {
            (
                format!("{}-{}", p.base, p.ordinal),
                p.base.clone(),
                p.ordinal,
            )
        }),
        id_offset: input.id_offset,
        password_file: input.superuser_password_file.clone(),
        process: (
            facts.pid,
            facts
                .self_stat
                .as_deref()
                .and_then(crate::membership::local::start_time)
                .unwrap_or(0),
        ),
        tls,
    })
}

/// The shells that neither exec the command of `sh -c` nor forward SIGTERM.
const SHELLS: [&str; 8] = ["sh", "dash", "bash", "ash", "busybox", "ksh", "mksh", "zsh"];

/// A warning when PID 1 is a shell that started zkpod instead of exec'ing
/// it (`sh -c "start.sh ..."`, seed 001): the kubelet's SIGTERM goes to the
/// shell, which does not forward it (issue 11).
pub fn pid1_warning(facts: &Facts, program: &str) -> Option<Warning> {
    let p = facts.pid1.as_ref()?;
    let exe = p
        .exe
        .as_ref()
        .and_then(|e| e.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let is_shell =
        SHELLS.contains(&p.comm.as_str()) || exe.as_deref().is_some_and(|e| SHELLS.contains(&e));
    if !is_shell {
        return None;
    }
    let which = match &p.exe {
        Some(e) => format!("{} ({})", report::clean(&p.comm), report::path(e)),
        None => report::clean(&p.comm),
    };
    Some(Warning::new(
        format!("PID 1 is the shell {which} that started zkpod, not zkpod itself"),
        "SIGTERM from the kubelet (or podman stop) reaches only the shell, which does not pass it on: ZooKeeper gets no clean shutdown and is killed when the grace period ends",
        format!("write `exec {program} ...` inside sh -c, or use the exec form (command: [\"{program}\", ...]) so that the JVM becomes PID 1"),
    ))
}

/// Checks the conf dir (made absolute): clean, of the characters a
/// classpath entry and a `file:` URL can carry, not a system directory.
fn check_conf_dir(dir: &Path) -> Result<PathBuf> {
    let origin = flags::origin("--conf_dir");
    let clean = values::clean_path(dir).map_err(|why| {
        diagnose(
            Code::Config,
            format!("{origin} {} {why}", report::path(dir)),
            "it goes on the JVM's classpath and into file: URLs, which such a path would break",
            format!(
                "pass an absolute path of {}, e.g. /opt/zookeeper/conf (an emptyDir)",
                values::PATH_CHARS
            ),
        )
    })?;
    if let Some(why) = values::system_conf_dir(&clean) {
        return Err(diagnose(
            Code::Config,
            format!("{origin} {} {why}", clean.display()),
            "zkpod writes zoo.cfg, java.env, java.security and the logging config there on every start",
            "pass a directory of its own, e.g. /opt/zookeeper/conf (an emptyDir)",
        ));
    }
    Ok(clean)
}

/// Refuses a data, log or conf dir that exists but is not a directory (or
/// whose closest existing parent is a file).
fn check_dirs_are_dirs(facts: &Facts) -> Result<()> {
    for (a, flag) in facts
        .dirs
        .iter()
        .zip(["--data_dir", "--data_log_dir", "--conf_dir"])
    {
        let Some(m) = a.meta else { continue };
        if m.is_dir {
            continue;
        }
        let what = if a.nearest == a.dir {
            "is a file, not a directory".to_string()
        } else {
            format!(
                "cannot be created: its parent {} is a file",
                report::path(&a.nearest)
            )
        };
        return Err(diagnose(
            Code::Config,
            format!("{} {} {what}", flags::origin(flag), report::path(&a.dir)),
            "zkpod needs a directory there; nothing was changed",
            format!("point {flag} at a directory (on the mounted volume for the data dirs), or move the file away"),
        ));
    }
    Ok(())
}

/// Checks, before anything is written, that every conf file start writes
/// is absent, a regular file or a symlink (a rename replaces the link,
/// never its target): a directory or a FIFO in its place would fail the
/// start halfway (issue 8: all or nothing).
fn check_targets(
    facts: &Facts,
    conf: &Path,
    log_config: &str,
    dynamic: bool,
    argfile: bool,
    tls: bool,
) -> Result<()> {
    use crate::start::membership::{BOOTSTRAP_FILE, JOIN_FILE};
    use crate::tls::stores::{KEYSTORE, STATE, TRUSTSTORE};
    let mut in_conf = vec![
        "zoo.cfg",
        "java.env",
        "java.security",
        log_config,
        crate::membership::local::FILE,
    ];
    if argfile {
        in_conf.push(crate::config::superuser::ARGFILE);
    }
    // With --tls-dir (issue 13): the stores and their record.
    if tls {
        in_conf.extend([KEYSTORE, TRUSTSTORE, STATE]);
    }
    // With dynamic membership zkpod also writes these on the volume (issue 9).
    let on_volume: &[&str] = if dynamic {
        &["zoo.cfg", BOOTSTRAP_FILE, JOIN_FILE]
    } else {
        &[]
    };
    for (path, kind) in &facts.targets {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = path.parent();
        let shown = if dir == Some(facts.conf_dir.as_path()) && in_conf.contains(&name.as_str()) {
            conf.join(&name)
        } else if dir == Some(facts.data_dir.as_path()) && on_volume.contains(&name.as_str()) {
            path.clone()
        } else {
            continue;
        };
        match kind {
            None | Some(Kind::File) | Some(Kind::Symlink) => {}
            Some(k) => {
                return Err(diagnose(
                    Code::Io,
                    format!("{} is {}, not a file", report::path(&shown), k.name()),
                    "zkpod writes that file on every start and cannot replace it; nothing was changed",
                    format!("move {} out of the way (zkpod writes the file itself; pass settings with --set)", report::path(&shown)),
                ));
            }
        }
    }
    Ok(())
}

/// Refuses to hand a data or log dir to the ZooKeeper user recursively
/// unless it holds only ZooKeeper's own files (or zkpod creates it): a
/// chown -R of `/`, of a home, or of a mount shared with other software
/// would give it all to uid 1000 (issue 8).
fn check_ownership(facts: &Facts, ids: Ids) -> Result<()> {
    for ((flag, dir), foreign) in [
        ("--data_dir", &facts.data_dir),
        ("--data_log_dir", &facts.data_log_dir),
    ]
    .into_iter()
    .zip(&facts.foreign)
    {
        let owner = "it is not yet owned by the ZooKeeper user";
        let (what, means) = match foreign {
            Some(Ok(Some(entry))) => (
                format!("{} {} holds {}, which is not ZooKeeper's, and {owner} {}:{}", flags::origin(flag), report::path(dir), report::path(entry), ids.uid, ids.gid),
                "zkpod hands a data dir to that user recursively only when it holds nothing but ZooKeeper's own files; nothing was changed",
            ),
            Some(Err(why)) => (
                format!("{} {}: {why}", flags::origin(flag), report::path(dir)),
                "zkpod cannot tell whether it holds only ZooKeeper's files, so it does not chown it; nothing was changed",
            ),
            _ => continue,
        };
        return Err(diagnose(
            Code::Permission,
            what,
            means,
            format!("point {flag} at a dedicated directory (e.g. a new subdirectory of the volume), or chown it to {}:{} yourself", ids.uid, ids.gid),
        ));
    }
    Ok(())
}

/// `--hostname`, else the system's, which must be UTF-8; without control
/// characters either way (it reaches the log and, for an ensemble, zoo.cfg).
fn hostname(input: &Input, facts: &Facts) -> Result<String> {
    let name = if let Some(h) = &input.hostname {
        h.clone()
    } else {
        let read = match &facts.hostname {
            Some(r) => r.clone(),
            None => Ok(Default::default()),
        };
        let h = read.map_err(|e| anyhow::Error::new(e).context("failed to read the hostname"))?;
        h.into_string().map_err(|h| {
            diagnose(
                Code::Identity,
                format!(
                    "hostname {} is not valid UTF-8",
                    report::shown_bytes(std::os::unix::ffi::OsStrExt::as_bytes(h.as_os_str()))
                ),
                "zkpod cannot derive a server id from it",
                "give the pod a DNS-style name (StatefulSet pods get <name>-<ordinal>)",
            )
        })?
    };
    if let Some(r) = crate::config::properties::first_control(&name) {
        return Err(diagnose(
            Code::Identity,
            format!("hostname {} {r}", report::shown(&name)),
            "no pod is named that way, and zkpod would write it into zoo.cfg and its log",
            "pass --hostname (ZOO_HOSTNAME) zk-N, or leave it unset to use the pod's own",
        ));
    }
    Ok(name)
}

/// HOME for the JVM: the target user's passwd home when it exists, else
/// the current HOME when usable, else the data volume's parent (an arbitrary
/// OpenShift UID has no passwd entry and HOME=/).
fn choose_home(uid: u32, facts: &Facts, dropping: bool) -> Option<String> {
    let dir = |p: &str| facts.home_dirs.get(p).copied().unwrap_or_default();
    let usable = |p: &str| p != "/" && dir(p).is_dir;
    if let Some(e) = user::passwd_lookup(&facts.passwd, None, Some(uid)) {
        if usable(&e.home) {
            return Some(e.home);
        }
    }
    if !dropping {
        if let Some(h) = &facts.home_env {
            if usable(h) && dir(h).writable {
                return None;
            }
        }
    }
    // The volume: the data dir's parent (the mount point in our manifests),
    // unless that is the root directory; then the data dir itself.
    let data_dir = &facts.data_dir;
    let base = data_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && *p != Path::new("/"))
        .unwrap_or(data_dir);
    Some(base.display().to_string())
}

/// Checks, before writing anything, that each dir (or the closest existing
/// parent it would be created in) is writable by this process. As root this
/// still catches read-only filesystems, such as a ConfigMap mounted at the
/// conf dir.
fn check_writable(facts: &Facts) -> Result<()> {
    for DirAccess {
        dir,
        nearest,
        writable,
        meta,
    } in &facts.dirs
    {
        if *writable {
            continue;
        }
        if *dir == facts.conf_dir {
            return Err(diagnose(
                Code::Permission,
                format!("conf dir {} is not writable ({} refuses writes)", dir.display(), nearest.display()),
                "zkpod writes zoo.cfg and the JVM and logging settings there on every start (a ConfigMap mounted there is read-only)",
                "mount an emptyDir at --conf_dir and pass extra zoo.cfg settings with --set key=value or ZOO_CFG_EXTRA instead of a ConfigMap",
            ));
        }
        return Err(permission_failure(nearest, *meta, "not writable", facts));
    }
    Ok(())
}

fn permission_failure(
    path: &Path,
    meta: Option<Meta>,
    detail: &str,
    facts: &Facts,
) -> anyhow::Error {
    let (uid, gid) = (facts.euid, facts.egid);
    let owner = meta.map_or_else(
        || "not accessible".to_string(),
        |m| format!("owned by {}:{} with mode {:04o}", m.uid, m.gid, m.mode),
    );
    let fix = if uid == 0 {
        "check that the volume is mounted read-write (a read-only filesystem refuses even root)"
            .to_string()
    } else {
        format!("set spec.template.spec.securityContext.fsGroup (e.g. fsGroup: {gid}) so Kubernetes makes the volume group-writable for this pod, or make {} writable by uid {uid} or gid {gid}", path.display())
    };
    diagnose(
        Code::Permission,
        format!("cannot write {} as uid {uid} gid {gid} ({owner}; {detail})", report::path(path)),
        "ZooKeeper could not save its id, snapshots or logs there (the 'Permission denied' of the tutorial scripts)",
        fix,
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::jvm::HeapSpec;
    use crate::config::settings::fixtures;
    use crate::start::facts::{HomeDir, Pid1, VolumeError};
    use crate::start::install::{JavaFound, Listings};
    use crate::start::volume::{Myid, Volume};
    use crate::sys::host::ReadError;
    use crate::sys::report::code_of;

    /// The input of a pod whose dirs are under `dir` (tests of `facts` use
    /// it against a temp dir).
    pub(crate) fn input_in(dir: &Path) -> Input {
        let mut settings = fixtures::defaults();
        settings.data_dir = dir.join("data");
        settings.data_log_dir = dir.join("log");
        Input {
            settings,
            servers: 3,
            conf_dir: dir.join("conf"),
            myid: None,
            id_offset: 1,
            hostname: Some("zk-1".into()),
            domain: None,
            service: None,
            namespace: None,
            cluster_domain: "cluster.local".into(),
            hosts_file: "/etc/hosts".into(),
            heap: HeapSpec::Fixed(512),
            jvm_flags: None,
            dns_ttl: 10,
            dns_negative_ttl: 0,
            log_level: LogLevel::Info,
            user: "1000:1000".into(),
            accept_new_id: false,
            zk_home: None,
            java: Some("/usr/bin/java".into()),
            dry_run: false,
            proc_root: "/proc".into(),
            program: "start.sh".into(),
            membership: crate::membership::Mode::Static,
            superuser_password_file: None,
            peer_wait: std::time::Duration::from_secs(30),
            tls: None,
        }
    }

    fn input() -> Input {
        input_in(Path::new("/v"))
    }

    const PASSWD: &str =
        "root:x:0:0:root:/root:/bin/bash\nzookeeper:x:107:112::/var/lib/zookeeper:/bin/false\n";

    fn meta(uid: u32, mode: u32) -> Option<Meta> {
        Some(Meta {
            uid,
            gid: uid,
            mode,
            is_dir: true,
            is_file: false,
        })
    }

    /// What root finds in a fresh pod of a three-server ensemble: Debian's
    /// ZooKeeper, java, a kubelet hosts file, an empty volume.
    fn facts() -> Facts {
        let access = |d: &str| DirAccess {
            dir: d.into(),
            nearest: "/v".into(),
            writable: true,
            meta: meta(0, 0o755),
        };
        Facts {
            data_dir: "/v/data".into(),
            data_log_dir: "/v/log".into(),
            conf_dir: "/v/conf".into(),
            hostname: None,
            hosts: Some(Ok(
                "127.0.0.1 localhost\n10.0.0.2 zk-1.zk-hs.default.svc.cluster.local zk-1\n".into(),
            )),
            install: Listings {
                explicit: None,
                homes: vec![("/opt/zookeeper".into(), vec![], vec![])],
                debian: Some(
                    [
                        "zookeeper.jar",
                        "zookeeper-3.8.0.jar",
                        "slf4j-log4j12.jar",
                        "log4j-1.2.jar",
                    ]
                    .map(String::from)
                    .to_vec(),
                ),
            },
            java: JavaFound {
                explicit: Some("/usr/bin/java".into()),
                path: Some("/usr/bin/java".into()),
                executable: true,
                ..JavaFound::default()
            },
            memory_limit: Some("max\n".into()),
            euid: 0,
            egid: 0,
            dirs: vec![access("/v/data"), access("/v/log"), access("/v/conf")],
            volume: Ok(Volume {
                myid: Myid::Absent,
                data: None,
            }),
            data_dir_meta: None,
            passwd: PASSWD.into(),
            passwd_error: None,
            data_owners: vec![None, None],
            foreign: vec![None, None],
            proc_status: Some("Name:\tzkpod\nCapEff:\t00000000a80425fb\n".into()),
            pid1: None,
            resolved: vec!["/v/data".into(), "/v/log".into()],
            targets: Vec::new(),
            java_option_vars: Vec::new(),
            home_env: Some("/root".into()),
            home_dirs: [(
                "/root".to_string(),
                HomeDir {
                    is_dir: true,
                    writable: true,
                },
            )]
            .into(),
            volume_config: Default::default(),
            superuser_password: None,
            java_release: Some("17.0.15".into()),
            pid: 1,
            self_stat: Some(
                "1 (zkpod) R 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 4242 1 1".into(),
            ),
            tls: None,
            now_secs: 1_795_000_000,
        }
    }

    fn run(input: &Input, facts: &Facts) -> (Result<Plan>, Vec<String>) {
        let mut w = Vec::new();
        let p = plan(input, facts, &mut w);
        (p, w.iter().map(ToString::to_string).collect())
    }

    /// The refusal's exit code and message.
    fn refusal(input: &Input, facts: &Facts) -> (Code, String) {
        let e = run(input, facts).0.unwrap_err();
        (code_of(&e, Code::Io), format!("{e:#}"))
    }

    #[test]
    fn a_fresh_ensemble_member() {
        let (p, w) = run(&input(), &facts());
        let p = p.unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!((p.myid, p.hostname.as_str()), (2, "zk-1"));
        assert_eq!(
            p.summary,
            [
                "server id 2 of 3 (hostname zk-1)",
                "domain zk-hs.default.svc.cluster.local (from /etc/hosts)",
                "ZooKeeper 3.8.0 at /usr/share/java/zookeeper.jar (Debian), logging through log4j.properties",
                "heap 512m",
            ]
        );
        assert_eq!(p.settings.servers.len(), 3);
        assert_eq!(
            p.settings.servers[1].host,
            "zk-1.zk-hs.default.svc.cluster.local"
        );
        assert_eq!(p.myid_action, Action::Write);
        assert_eq!(
            p.drop_to,
            Some(Ids {
                uid: 1000,
                gid: 1000
            })
        );
        // uid 1000 has no passwd entry: HOME is the volume.
        assert_eq!(p.env, [("HOME".to_string(), "/v".to_string())]);
        assert_eq!(p.command[0], "/usr/bin/java");
        assert_eq!(
            &p.command[p.command.len() - 2..],
            [install::MAIN_CLASS, "/v/conf/zoo.cfg"]
        );
        assert_eq!(
            p.dirs,
            [PathBuf::from("/v/data"), "/v/log".into(), "/v/conf".into()]
        );
    }

    #[test]
    fn refusals_of_the_identity() {
        let mut i = input();
        i.hostname = Some("zookeeper".into());
        let (code, m) = refusal(&i, &facts());
        assert_eq!(code, Code::Identity);
        assert!(
            m.starts_with("hostname \"zookeeper\" has no StatefulSet ordinal"),
            "{m}"
        );
        let mut i = input();
        i.hostname = None;
        let mut f = facts();
        f.hostname = Some(Ok(std::os::unix::ffi::OsStringExt::from_vec(
            b"zk-\xff".to_vec(),
        )));
        let (code, m) = refusal(&i, &f);
        assert_eq!(code, Code::Identity);
        assert!(
            m.starts_with("hostname 'zk-\\xff' is not valid UTF-8"),
            "{m}"
        );
        f.hostname = Some(Err(ReadError {
            kind: std::io::ErrorKind::Other,
            errno: None,
            message: "uname failed".into(),
        }));
        assert_eq!(
            refusal(&i, &f),
            (Code::Io, "failed to read the hostname: uname failed".into())
        );
        let mut i = input();
        i.hostname = Some("zk-3".into());
        let (code, m) = refusal(&i, &facts());
        assert_eq!(code, Code::Identity);
        assert!(
            m.contains("gives server id 4, which is outside the ensemble"),
            "{m}"
        );
        let mut f = facts();
        f.hosts = Some(Ok("127.0.0.1 localhost\n".into()));
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::Identity);
        assert!(
            m.starts_with("cannot find the DNS domain of pod zk-1: /etc/hosts has no line"),
            "{m}"
        );
    }

    #[test]
    fn refusals_of_settings_install_java_and_jvm() {
        let mut i = input();
        i.settings.set = vec!["tickTime=3000".into()];
        let (code, m) = refusal(&i, &facts());
        assert_eq!(code, Code::Config);
        assert!(
            m.contains("sets tickTime, a key that zkpod derives from --tick_time (ZOO_TICK_TIME)"),
            "{m}"
        );

        let mut f = facts();
        f.install.debian = Some(vec!["zookeeper.jar".into()]);
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::Install);
        assert!(m.contains("has no slf4j logging binding installed"), "{m}");
        f.install.debian = Some(Vec::new());
        assert_eq!(refusal(&input(), &f).0, Code::Install);

        let mut f = facts();
        f.java.path = None;
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::NotFound);
        assert!(
            m.starts_with("java not found: looked for --java /usr/bin/java"),
            "{m}"
        );
        f.java.path = Some("/usr/bin/java".into());
        f.java.executable = false;
        assert_eq!(refusal(&input(), &f).0, Code::NotExecutable);

        let mut i = input();
        i.heap = HeapSpec::Auto(50);
        let (code, m) = refusal(&i, &facts());
        assert_eq!(code, Code::Config);
        assert!(
            m.starts_with("--heap auto found no container memory limit"),
            "{m}"
        );
        let mut f = facts();
        f.memory_limit = Some("1073741824\n".into());
        let p = run(&i, &f).0.unwrap();
        assert_eq!(p.heap_mib, 512);
        assert!(p.jvm_flags.contains(&"-Xmx512m".to_string()));

        let mut i = input();
        i.jvm_flags = Some("-Xmx4g".into());
        let (code, m) = refusal(&i, &facts());
        assert_eq!(code, Code::Config);
        assert!(m.contains("contains -Xmx4g"), "{m}");
    }

    #[test]
    fn refusals_of_unwritable_dirs() {
        let mut f = facts();
        f.dirs[2].writable = false;
        f.dirs[2].nearest = "/v/conf".into();
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::Permission);
        assert!(
            m.starts_with("conf dir /v/conf is not writable (/v/conf refuses writes)"),
            "{m}"
        );
        assert!(m.contains("mount an emptyDir at --conf_dir"), "{m}");

        let mut f = facts();
        f.euid = 1000770000;
        f.dirs[0].writable = false;
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::Permission);
        assert!(
            m.starts_with("cannot write /v as uid 1000770000 gid 0 (owned by 0:0 with mode 0755; not writable)"),
            "{m}"
        );
        assert!(m.contains("fsGroup: 0"), "{m}");
        f.euid = 0;
        let (_, m) = refusal(&input(), &f);
        assert!(
            m.contains("Fix: check that the volume is mounted read-write"),
            "{m}"
        );
    }

    #[test]
    fn refusals_of_the_volume() {
        let mut f = facts();
        f.volume = Err(VolumeError {
            action: "read",
            path: "/v/data/myid".into(),
            error: ReadError::from(&std::io::Error::from_raw_os_error(13)),
        });
        f.data_dir_meta = meta(0, 0o700);
        f.euid = 1000;
        f.egid = 1000;
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::Permission);
        assert!(m.starts_with("cannot write /v/data as uid 1000 gid 1000 (owned by 0:0 with mode 0700; failed to read /v/data/myid: permission denied)"), "{m}");
        f.volume = Err(VolumeError {
            action: "list",
            path: "/v/data/version-2".into(),
            error: ReadError::from(&std::io::Error::from_raw_os_error(5)),
        });
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::Io);
        assert!(m.starts_with("cannot list /v/data/version-2: input/output error: the disk or the network storage under the volume failed. Fix: check the node's kernel log"), "{m}");
        for (myid, data, needle) in [
            (Myid::Id(3), None, "/v/data/myid says this volume belongs to server 3, but this pod (zk-1) is server 2"),
            (Myid::Invalid { shown: "'two'".into(), why: "it is not a number".into() }, None, "/v/data/myid holds 'two', which is not a server id (it is not a number)"),
            (Myid::Unreadable("is a FIFO, not a regular file".into()), None, "/v/data/myid is a FIFO, not a regular file: "),
            (Myid::Absent, Some(PathBuf::from("/v/data/version-2/snapshot.0")), "/v/data holds ZooKeeper data (/v/data/version-2/snapshot.0) but no myid"),
        ] {
            let mut f = facts();
            f.volume = Ok(Volume { myid, data });
            let (code, m) = refusal(&input(), &f);
            assert_eq!(code, Code::DataGuard, "{m}");
            assert!(m.starts_with(needle), "{m}");
            // --accept-new-id takes it over, with a warning.
            let mut i = input();
            i.accept_new_id = true;
            let (p, w) = run(&i, &f);
            assert!(p.is_ok());
            assert!(w.is_empty() || w[0].starts_with("--accept-new-id: replacing "), "{w:?}");
        }
    }

    #[test]
    fn refusals_of_dirs_that_are_not_zkpods() {
        // A system directory, given or reached through a symlink.
        let mut i = input();
        i.settings.data_dir = "/".into();
        let mut f = facts();
        f.data_dir = "/".into();
        let (code, m) = refusal(&i, &f);
        assert_eq!(code, Code::Config);
        assert!(m.starts_with("--data_dir (ZOO_DATA_DIR) / is the system directory /: a ZooKeeper server needs a dedicated directory"), "{m}");
        let mut f = facts();
        f.resolved[0] = "/etc".into();
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::Config);
        assert!(m.starts_with("--data_dir (ZOO_DATA_DIR) /v/data leads through a symlink to /etc, which is the system directory /etc"), "{m}");
        let mut f = facts();
        f.conf_dir = "/etc".into();
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::Config);
        assert!(
            m.starts_with("--conf_dir (ZOO_CONF_DIR) /etc is the system directory /etc"),
            "{m}"
        );
        // A data dir that is not ZooKeeper's, owned by another user: no chown -R.
        let mut f = facts();
        f.data_owners = vec![Some((0, 0)), None];
        f.foreign = vec![Some(Ok(Some("/v/data/.bashrc".into()))), None];
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::Permission);
        assert!(m.starts_with("--data_dir (ZOO_DATA_DIR) /v/data holds /v/data/.bashrc, which is not ZooKeeper's, and it is not yet owned by the ZooKeeper user 1000:1000"), "{m}");
        // A conf file that is a directory: refused before anything is written.
        let mut f = facts();
        f.targets = vec![("/v/conf/zoo.cfg".into(), Some(Kind::Dir))];
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::Io);
        assert!(m.starts_with("/v/conf/zoo.cfg is a directory, not a file: zkpod writes that file on every start and cannot replace it; nothing was changed"), "{m}");
        // A data dir that is a file.
        let mut f = facts();
        f.dirs[0].nearest = "/v/data".into();
        f.dirs[0].meta = Some(Meta {
            is_dir: false,
            is_file: true,
            ..meta(0, 0o644).unwrap()
        });
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::Config);
        assert!(
            m.starts_with("--data_dir (ZOO_DATA_DIR) /v/data is a file, not a directory"),
            "{m}"
        );
    }

    #[test]
    fn a_shell_as_pid1_gets_one_warning() {
        let mut f = facts();
        f.pid1 = Some(Pid1 {
            comm: "sh".into(),
            exe: Some("/usr/bin/dash".into()),
        });
        let (p, w) = run(&input(), &f);
        assert!(p.is_ok());
        assert_eq!(w, ["PID 1 is the shell sh (/usr/bin/dash) that started zkpod, not zkpod itself: SIGTERM from the kubelet (or podman stop) reaches only the shell, which does not pass it on: ZooKeeper gets no clean shutdown and is killed when the grace period ends. Fix: write `exec start.sh ...` inside sh -c, or use the exec form (command: [\"start.sh\", ...]) so that the JVM becomes PID 1"]);
        f.pid1 = Some(Pid1 {
            comm: "tini".into(),
            exe: None,
        });
        assert!(run(&input(), &f).1.is_empty());
    }

    #[test]
    fn refusals_of_the_user_and_capabilities() {
        let mut i = input();
        i.user = "1000:staff".into();
        let (code, m) = refusal(&i, &facts());
        assert_eq!(code, Code::Config);
        assert!(
            m.starts_with("--user (ZOO_USER) '1000:staff' has a group that is not a number"),
            "{m}"
        );
        i.user = "no-such-user".into();
        let (code, m) = refusal(&i, &facts());
        assert_eq!(code, Code::Config);
        assert!(
            m.starts_with("--user no-such-user has no entry in /etc/passwd"),
            "{m}"
        );

        let mut f = facts();
        f.proc_status = Some("CapEff:\t0000000000000000\n".into());
        let (code, m) = refusal(&input(), &f);
        assert_eq!(code, Code::Permission);
        assert!(
            m.starts_with("running as root without CAP_CHOWN, CAP_SETGID, CAP_SETUID"),
            "{m}"
        );
        // The dirs already belong to the user: no chown, so no CAP_CHOWN needed.
        f.data_owners = vec![Some((1000, 1000)), Some((1000, 1000))];
        let (_, m) = refusal(&input(), &f);
        assert!(
            m.starts_with("running as root without CAP_SETGID, CAP_SETUID"),
            "{m}"
        );
    }

    #[test]
    fn warnings_come_before_a_refusal() {
        let mut i = input();
        i.myid = Some(3);
        i.domain = Some("other.example".into());
        let mut f = facts();
        f.java.path = None;
        let (p, w) = run(&i, &f);
        assert!(p.is_err());
        assert_eq!(
            w,
            [
                "--myid 3 overrides the id 2 that hostname zk-1 gives: server.3 in zoo.cfg names another pod's address, so the ensemble reaches that pod as this server. Fix: drop --myid (ZOO_MY_ID) so that the id comes from the hostname",
                "--domain other.example differs from the domain in /etc/hosts, zk-hs.default.svc.cluster.local: zkpod uses the latter, as hostname -d would. Fix: drop --domain (ZOO_DOMAIN), or set it to zk-hs.default.svc.cluster.local",
            ]
        );
    }

    #[test]
    fn root_as_user_and_homes() {
        let mut i = input();
        i.user = "0".into();
        let (p, w) = run(&i, &facts());
        let p = p.unwrap();
        assert_eq!(p.drop_to, None);
        assert_eq!(
            w,
            ["--user 0 is root: ZooKeeper will run with root privileges. Fix: pass the uid of an unprivileged user, e.g. --user 1000:1000"]
        );
        // root's passwd home exists: HOME=/root.
        assert_eq!(p.env, [("HOME".to_string(), "/root".to_string())]);
        // A named user with a home: its home.
        let mut i = input();
        i.user = "zookeeper".into();
        let mut f = facts();
        f.home_dirs.insert(
            "/var/lib/zookeeper".into(),
            HomeDir {
                is_dir: true,
                writable: false,
            },
        );
        let p = run(&i, &f).0.unwrap();
        assert_eq!(p.drop_to, Some(Ids { uid: 107, gid: 112 }));
        assert_eq!(
            p.env,
            [("HOME".to_string(), "/var/lib/zookeeper".to_string())]
        );
        // Not root, a usable $HOME: left as it is.
        let mut f = facts();
        f.euid = 1000770000;
        f.passwd = String::new();
        f.home_env = Some("/home/zk".into());
        f.home_dirs = [(
            "/home/zk".to_string(),
            HomeDir {
                is_dir: true,
                writable: true,
            },
        )]
        .into();
        let p = run(&input(), &f).0.unwrap();
        assert_eq!((p.drop_to, p.env.len()), (None, 0));
        // ... and HOME=/ is not usable: the volume.
        f.home_env = Some("/".into());
        let p = run(&input(), &f).0.unwrap();
        assert_eq!(p.env, [("HOME".to_string(), "/v".to_string())]);
    }

    #[test]
    fn a_standalone_server_needs_no_domain() {
        let mut i = input();
        i.servers = 1;
        i.hostname = Some("laptop".into());
        let mut f = facts();
        f.hosts = None;
        let (p, w) = run(&i, &f);
        let p = p.unwrap();
        assert_eq!(p.myid, 1);
        assert!(p.settings.servers.is_empty());
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("hostname \"laptop\" has no ordinal"));
    }

    // --tls-dir (issue 13).
    const ZK1: &str = "zk-1.zk-hs.default.svc.cluster.local";

    fn tls_input(plaintext: crate::start::input::Plaintext) -> Input {
        let mut i = input();
        i.tls = Some(crate::start::input::TlsInput {
            dir: "/etc/zookeeper/tls".into(),
            secure_port: 2281,
            plaintext,
        });
        i
    }

    fn tls_facts(leaf: &crate::tls::testpki::Leaf) -> Facts {
        let ca = crate::tls::testpki::Ca::new("zkpod test CA");
        let mut f = facts();
        f.tls = Some(Ok(crate::tls::check::tests::material(&ca, leaf, &ca)));
        if let Some(names) = f.install.debian.as_mut() {
            names.extend([
                "netty-codec.jar".to_string(),
                "netty-resolver.jar".to_string(),
            ]);
        }
        f
    }

    fn zk1_leaf() -> crate::tls::testpki::Leaf {
        crate::tls::testpki::Leaf {
            names: vec![ZK1.into()],
            ..Default::default()
        }
    }

    #[test]
    fn tls_dir_writes_the_stores_and_client_and_quorum_tls_with_plaintext_on_loopback() {
        use crate::start::input::Plaintext;
        let (p, _) = run(&tls_input(Plaintext::Loopback), &tls_facts(&zk1_leaf()));
        let p = p.unwrap();
        let grouped = crate::start::files::render(&p).unwrap();
        let files: Vec<_> = grouped.all().cloned().collect();
        let zoo = String::from_utf8(
            files
                .iter()
                .find(|f| f.0.ends_with("zoo.cfg"))
                .unwrap()
                .1
                .clone(),
        )
        .unwrap();
        for line in [
            "clientPortAddress=127.0.0.1\n",
            "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n",
            "secureClientPort=2281\n",
            "ssl.keyStore.location=/v/conf/keystore.pem\n",
            "ssl.keyStore.type=PEM\n",
            "ssl.trustStore.location=/v/conf/truststore.pem\n",
            "ssl.trustStore.type=PEM\n",
            "sslQuorum=true\n",
            "ssl.quorum.keyStore.location=/v/conf/keystore.pem\n",
            "ssl.quorum.trustStore.location=/v/conf/truststore.pem\n",
            "sslQuorumReloadCertFiles=true\n",
            // Hostname verification stays on: fips-mode=false keeps
            // ZooKeeper's verifying trust manager (3.8.2+ reads it).
        ] {
            assert!(zoo.contains(line), "{line} missing in:\n{zoo}");
        }
        // 3.8.0 (the fixture's Debian release) has no client.certReload.
        assert!(!zoo.contains("client.certReload"), "{zoo}");
        let by_name = |n: &str| {
            files
                .iter()
                .find(|f| f.0 == Path::new("/v/conf").join(n))
                .unwrap()
        };
        let ks = by_name("keystore.pem");
        assert_eq!(ks.2, 0o600);
        let ks_text = String::from_utf8(ks.1.clone()).unwrap();
        assert!(
            ks_text.starts_with("-----BEGIN PRIVATE KEY-----\n"),
            "PKCS#8 first"
        );
        assert!(ks_text.contains("-----BEGIN CERTIFICATE-----\n"));
        assert_eq!(by_name("truststore.pem").2, 0o644);
        assert_eq!(
            String::from_utf8(by_name("tls.source").1.clone()).unwrap(),
            format!("# Written by zkpod start: the source of keystore.pem and truststore.pem (zkpod probe refreshes them from it).\nsource=/etc/zookeeper/tls\nname={ZK1}\n")
        );
        assert!(
            p.summary.iter().any(|l| l
                == &format!("TLS: clients on port 2281 and the quorum, certificate for {ZK1}, expires 2027-01-01T00:00:00Z; plaintext only on 127.0.0.1")),
            "{:?}",
            p.summary
        );
        assert!(!format!("{p:?}").contains("PRIVATE"), "Debug shows no key");
        // Debian's manifest lacks what the Netty server needs: on the classpath.
        assert!(
            p.command
                .iter()
                .any(|a| a.contains("/usr/share/java/netty-codec.jar")),
            "{:?}",
            p.command
        );
        // --plaintext-client all keeps every address.
        let (all, _) = run(&tls_input(Plaintext::All), &tls_facts(&zk1_leaf()));
        let all = all.unwrap();
        let zoo = crate::config::zoocfg::render(&all.settings, all.release()).unwrap();
        assert!(!zoo.contains("clientPortAddress"), "{zoo}");
    }

    #[test]
    fn tls_dir_refusals() {
        use crate::start::input::Plaintext;
        let i = tls_input(Plaintext::Loopback);
        // No SAN for this pod: exit 11, naming the name and the fix.
        let (code, msg) = refusal(&i, &tls_facts(&crate::tls::testpki::Leaf::default()));
        assert_eq!(code, Code::Tls);
        assert!(msg.contains(ZK1) && msg.contains("spec.dnsNames"), "{msg}");
        assert!(msg.contains("zkpod start changed nothing"), "{msg}");
        // Expired by the facts' clock.
        let mut f = tls_facts(&zk1_leaf());
        f.now_secs = 1_830_000_000; // 2027-12-28
        let (code, msg) = refusal(&i, &f);
        assert_eq!(code, Code::Tls);
        assert!(msg.contains("expired"), "{msg}");
        // A missing file.
        let mut f = tls_facts(&zk1_leaf());
        f.tls = Some(Err(crate::tls::check::Problem::Unreadable {
            file: "/etc/zookeeper/tls/tls.key".into(),
            error: crate::sys::file::FileError::Missing,
        }));
        let (code, msg) = refusal(&i, &f);
        assert_eq!(code, Code::Tls);
        assert!(
            msg.starts_with("/etc/zookeeper/tls/tls.key does not exist: "),
            "{msg}"
        );
        // Debian without netty-codec: exit 7, before anything is written.
        let mut f = tls_facts(&zk1_leaf());
        f.install
            .debian
            .as_mut()
            .unwrap()
            .retain(|n| n != "netty-codec.jar");
        let (code, msg) = refusal(&i, &f);
        assert_eq!(code, Code::Install);
        assert!(msg.starts_with("--tls-dir with Debian's ZooKeeper, but /usr/share/java/netty-codec.jar is not installed: "), "{msg}");
        // Flags that contradict TLS-only: exit 4.
        let mut i2 = i.clone();
        i2.settings.client_address = Some("10.0.0.2".into());
        let (code, msg) = refusal(&i2, &tls_facts(&zk1_leaf()));
        assert_eq!(code, Code::Config);
        assert!(msg.starts_with("--client_address 10.0.0.2 with --tls-dir and --plaintext-client loopback (the default): "), "{msg}");
        let mut i3 = i.clone();
        i3.settings.set = vec!["secureClientPort=3000".into()];
        let (code, msg) = refusal(&i3, &tls_facts(&zk1_leaf()));
        assert_eq!(code, Code::Config);
        assert!(
            msg.starts_with("--set secureClientPort=... with --tls-dir: "),
            "{msg}"
        );
        let mut i4 = i.clone();
        i4.tls.as_mut().unwrap().secure_port = 2181;
        let (code, msg) = refusal(&i4, &tls_facts(&zk1_leaf()));
        assert_eq!(code, Code::Config);
        assert!(
            msg.starts_with("--secure-client-port and --client_port are both 2181: "),
            "{msg}"
        );
    }
}
