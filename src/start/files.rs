//! The files a plan writes, rendered: zoo.cfg, java.env, java.security and
//! ZooKeeper's logging config in the conf dir, and myid on the volume. Pure:
//! each file comes from the encoder of its format (`config::properties`,
//! `config::shell`, `config::xml`), never from pasted strings.

use anyhow::Result;

use crate::config::{jvm, zoocfg};
use crate::start::plan::Plan;
use crate::start::volume;
use crate::sys::fs::FileSpec;

/// The conf files, in the order they are written and printed.
///
/// Fails (exit code 4) only if an encoder refuses a value that the plan's
/// checks let through (a guard: the checks refuse control characters first).
pub fn conf_files(plan: &Plan) -> Result<Vec<FileSpec>> {
    Ok(vec![
        (
            plan.zoo_cfg(),
            zoocfg::render(&plan.settings, plan.release())?.into_bytes(),
            0o644,
        ),
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
    ])
}

/// myid, when the plan writes one (none when myid is kept).
pub fn myid_file(plan: &Plan) -> Option<FileSpec> {
    volume::myid_file(&plan.myid_action, &plan.data_dir, plan.myid)
}
