//! `zkpod status`: mode, zxid, connections and (on a leader) followers, as
//! text or `--json` (issue 3). A server that answers but is not serving is
//! reported as such and exits 0; one that does not answer exits 1 with the
//! probe's line.

use crate::cli::status::{StatusArgs, StatusCli};
use crate::cmd::{entry, open, Command, Entry, Name};
use crate::probe::status::ask_status;
use crate::sys::report::{fail, Code};
use crate::sys::stdout::emit;
use crate::tls::stores::REFUSED;

pub const ENTRIES: &[Entry] = &[entry::<StatusCli>()];

impl Command for StatusCli {
    const NAME: Name = Name::Sub("status");
    const FAILURE: Code = Code::Unhealthy;
    fn run(self) -> anyhow::Result<Code> {
        run(&self.args)
    }
}

/// Prints the status. Fails (exit 1) when the server cannot be reached, does
/// not allow `srvr`, or answers something that is not ZooKeeper's.
pub fn run(a: &StatusArgs) -> anyhow::Result<Code> {
    let (e, s) = open(&a.server)?;
    let mut status = ask_status(&e.to_string(), &mut |w| s.ask(w))
        .map_err(|r| fail(Code::Unhealthy, r.line(&e)))?;
    status.tls_refused = crate::sys::file::read_capped(
        &a.server.conf_dir.join(REFUSED),
        crate::sys::file::caps::TLS_RECORD,
    )
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim_end().to_string());
    let out = if a.json {
        status.render_json() + "\n"
    } else {
        status.render_text()
    };
    emit(out.as_bytes(), "the status")?;
    Ok(Code::Ok)
}
