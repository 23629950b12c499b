//! `zkpod start` (and the `start-zookeeper` / `start.sh` drop-ins): gather
//! the facts, plan, and only then write, drop root and exec the JVM.

use anyhow::{Context, Result};
use log::warn;

use crate::cli::start::{StartCli, StartScriptCli};
use crate::cmd::{entry, Command, Entry, Name};
use crate::start::{apply, facts, files, input::Input, peers, plan};
use crate::sys::host::RealHost;
use crate::sys::report::Code;

pub const ENTRIES: &[Entry] = &[entry::<StartCli>(), entry::<StartScriptCli>()];

impl Command for StartCli {
    const NAME: Name = Name::Sub("start");
    const FAILURE: Code = Code::Io;
    fn run(self) -> Result<Code> {
        run(&self.args.into_input("zkpod start"))
    }
}

impl Command for StartScriptCli {
    const NAME: Name = Name::DropIn(&["start-zookeeper", "start.sh"]);
    const FAILURE: Code = Code::Io;
    fn run(self) -> Result<Code> {
        // The drop-in name it was started as (start.sh, start-zookeeper).
        let name = std::env::args_os()
            .next()
            .and_then(|a| {
                std::path::Path::new(&a)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "start.sh".to_string());
        run(&self.args.into_input(&name))
    }
}

/// Runs `zkpod start`. Returns only on failure or after `--dry-run`.
pub fn run(input: &Input) -> Result<Code> {
    crate::sys::log::init();
    let facts = facts::gather(input, &RealHost)?;
    let mut warnings = Vec::new();
    let plan = plan::plan(input, &facts, &mut warnings);
    for w in &warnings {
        warn!("{w}");
    }
    let mut plan = plan?;
    if let Some(need) = &plan.membership {
        let decision = peers::decide(need)?;
        plan.settle(decision)?;
        if let Some(t) = &plan.tls {
            let d = plan.settings.dynamic.as_ref();
            if let Some(w) = crate::start::tls::exposure(t.plaintext, d, plan.myid) {
                warn!("{w}");
            }
        }
    }
    let files = files::render(&plan)?;
    if input.dry_run {
        apply::print_dry_run(&plan, &files).context("failed to print the dry run")?;
        return Ok(Code::Ok);
    }
    apply::apply(&plan, &files)?;
    match apply::exec(&plan)? {}
}
