//! Carrying a plan out: make the dirs, write every file in one durable
//! batch, chown the data dirs where needed, drop root, and exec the JVM so
//! that it replaces zkpod (PID 1 in the container, receiving SIGTERM
//! directly; nothing of zkpod stays resident, as with gosu). Or, for
//! `--dry-run`, print all of it and change nothing.
//!
//! Everything here runs single-threaded: the privilege drop must happen
//! before any thread exists.

use std::convert::Infallible;
use std::ffi::CString;
use std::io::Write as _;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use anyhow::{Context, Result};
use log::info;

use crate::start::files;
use crate::start::plan::Plan;
use crate::start::volume::Action;
use crate::sys::fs::{self, FileSpec};
use crate::sys::privs::{self, RealSys};
use crate::sys::report::{diagnose, Code};

/// Writes the plan's dirs and files, chowns, and drops root. Nothing is
/// written until every file is staged (see `fs::write_all_atomic`).
///
/// Fails on the first step that fails, naming the path (exit code 8 for
/// I/O, 6 for a refused chown or privilege drop).
pub fn apply(plan: &Plan, conf_files: &[FileSpec]) -> Result<()> {
    for line in &plan.summary {
        info!("{line}");
    }
    let mut created = Vec::new();
    for dir in &plan.dirs {
        let mode = if *dir == plan.conf_dir { 0o775 } else { 0o770 };
        created.extend(fs::create_dirs(dir, mode)?);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut set_aside = Vec::new();
    if let (Some(need), Some(settled)) = (&plan.membership, &plan.settled) {
        if settled.set_aside {
            set_aside = set_aside_old_data(need, plan.myid, now)?;
        }
    }
    let mut batch = files::myid_files(plan, now.as_secs());
    let myid_written = !batch.is_empty();
    batch.extend(conf_files.iter().cloned());
    fs::write_all_atomic(&batch)?;
    if myid_written {
        info!(
            "wrote myid {} to {}",
            plan.myid,
            plan.data_dir.join("myid").display()
        );
    }
    info!(
        "wrote {} files to {}",
        conf_files.len(),
        plan.conf_dir.display()
    );
    if plan.membership.is_some() {
        link_conf_zoo_cfg(plan)?;
    }
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
        // never follows a link).
        let targets: Vec<PathBuf> = targets
            .iter()
            .map(|t| std::fs::canonicalize(t).unwrap_or_else(|_| t.clone()))
            .collect();
        let mut changed = privs::chown_where_needed(&mut RealSys, &targets, ids)?;
        // What this start wrote on the volume, and the digest's argument
        // file: the ZooKeeper user reads (and ZooKeeper rewrites) them.
        let mut owned: Vec<PathBuf> = batch
            .iter()
            .map(|(p, _, _)| p.clone())
            .filter(|p| p.starts_with(&plan.data_dir) || p.starts_with(&plan.data_log_dir))
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

/// Moves a removed member's old data aside (never deletes it): the data
/// and log dirs' `version-2`, and the old zoo.cfg and dynamic config files,
/// into `zkpod-set-aside/<UTC time>-server<id>/` inside the dir they were
/// in (a rename, so on the same filesystem). Returns the dirs made.
///
/// Fails (exit code 8) naming the path that could not be moved.
fn set_aside_old_data(
    need: &crate::start::membership::Need,
    myid: u32,
    now: std::time::Duration,
) -> Result<Vec<PathBuf>> {
    use crate::start::membership::SET_ASIDE_DIR;
    let stamp = format!("{}-server{myid}", crate::sys::clock::utc_stamp(now));
    let mut made = Vec::new();
    let mut roots = vec![(need.data_dir.clone(), true)];
    if need.data_log_dir != need.data_dir {
        roots.push((need.data_log_dir.clone(), false));
    }
    for (root, is_data) in roots {
        let mut entries = vec![root.join("version-2")];
        if is_data {
            let names = std::fs::read_dir(&root)
                .with_context(|| format!("failed to list {}", root.display()))?;
            for e in names.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n == "zoo.cfg" || n == "zoo.cfg.bak" || n.starts_with("zoo.cfg.dynamic.") {
                    entries.push(e.path());
                }
            }
        }
        entries.retain(|p| std::fs::symlink_metadata(p).is_ok());
        if entries.is_empty() {
            continue;
        }
        let target = unique_dir(&root.join(SET_ASIDE_DIR), &stamp)?;
        for from in &entries {
            let to = target.join(from.file_name().unwrap_or_default());
            std::fs::rename(from, &to).with_context(|| {
                format!("failed to set {} aside to {}", from.display(), to.display())
            })?;
        }
        fs::sync_dir(&target)?;
        fs::sync_dir(&root)?;
        info!(
            "set aside {} entries of {} in {} (server {myid} was removed from the ensemble; nothing was deleted)",
            entries.len(),
            root.display(),
            target.display()
        );
        made.push(root.join(SET_ASIDE_DIR));
        made.push(target);
    }
    Ok(made)
}

/// Makes `parent/name` (or `parent/name.1`, `.2`, ... if taken) and
/// returns it: a set-aside never lands on an earlier one.
fn unique_dir(parent: &std::path::Path, name: &str) -> Result<PathBuf> {
    fs::create_dirs(parent, 0o770)?;
    for n in 0..1000u32 {
        let candidate = if n == 0 {
            parent.join(name)
        } else {
            parent.join(format!("{name}.{n}"))
        };
        match std::fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("failed to create {}", candidate.display()))
            }
        }
    }
    anyhow::bail!("no free name for {name} in {}", parent.display())
}

/// `<conf dir>/zoo.cfg` -> the zoo.cfg on the data volume: people, the
/// probes and zkServer.sh find ZooKeeper's config where they always did.
/// Replaced atomically (a link made aside, renamed over the old name).
fn link_conf_zoo_cfg(plan: &Plan) -> Result<()> {
    let link = plan.conf_dir.join("zoo.cfg");
    let target = plan.zoo_cfg();
    if link == target {
        return Ok(());
    }
    let tmp = plan
        .conf_dir
        .join(format!(".zoo.cfg.zkpod-{}.lnk", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(&target, &tmp)
        .with_context(|| format!("failed to link {} to {}", tmp.display(), target.display()))?;
    std::fs::rename(&tmp, &link)
        .with_context(|| format!("failed to rename {} to {}", tmp.display(), link.display()))?;
    fs::sync_dir(&plan.conf_dir)
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
        format!("cannot exec {}: {err}", cmd[0]),
        "the ZooKeeper JVM did not start",
        "check that the JRE in the image is complete and executable (run it with -version)",
    ))
}

/// `--dry-run`: prints every file that would be written, the dirs that
/// would be made, the chown and drop, and the command line.
pub fn print_dry_run(plan: &Plan, conf_files: &[FileSpec]) -> std::io::Result<()> {
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
    for (path, contents, _) in conf_files {
        writeln!(out, "==> {} <==", path.display())?;
        if plan.tls.as_ref().is_some_and(|t| &t.keystore == path) {
            // The private key is never printed.
            writeln!(
                out,
                "# (the private key and the certificate chain, mode 0600: not shown)"
            )?;
            continue;
        }
        out.write_all(contents)?;
    }
    if let Some((_, home)) = plan.env.iter().find(|(k, _)| k == "HOME") {
        writeln!(out, "# HOME={home}")?;
    }
    writeln!(out, "# command:\n{}", plan.command.join(" "))
}
