//! Carrying a plan out: make the dirs, lock the volume, check that it is
//! still what the plan saw, write every file (the conf files first, myid
//! last, the old myid set aside under a unique name), chown the data dirs
//! where needed, drop root, and exec the JVM so that it replaces zkpod (PID
//! 1 in the container, receiving SIGTERM directly; nothing of zkpod stays
//! resident, as with gosu). Or, for `--dry-run`, print all of it and change
//! nothing.
//!
//! The order is what keeps a failure from leaving a mixed state (issue 8):
//! the conf files are staged (written to temp names and fsynced) before the
//! volume is touched, so a full conf dir changes nothing; then the volume is
//! locked (creating its empty lock file on the first start), re-read, and
//! myid staged; only then do targets change: the conf files are renamed in
//! and made durable before myid, so no state has a new myid and old conf
//! files; a start that fails after that is completed by the next one, which
//! writes the same files again.
//!
//! Everything here runs single-threaded: the privilege drop must happen
//! before any thread exists.

use std::convert::Infallible;
use std::ffi::CString;
use std::io::Write as _;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use log::{info, warn};

use crate::start::facts;
use crate::start::files::{self, Files};
use crate::start::plan::Plan;
use crate::start::volume::{Action, Myid, Volume};
use crate::sys::fs::{self, Lock};
use crate::sys::host::RealHost;
use crate::sys::privs::{self, RealSys};
use crate::sys::report::{self, diagnose, Code};

/// Writes the plan's dirs and files, sets a removed member's old data
/// aside, chowns, and drops root. No target changes until every file is
/// staged (see `fs::stage`) and the volume is locked and found unchanged.
///
/// Fails on the first step that fails, naming the path (exit code 5 when
/// another server holds or changed the volume, 8 for I/O, 6 for a refused
/// chown or privilege drop).
pub fn apply(plan: &Plan, files: &Files) -> Result<()> {
    for line in &plan.summary {
        info!("{line}");
    }
    let mut created = Vec::new();
    for dir in &plan.dirs {
        let mode = if *dir == plan.conf_dir { 0o775 } else { 0o770 };
        created.extend(fs::create_dirs(dir, mode)?);
    }
    // The conf dir's files first, to temp names in the conf dir (the pod's
    // own): a full disk there changes nothing.
    let mut conf = fs::stage(&files.conf)?;
    if let Some((link, target)) = &files.link {
        conf.append(fs::stage_link(link, target)?);
    }
    let mut record = fs::stage(std::slice::from_ref(&files.record))?;
    lock_volume(plan)?;
    // Locked: nobody else can change the volume now. Was it changed between
    // the plan's look and the lock (a second pod starting at the same time)?
    match facts::read_volume(&RealHost, &plan.data_dir, &plan.data_log_dir) {
        Ok(v) if v == plan.volume => {}
        Ok(v) => return Err(changed_meanwhile(plan, &v)),
        Err(e) => return Err(report::os_failure(e.action, &e.path, &e.error.io())),
    }
    if plan.membership.is_some()
        && facts::volume_config(&RealHost, &plan.data_dir) != plan.volume_config
    {
        return Err(config_changed_meanwhile(plan));
    }
    // Only the lock holder writes on the volume (its temp names are not
    // unique across containers: the pid is 1 in each).
    let mut volume = fs::stage(&files.volume)?;
    let myid = files::myid_file(plan);
    let mut staged = fs::stage(myid.as_slice())?;
    // Every file is staged: what remains needs (almost) no space. A removed
    // member's old data goes aside first (renames, nothing deleted).
    let mut set_aside = Vec::new();
    if let (Some(need), Some(settled)) = (&plan.membership, &plan.settled) {
        if settled.set_aside {
            set_aside = set_aside_old_data(need, plan.myid)?;
        }
    }
    // The volume's files in order (the dynamic config file before the
    // zoo.cfg that names it), then the conf dir's, then myid: no state
    // has a new myid with old config files.
    volume.commit_next(files.volume.len())?;
    conf.commit_next(conf.len())?;
    info!(
        "wrote {} files to {}{}",
        files.conf.len() + usize::from(files.link.is_some()),
        plan.conf_dir.display(),
        if files.volume.is_empty() {
            String::new()
        } else {
            format!(" and {} to {}", files.volume.len(), plan.data_dir.display())
        }
    );
    if let Action::Replace { old } = &plan.myid_action {
        let path = plan.data_dir.join("myid");
        let kept = match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => Some(fs::keep_aside(&path, "bak")?),
            Ok(_) => Some(fs::set_aside(&path, "bak")?),
            Err(_) => None,
        };
        if let Some(k) = kept {
            info!(
                "kept the old myid ({}) as {}",
                old.trim_end_matches(','),
                report::path(&k)
            );
        }
    }
    if myid.is_some() {
        staged.commit_next(1)?;
        info!(
            "wrote myid {} to {}",
            plan.myid,
            plan.data_dir.join("myid").display()
        );
    }
    // Last, the record the hooks act on: it names this process, which is
    // now about to become the JVM.
    record.commit_next(1)?;
    if let Some(ids) = plan.drop_to {
        let mut targets: Vec<PathBuf> = vec![plan.data_dir.clone(), plan.data_log_dir.clone()];
        // Parents zkpod created (e.g. /var/lib/zookeeper) must be traversable
        // by the user too; the conf dir stays root-owned and world-readable.
        for d in created {
            if !d.starts_with(&plan.conf_dir) && !targets.contains(&d) {
                targets.push(d);
            }
        }
        // Follow a symlinked data dir to the real one (inside it, lchown
        // never follows a link); the plan refused one that leads to a
        // system directory.
        let targets: Vec<PathBuf> = targets
            .iter()
            .map(|t| std::fs::canonicalize(t).unwrap_or_else(|_| t.clone()))
            .collect();
        let mut changed = privs::chown_where_needed(&mut RealSys, &targets, ids)?;
        // What this start wrote on the volume, and the digest's argument
        // file (0600): the ZooKeeper user reads (and ZooKeeper rewrites)
        // them.
        let mut owned: Vec<PathBuf> = files
            .volume
            .iter()
            .chain(myid.as_slice())
            .map(|(p, _, _)| p.clone())
            .collect();
        owned.extend(plan.superuser.as_ref().and_then(|s| s.argfile.clone()));
        owned.extend(plan.tls.as_ref().map(|t| t.keystore.clone()));
        owned.extend(set_aside);
        changed.extend(privs::chown_paths(&mut RealSys, &owned, ids)?);
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

/// Locks the data dir (and a log dir outside it) for as long as the server
/// runs: the lock's descriptor survives exec, so the JVM holds it.
fn lock_volume(plan: &Plan) -> Result<()> {
    let owner = plan.drop_to.map(|i| (i.uid, i.gid));
    let mut dirs = vec![&plan.data_dir];
    if !plan.data_log_dir.starts_with(&plan.data_dir) {
        dirs.push(&plan.data_log_dir);
    }
    for dir in dirs {
        match fs::lock_dir(dir, owner)? {
            Lock::Held(fd) => info!("holding the volume lock {} (fd {fd}) for as long as ZooKeeper runs", dir.join(fs::LOCK_FILE).display()),
            Lock::Busy(path) => return Err(diagnose(
                Code::DataGuard,
                format!("another process holds the lock {}: a server started by zkpod runs on this volume", report::path(&path)),
                "two servers on one volume would overwrite each other's myid, snapshots and logs; nothing was written",
                format!("give each pod its own volume (volumeClaimTemplates; accessModes: ReadWriteOncePod); if no other server should run, find the holder with `fuser {}`", report::path(&path)),
            )),
            Lock::Unsupported(path, why) => warn!(
                "{}",
                report::Warning::new(
                    format!("cannot lock {} ({why})", report::path(&path)),
                    "the filesystem takes no file locks, so zkpod cannot stop a second server from starting on this volume",
                    "use a volume with file locks (a local disk or block storage), or make sure only one pod mounts it (accessModes: ReadWriteOncePod)",
                )
            ),
        }
    }
    Ok(())
}

fn changed_meanwhile(plan: &Plan, now: &Volume) -> anyhow::Error {
    let says = match &now.myid {
        Myid::Id(id) => format!("myid now says {id}"),
        Myid::Absent => "myid is gone".to_string(),
        _ => "myid changed".to_string(),
    };
    diagnose(
        Code::DataGuard,
        format!(
            "{} changed while zkpod was starting ({says}): another server started on this volume at the same time",
            report::path(&plan.data_dir)
        ),
        "two servers on one volume would corrupt it; zkpod wrote nothing but its lock file",
        "give each pod its own volume (volumeClaimTemplates; accessModes: ReadWriteOncePod), then restart this pod",
    )
}

fn config_changed_meanwhile(plan: &Plan) -> anyhow::Error {
    diagnose(
        Code::DataGuard,
        format!(
            "the dynamic configuration in {} (zoo.cfg, zoo.cfg.dynamic.*) changed while zkpod was starting: another server started on this volume at the same time",
            report::path(&plan.data_dir)
        ),
        "zkpod decided this server's membership from what it read before; starting on a changed view could disagree with the ensemble, so it wrote nothing but its lock file",
        "give each pod its own volume (volumeClaimTemplates; accessModes: ReadWriteOncePod), then restart this pod",
    )
}

/// Moves a removed member's old data aside (never deletes, never
/// overwrites): the data and log dirs' `version-2` first, then the old
/// zoo.cfg and dynamic config files, into a new
/// `zkpod-set-aside/<UTC time>-server<id>/` inside the dir they were in (a
/// rename, so on the same filesystem; see `fs::set_aside_into`). A failure
/// part way leaves every entry either in place or in that dir, and the next
/// start, deciding again, moves the rest. Returns the dirs made.
///
/// Fails (exit code 8, or 6 for what permissions decide) naming the path
/// that could not be moved and what the OS error means.
fn set_aside_old_data(need: &crate::start::membership::Need, myid: u32) -> Result<Vec<PathBuf>> {
    use crate::start::membership::SET_ASIDE_DIR;
    let name = format!("{}-server{myid}", fs::stamp(std::time::SystemTime::now()));
    let mut made = Vec::new();
    let mut roots = vec![(need.data_dir.clone(), true)];
    if need.data_log_dir != need.data_dir {
        roots.push((need.data_log_dir.clone(), false));
    }
    for (root, is_data) in roots {
        let mut entries = vec![root.join("version-2")];
        if is_data {
            let mut names: Vec<PathBuf> = std::fs::read_dir(&root)
                .map_err(|e| report::os_failure("list", &root, &e))?
                .flatten()
                .filter(|e| {
                    let n = e.file_name();
                    let n = n.to_string_lossy();
                    n == "zoo.cfg" || n == "zoo.cfg.bak" || n.starts_with("zoo.cfg.dynamic.")
                })
                .map(|e| e.path())
                .collect();
            names.sort();
            entries.extend(names);
        }
        entries.retain(|p| std::fs::symlink_metadata(p).is_ok());
        if entries.is_empty() {
            continue;
        }
        let into = root.join(SET_ASIDE_DIR);
        let existed = std::fs::symlink_metadata(&into).is_ok();
        let target = fs::set_aside_into(&entries, &into, &name)?;
        info!(
            "set aside {} entries of {} in {} (server {myid} was removed from the ensemble; nothing was deleted)",
            entries.len(),
            root.display(),
            target.display()
        );
        if !existed {
            made.push(into);
        }
        made.push(target);
    }
    Ok(made)
}

/// Whether `p` exists (a dangling symlink counts).
fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

/// Replaces zkpod with the plan's java command.
///
/// Returns only on failure: 127 if the program vanished, 126 if it cannot
/// be executed.
pub fn exec(plan: &Plan) -> Result<Infallible> {
    // Files ZooKeeper creates (snapshots, logs, epochs) stay writable by the
    // group: with fsGroup or OpenShift's GID 0, a restart under another UID
    // of the same group can still write them. Nothing for others.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o007));
    info!("exec {}", plan.command.join(" "));
    exec_command(&plan.command, &plan.env)
}

/// Replaces zkpod with `cmd` and the current environment plus `env_set`.
fn exec_command(cmd: &[String], env_set: &[(String, String)]) -> Result<Infallible> {
    let to_c =
        |s: &str| CString::new(s).with_context(|| format!("argument contains a NUL byte: {s:?}"));
    let args = cmd.iter().map(|a| to_c(a)).collect::<Result<Vec<_>>>()?;
    // The environment as bytes: a variable that is not UTF-8 is passed on
    // untouched instead of aborting the start.
    let mut envp: Vec<CString> = Vec::new();
    for (k, v) in std::env::vars_os() {
        if env_set.iter().any(|(s, _)| k.as_bytes() == s.as_bytes()) {
            continue;
        }
        let mut kv = k.into_vec();
        kv.push(b'=');
        kv.extend(v.into_vec());
        // The kernel passed it in, so it has no NUL byte.
        envp.extend(CString::new(kv).ok());
    }
    for (k, v) in env_set {
        envp.push(to_c(&format!("{k}={v}"))?);
    }
    let err = nix::unistd::execve(&args[0], &args, &envp).unwrap_err();
    let code = if err == nix::errno::Errno::ENOENT {
        Code::NotFound
    } else {
        Code::NotExecutable
    };
    Err(diagnose(
        code,
        format!("cannot exec {}: {err}", report::clean(&cmd[0])),
        "the ZooKeeper JVM did not start",
        "check that the JRE in the image is complete and executable (run it with -version)",
    ))
}

/// `--dry-run`: prints every file that would be written, the dirs that
/// would be made, the chown and drop, and the command line.
pub fn print_dry_run(plan: &Plan, files: &Files) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "# zkpod start --dry-run: nothing was written, created or changed."
    )?;
    for line in &plan.summary {
        writeln!(out, "# {line}")?;
    }
    for d in &plan.dirs {
        if !exists(d) {
            writeln!(out, "# would create {}", d.display())?;
        }
    }
    writeln!(
        out,
        "# would lock {} for as long as ZooKeeper runs",
        plan.data_dir.join(fs::LOCK_FILE).display()
    )?;
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
            if let Action::Replace { old } = &plan.myid_action {
                writeln!(
                    out,
                    "# would keep the old myid ({old}) as myid.bak-<UTC time>"
                )?;
            }
            writeln!(
                out,
                "==> myid (server {}, pod {}) <==\n{}",
                plan.myid, plan.hostname, plan.myid
            )?;
        }
    }
    if let (Some(need), Some(settled)) = (&plan.membership, &plan.settled) {
        if settled.set_aside {
            writeln!(
                out,
                "# would set the old data of {} aside in {}/<UTC time>-server{} (nothing is deleted)",
                need.data_dir.display(),
                need.data_dir
                    .join(crate::start::membership::SET_ASIDE_DIR)
                    .display(),
                plan.myid
            )?;
        }
    }
    let secret = plan.superuser.as_ref().and_then(|s| s.argfile.as_ref());
    for (path, contents, mode) in files.all() {
        writeln!(out, "==> {} <==", path.display())?;
        if plan.tls.as_ref().is_some_and(|t| &t.keystore == path) {
            // The private key is never printed.
            writeln!(
                out,
                "# (the private key and the certificate chain, mode 0600: not shown)"
            )?;
        } else if Some(path) == secret {
            // The digest is the superuser's credential: never on stdout.
            writeln!(
                out,
                "# (mode {mode:04o}: the superuser digest's JVM flag, not shown)"
            )?;
        } else {
            out.write_all(contents)?;
        }
    }
    if let Some((link, target)) = &files.link {
        writeln!(
            out,
            "# would link {} -> {}",
            link.display(),
            target.display()
        )?;
    }
    if let Some((_, home)) = plan.env.iter().find(|(k, _)| k == "HOME") {
        writeln!(out, "# HOME={home}")?;
    }
    writeln!(out, "# command:\n{}", plan.command.join(" "))
}
