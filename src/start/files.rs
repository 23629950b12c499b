//! The files a plan writes, rendered: zoo.cfg, java.env, java.security and
//! ZooKeeper's logging config in the conf dir, and myid (with the backup of
//! a replaced one) on the volume. Pure.

use crate::config::{jvm, zoocfg};
use crate::start::plan::Plan;
use crate::start::volume;
use crate::sys::fs::FileSpec;

/// The conf files, in the order they are written and printed.
pub fn conf_files(plan: &Plan) -> Vec<FileSpec> {
    vec![
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
    ]
}

/// myid, and for a replacement first a backup `myid.bak-<unix seconds>` of
/// the old file; none when myid is kept.
pub fn myid_files(plan: &Plan, now_secs: u64) -> Vec<FileSpec> {
    volume::files(&plan.myid_action, &plan.data_dir, plan.myid, now_secs)
}
