//! `zkpod start` (and the `start-zookeeper` / `start.sh` drop-ins): decide
//! everything first, change nothing until every check has passed, then
//! write, drop root, and exec the JVM.

use std::io::Write as _;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use log::{info, warn};

use crate::cli::start::{StartArgs, StartCli, StartScriptCli};
use crate::cmd::{entry, Command, Entry, Name};
use crate::config::{jvm, settings, zoocfg};
use crate::start::ensemble::{self, DomainInput};
use crate::start::identity::{self, IdInput};
use crate::start::launch::{self, JavaInput};
use crate::start::volume::{self, Action};
use crate::sys::privs::{self, Ids, RealSys};
use crate::sys::report::{diagnose, Code};
use crate::sys::{fs as fsutil, log as applog};

pub const ENTRIES: &[Entry] = &[entry::<StartCli>(), entry::<StartScriptCli>()];

impl Command for StartCli {
    const NAME: Name = Name::Sub("start");
    const FAILURE: Code = Code::Io;
    fn run(self) -> anyhow::Result<Code> {
        run(&self.args)
    }
}

impl Command for StartScriptCli {
    const NAME: Name = Name::DropIn(&["start-zookeeper", "start.sh"]);
    const FAILURE: Code = Code::Io;
    fn run(self) -> anyhow::Result<Code> {
        run(&self.args)
    }
}

/// Everything `start` will do, decided before anything is changed.
struct Plan {
    hostname: String,
    myid: u32,
    conf_files: Vec<fsutil::FileSpec>,
    myid_action: Action,
    dirs: Vec<PathBuf>,
    /// When running as root: the user to drop to.
    drop_to: Option<Ids>,
    command: Vec<String>,
    env: Vec<(String, String)>,
    summary: Vec<String>,
}

/// Runs `zkpod start`. Returns only on failure or after `--dry-run`.
pub fn run(a: &StartArgs) -> Result<crate::sys::report::Code> {
    applog::init();
    // plan and apply both work on the absolute directories.
    let a = &absolute_dirs(a)?;
    let plan = plan(a)?;
    if a.dry_run {
        print_dry_run(&plan).context("failed to print the dry run")?;
        return Ok(Code::Ok);
    }
    apply(a, &plan)?;
    // Files ZooKeeper creates (snapshots, logs, epochs) stay writable by the
    // group: with fsGroup or OpenShift's GID 0, a restart under another UID
    // of the same group can still write them. Nothing for others.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o007));
    info!("exec {}", plan.command.join(" "));
    match launch::exec(&plan.command, &plan.env)? {}
}

fn hostname(a: &StartArgs) -> Result<String> {
    if let Some(h) = &a.hostname {
        return Ok(h.clone());
    }
    let h = hostname::get().context("failed to read the hostname")?;
    h.into_string().map_err(|h| {
        diagnose(
            Code::Identity,
            format!("hostname {h:?} is not valid UTF-8"),
            "zkpod cannot derive a server id from it",
            "give the pod a DNS-style name (StatefulSet pods get <name>-<ordinal>)",
        )
    })
}

/// The start flags with the three directories made absolute: zoo.cfg must
/// not depend on the JVM's working directory, and the writability checks
/// must look at the real parent of a relative path.
fn absolute_dirs(a: &StartArgs) -> Result<StartArgs> {
    let abs = |p: &Path| {
        std::path::absolute(p).with_context(|| format!("failed to make {} absolute", p.display()))
    };
    let mut a = a.clone();
    a.data_dir = abs(&a.data_dir)?;
    a.data_log_dir = abs(&a.data_log_dir)?;
    a.conf_dir = abs(&a.conf_dir)?;
    Ok(a)
}

fn plan(a: &StartArgs) -> Result<Plan> {
    let mut summary = Vec::new();
    let hostname = hostname(a)?;
    let id = identity::decide(IdInput {
        hostname: &hostname,
        explicit: a.myid,
        offset: a.id_offset,
        servers: a.servers,
    })?;
    if let Some(note) = &id.note {
        warn!("{note}");
    }

    let members = match (&id.pod, a.servers) {
        (Some(pod), n) if n > 1 => {
            let hosts = std::fs::read_to_string(&a.hosts_file).ok();
            let short = hostname.split('.').next().unwrap_or(&hostname);
            let hosts_path = a.hosts_file.display().to_string();
            let (domain, source) = ensemble::find_domain(DomainInput {
                hosts: hosts.as_deref(),
                hosts_path: &hosts_path,
                short,
                flag: a.domain.as_deref(),
                service: a.service.as_deref(),
                namespace: a.namespace.as_deref(),
                cluster_domain: &a.cluster_domain,
            })?;
            if let (Some(flag), ensemble::DomainSource::HostsFile) = (&a.domain, source) {
                if flag.trim_matches('.') != domain {
                    warn!("--domain {flag} differs from the domain in {}, {domain}; using the latter, as hostname -d would", a.hosts_file.display());
                }
            }
            let from = match source {
                ensemble::DomainSource::HostsFile => a.hosts_file.display().to_string(),
                ensemble::DomainSource::Flag => "--domain".to_string(),
                ensemble::DomainSource::Composed => {
                    "--service, POD_NAMESPACE and --cluster-domain".to_string()
                }
            };
            summary.push(format!("domain {domain} (from {from})"));
            ensemble::members(&pod.base, &domain, n, a.id_offset)
        }
        _ => Vec::new(),
    };
    summary.insert(
        0,
        format!(
            "server id {} of {} (hostname {hostname})",
            id.myid, a.servers
        ),
    );

    let settings = settings::build(&a.settings_input(), id.myid, members)?;
    for w in settings::warnings(&settings) {
        warn!("{w}");
    }
    let install = launch::discover(a.zk_home.as_deref())?;
    summary.push(format!(
        "ZooKeeper {} at {}, logging through {}",
        install.version.as_deref().unwrap_or("(version unknown)"),
        install.location,
        install.backend.file_name()
    ));
    let java_home = std::env::var("JAVA_HOME").ok();
    let path_env = std::env::var("PATH").ok();
    let java = launch::find_java(JavaInput {
        explicit: a.java.as_deref(),
        java_home: java_home.as_deref(),
        path_env: path_env.as_deref(),
    })?;
    let (heap, heap_warnings) = jvm::resolve_heap(&a.heap, jvm::read_cgroup_limit())?;
    heap_warnings.iter().for_each(|w| warn!("{w}"));
    summary.push(format!("heap {heap}m"));
    let extra_flags = jvm::parse_extra_flags(a.jvm_flags.as_deref())?;

    let conf = &a.conf_dir;
    let security = conf.join("java.security");
    let log_file = conf.join(install.backend.file_name());
    let flags = jvm::flags(
        heap,
        &security.display().to_string(),
        &install.backend.jvm_flag(&log_file.display().to_string()),
        &extra_flags,
    );
    let zoo_cfg = conf.join("zoo.cfg");
    let conf_files = vec![
        (
            zoo_cfg.clone(),
            zoocfg::render(&settings).into_bytes(),
            0o644,
        ),
        (
            conf.join("java.env"),
            jvm::render_java_env(heap, &flags).into_bytes(),
            0o644,
        ),
        (
            security,
            jvm::render_java_security(a.dns_ttl, a.dns_negative_ttl).into_bytes(),
            0o644,
        ),
        (
            log_file,
            install.backend.render(a.log_level).into_bytes(),
            0o644,
        ),
    ];

    let dirs = vec![a.data_dir.clone(), a.data_log_dir.clone(), conf.clone()];
    let root = nix::unistd::geteuid().is_root();
    check_writable(&dirs, conf, root)?;
    let volume = volume::inspect(&a.data_dir, &a.data_log_dir).map_err(|e| {
        let denied = e
            .chain()
            .filter_map(|c| c.downcast_ref::<std::io::Error>())
            .any(|io| io.kind() == std::io::ErrorKind::PermissionDenied);
        if denied {
            permission_failure(&a.data_dir, &format!("{e:#}"), root)
        } else {
            e
        }
    })?;
    let myid_action = volume::decide(&volume, id.myid, a.accept_new_id, &a.data_dir, &hostname)?;
    if let Action::Replace { old, .. } = &myid_action {
        warn!(
            "--accept-new-id: replacing myid {old} with {} in {} (the old file is kept as myid.bak-<time>)",
            id.myid,
            a.data_dir.display()
        );
    }

    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let drop_to = if root {
        let ids = privs::resolve_user(&privs::parse_user(&a.user)?, &passwd)?;
        if ids.uid == 0 {
            warn!(
                "--user {} is root: ZooKeeper will run with root privileges",
                a.user
            );
            None
        } else {
            Some(ids)
        }
    } else {
        None
    };
    if let Some(ids) = drop_to {
        let need_chown = [&a.data_dir, &a.data_log_dir].iter().any(|d| {
            std::fs::metadata(d).map_or(true, |m| (m.uid(), m.gid()) != (ids.uid, ids.gid))
        });
        let caps = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| privs::parse_cap_eff(&s))
            .unwrap_or(u64::MAX);
        privs::check_caps(&privs::missing_caps(caps, need_chown, true), ids)?;
    }
    let final_uid = drop_to.map_or_else(|| nix::unistd::geteuid().as_raw(), |i| i.uid);
    let home = choose_home(final_uid, &passwd, &a.data_dir, drop_to.is_some());
    let command = launch::command(&java, &flags, conf, &install, &zoo_cfg);
    Ok(Plan {
        hostname,
        myid: id.myid,
        conf_files,
        myid_action,
        dirs,
        drop_to,
        command,
        env: home
            .map(|h| vec![("HOME".to_string(), h)])
            .unwrap_or_default(),
        summary,
    })
}

/// HOME for the JVM: the target user's passwd home when it exists, else
/// the current HOME when usable, else the data volume's parent (an arbitrary
/// OpenShift UID has no passwd entry and HOME=/).
fn choose_home(uid: u32, passwd: &str, data_dir: &Path, dropping: bool) -> Option<String> {
    let usable = |p: &str| p != "/" && Path::new(p).is_dir();
    if let Some(e) = privs::passwd_lookup(passwd, None, Some(uid)) {
        if usable(&e.home) {
            return Some(e.home);
        }
    }
    if !dropping {
        if let Ok(h) = std::env::var("HOME") {
            if usable(&h) && fsutil::dir_writable(Path::new(&h)) {
                return None;
            }
        }
    }
    // The volume: the data dir's parent (the mount point in our manifests),
    // unless that is the root directory; then the data dir itself.
    let base = data_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && *p != Path::new("/"))
        .unwrap_or(data_dir);
    Some(base.display().to_string())
}

fn permission_failure(path: &Path, detail: &str, root: bool) -> anyhow::Error {
    let uid = nix::unistd::geteuid().as_raw();
    let gid = nix::unistd::getegid().as_raw();
    let owner = std::fs::metadata(path)
        .map(|m| {
            format!(
                "owned by {}:{} with mode {:04o}",
                m.uid(),
                m.gid(),
                m.mode() & 0o7777
            )
        })
        .unwrap_or_else(|_| "not accessible".to_string());
    let fix = if root {
        "check that the volume is mounted read-write (a read-only filesystem refuses even root)"
            .to_string()
    } else {
        format!("set spec.template.spec.securityContext.fsGroup (e.g. fsGroup: {gid}) so Kubernetes makes the volume group-writable for this pod, or make {} writable by uid {uid} or gid {gid}", path.display())
    };
    diagnose(
        Code::Permission,
        format!("cannot write {} as uid {uid} gid {gid} ({owner}; {detail})", path.display()),
        "ZooKeeper could not save its id, snapshots or logs there (the 'Permission denied' of the tutorial scripts)",
        fix,
    )
}

/// Checks, before writing anything, that each dir (or the closest existing
/// parent it would be created in) is writable by this process. As root this
/// still catches read-only filesystems, such as a ConfigMap mounted at the
/// conf dir.
fn check_writable(dirs: &[PathBuf], conf: &Path, root: bool) -> Result<()> {
    for dir in dirs {
        let target = fsutil::nearest_existing(dir);
        if fsutil::dir_writable(&target) {
            continue;
        }
        if dir == conf {
            return Err(diagnose(
                Code::Permission,
                format!("conf dir {} is not writable ({} refuses writes)", conf.display(), target.display()),
                "zkpod writes zoo.cfg and the JVM and logging settings there on every start (a ConfigMap mounted there is read-only)",
                "mount an emptyDir at --conf_dir and pass extra zoo.cfg settings with --set key=value or ZOO_CFG_EXTRA instead of a ConfigMap",
            ));
        }
        return Err(permission_failure(&target, "not writable", root));
    }
    Ok(())
}

fn apply(a: &StartArgs, plan: &Plan) -> Result<()> {
    for line in &plan.summary {
        info!("{line}");
    }
    let mut created = Vec::new();
    for dir in &plan.dirs {
        let mode = if dir == &a.conf_dir { 0o775 } else { 0o770 };
        created.extend(fsutil::create_dirs(dir, mode)?);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut files = volume::files(&plan.myid_action, &a.data_dir, plan.myid, now);
    let myid_written = !files.is_empty();
    files.extend(plan.conf_files.iter().cloned());
    fsutil::write_all_atomic(&files)?;
    if myid_written {
        info!(
            "wrote myid {} to {}",
            plan.myid,
            a.data_dir.join("myid").display()
        );
    }
    info!(
        "wrote {} files to {}",
        plan.conf_files.len(),
        a.conf_dir.display()
    );
    if let Some(ids) = plan.drop_to {
        let mut targets: Vec<PathBuf> = vec![a.data_dir.clone(), a.data_log_dir.clone()];
        // Parents zkpod created (e.g. /var/lib/zookeeper) must be traversable
        // by the user too; the conf dir stays root-owned and world-readable.
        for d in created {
            if !d.starts_with(&a.conf_dir) && !targets.contains(&d) {
                targets.push(d);
            }
        }
        // Follow a symlinked data dir to the real one (inside it, lchown
        // never follows a link).
        let targets: Vec<PathBuf> = targets
            .iter()
            .map(|t| std::fs::canonicalize(t).unwrap_or_else(|_| t.clone()))
            .collect();
        let changed = privs::chown_where_needed(&mut RealSys, &targets, ids)?;
        if !changed.is_empty() {
            info!(
                "chowned {} paths to {}:{} (first: {})",
                changed.len(),
                ids.uid,
                ids.gid,
                changed[0].display()
            );
        }
        privs::drop_to(&mut RealSys, ids)?;
        info!("dropped root: running as {}:{}", ids.uid, ids.gid);
    }
    Ok(())
}

fn print_dry_run(plan: &Plan) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "# zkpod start --dry-run: nothing was written, created or changed."
    )?;
    for line in &plan.summary {
        writeln!(out, "# {line}")?;
    }
    for d in &plan.dirs {
        if !d.exists() {
            writeln!(out, "# would create {}", d.display())?;
        }
    }
    if let Some(ids) = plan.drop_to {
        writeln!(
            out,
            "# would chown the data dirs to {}:{} where their owner differs, then drop root",
            ids.uid, ids.gid
        )?;
    }
    match &plan.myid_action {
        Action::Keep => writeln!(out, "# myid {} already on the volume: kept", plan.myid)?,
        Action::Write | Action::Replace { .. } => {
            writeln!(
                out,
                "==> myid (server {}, pod {}) <==\n{}",
                plan.myid, plan.hostname, plan.myid
            )?;
        }
    }
    for (path, contents, _) in &plan.conf_files {
        writeln!(out, "==> {} <==", path.display())?;
        out.write_all(contents)?;
    }
    if let Some((_, home)) = plan.env.iter().find(|(k, _)| k == "HOME") {
        writeln!(out, "# HOME={home}")?;
    }
    writeln!(out, "# command:\n{}", plan.command.join(" "))
}
