//! The files a plan writes, rendered: zoo.cfg (in the conf dir, or on the
//! data volume with dynamic membership), java.env, java.security and
//! ZooKeeper's logging config in the conf dir, and myid (with the backup of
//! a replaced one) on the volume; with dynamic membership also the dynamic
//! config file the start decided on, `membership.properties`, and the
//! superuser digest's argument file. Pure.

use crate::config::{jvm, zoocfg};
use crate::membership::local::{self, Local};
use crate::start::plan::Plan;
use crate::start::volume;
use crate::sys::fs::FileSpec;

/// The conf files, in the order they are written and printed.
pub fn conf_files(plan: &Plan) -> Vec<FileSpec> {
    let mut files = vec![
        (
            plan.zoo_cfg(),
            zoocfg::render(&plan.settings, plan.release()).into_bytes(),
            0o644,
        ),
        (
            plan.conf_dir.join("java.env"),
            jvm::render_java_env(plan.heap_mib, &plan.jvm_flags).into_bytes(),
            0o644,
        ),
        (
            plan.java_security(),
            jvm::render_java_security(plan.dns_ttl, plan.dns_negative_ttl).into_bytes(),
            0o644,
        ),
        (
            plan.log_config(),
            plan.install.backend.render(plan.log_level).into_bytes(),
            0o644,
        ),
    ];
    if let Some((path, text)) = plan.settled.as_ref().and_then(|s| s.write.as_ref()) {
        files.push((path.clone(), text.clone().into_bytes(), 0o644));
    }
    let written = local::Written {
        pid: plan.process.0,
        started: plan.process.1,
        member: local_member(plan),
    };
    files.push((
        plan.conf_dir.join(local::FILE),
        written.render().into_bytes(),
        0o644,
    ));
    if let Some(t) = &plan.tls {
        // Mode 0600 for the key store: apply chowns it to the ZooKeeper user.
        files.extend(t.files.iter().cloned());
    }
    if let Some(s) = &plan.superuser {
        if let Some(file) = &s.argfile {
            // Readable by the ZooKeeper user only (apply chowns it to them).
            files.push((file.clone(), format!("{}\n", s.flag).into_bytes(), 0o600));
        }
    }
    files
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

/// myid, and for a replacement first a backup `myid.bak-<unix seconds>` of
/// the old file; none when myid is kept.
pub fn myid_files(plan: &Plan, now_secs: u64) -> Vec<FileSpec> {
    volume::files(&plan.myid_action, &plan.data_dir, plan.myid, now_secs)
}
