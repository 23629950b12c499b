//! The files a plan writes, rendered: zoo.cfg (in the conf dir, or on the
//! data volume with dynamic membership, the conf dir then holding a symlink
//! to it), java.env, java.security and ZooKeeper's logging config in the
//! conf dir, and myid on the volume; with dynamic membership also the
//! dynamic config file the start decided on and the superuser digest's
//! argument file; and `membership.properties`, the start's record for the
//! hooks. Pure: each file comes from the encoder of its format
//! (`config::properties`, `config::shell`, `config::xml`,
//! `config::argfile`), never from pasted strings.
//!
//! The files are grouped by where they live, because `start::apply`
//! writes the groups at different moments (issue 8, all or nothing): the
//! conf dir's before the volume is locked, the volume's under the lock,
//! the record last.

use std::path::PathBuf;

use anyhow::Result;

use crate::config::{argfile, jvm, zoocfg};
use crate::membership::local::{self, Local};
use crate::start::plan::Plan;
use crate::start::volume;
use crate::sys::fs::FileSpec;
use crate::sys::report::{diagnose, Code};

/// Every file a start writes, by where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    /// In the conf dir (the pod's own): java.env, java.security, the
    /// logging config, the digest's argument file, and zoo.cfg itself with
    /// a static server list.
    pub conf: Vec<FileSpec>,
    /// `<conf dir>/zoo.cfg` as a symlink (path, target) to the zoo.cfg on
    /// the volume (dynamic membership).
    pub link: Option<(PathBuf, PathBuf)>,
    /// On the data volume, besides myid: the zoo.cfg ZooKeeper runs with
    /// and the dynamic config file it names (dynamic membership).
    pub volume: Vec<FileSpec>,
    /// `membership.properties`: what the hooks act on, naming this process.
    pub record: FileSpec,
}

impl Files {
    /// Every file, in the order they are printed by `--dry-run`.
    pub fn all(&self) -> impl Iterator<Item = &FileSpec> {
        self.volume
            .iter()
            .chain(&self.conf)
            .chain(std::iter::once(&self.record))
    }
}

/// The files of the plan, grouped.
///
/// Fails (exit code 4) only if an encoder refuses a value that the plan's
/// checks let through (a guard: the checks refuse control characters first).
pub fn render(plan: &Plan) -> Result<Files> {
    let zoo_cfg = (
        plan.zoo_cfg(),
        zoocfg::render(&plan.settings, plan.release())?.into_bytes(),
        0o644,
    );
    let mut conf = Vec::new();
    let mut volume = Vec::new();
    let mut link = None;
    if plan.membership.is_some() {
        // ZooKeeper writes each committed configuration next to the zoo.cfg
        // it runs with; the dynamic file comes first so that zoo.cfg never
        // names a file that is not there yet.
        if let Some((path, config)) = plan.settled.as_ref().and_then(|s| s.write.as_ref()) {
            volume.push((path.clone(), config.render_file()?.into_bytes(), 0o644));
        }
        let conf_zoo_cfg = zoocfg::path(&plan.conf_dir);
        if conf_zoo_cfg != zoo_cfg.0 {
            link = Some((conf_zoo_cfg, zoo_cfg.0.clone()));
        }
        volume.push(zoo_cfg);
    } else {
        conf.push(zoo_cfg);
    }
    conf.extend([
        (
            plan.conf_dir.join("java.env"),
            jvm::render_java_env(plan.heap_mib, &plan.jvm_flags).into_bytes(),
            0o644,
        ),
        (
            plan.java_security(),
            jvm::render_java_security(plan.dns_ttl, plan.dns_negative_ttl)?.into_bytes(),
            0o644,
        ),
        (
            plan.log_config(),
            plan.install.backend.render(plan.log_level)?.into_bytes(),
            0o644,
        ),
    ]);
    if let Some(t) = &plan.tls {
        // --tls-dir: the trust store, the key store (0600; apply chowns it
        // to the ZooKeeper user) and tls.source, in the conf dir.
        conf.extend(t.files.iter().cloned());
    }
    if let Some(s) = &plan.superuser {
        if let Some(file) = &s.argfile {
            // Readable by the ZooKeeper user only (apply chowns it to them).
            let text = argfile::render(std::slice::from_ref(&s.flag)).map_err(|r| {
                diagnose(
                    Code::Config,
                    format!("the superuser digest's JVM flag {r}"),
                    "it cannot go into the JVM's argument file",
                    "report this as a bug in zkpod: the digest is base64",
                )
            })?;
            conf.push((file.clone(), text.into_bytes(), 0o600));
        }
    }
    let written = local::Written {
        pid: plan.process.0,
        started: plan.process.1,
        member: local_member(plan),
    };
    let record = (
        plan.conf_dir.join(local::FILE),
        written.render()?.into_bytes(),
        0o644,
    );
    Ok(Files {
        conf,
        link,
        volume,
        record,
    })
}

/// What `zkpod join` and `leave` need to know about this server.
pub fn local_member(plan: &Plan) -> Option<Local> {
    let need = plan.membership.as_ref()?;
    let (_, set, ordinal) = plan.pod.as_ref()?;
    let d = plan.settings.dynamic.as_ref();
    let client_port = d.map_or(need.client.port, |d| d.client_port);
    let client_host = d
        .and_then(|d| d.client_address.clone())
        .or_else(|| need.client.address.clone())
        .filter(|a| a != "0.0.0.0" && a != "::")
        .unwrap_or_else(|| "127.0.0.1".to_string());
    Some(Local {
        server: need.me.clone(),
        zoo_cfg: need.zoo_cfg(),
        client_host,
        client_port,
        password_file: plan.superuser.as_ref().and(plan.password_file.clone()),
        stateful_set: set.clone(),
        ordinal: *ordinal,
        id_offset: plan.id_offset,
    })
}

/// myid, when the plan writes one (none when myid is kept).
pub fn myid_file(plan: &Plan) -> Option<FileSpec> {
    volume::myid_file(&plan.myid_action, &plan.data_dir, plan.myid)
}
