//! zkpod: the entrypoint and exec probe for Apache ZooKeeper in Kubernetes.
//!
//! `main` only finds the command in the one dispatch table (by argv[0] for
//! the drop-in script names, else by the subcommand), runs it, prints an
//! error once as `zkpod: <chain>` and exits with its documented code (see
//! `sys::report::Code` and the README).

use std::ffi::OsString;

use zkpod::cmd;
use zkpod::sys::report::{code_of, one_line, Code};

fn main() {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let (result, failure, dropin) = match cmd::find(&argv) {
        Some((entry, args)) => ((entry.run)(&args), entry.failure, entry.is_dropin()),
        None => (cmd::top_level(&argv), Code::Usage, false),
    };
    let code = match result {
        Ok(code) => code,
        Err(err) => {
            // One bounded line, whatever a value in the chain holds.
            eprintln!("zkpod: {}", one_line(&format!("{err:#}")));
            code_of(&err, failure)
        }
    };
    // The drop-in names exit 1 on every failure, as the scripts they replace
    // did; only `java` missing (127) / not executable (126) keep their codes.
    let code = match code {
        Code::Ok | Code::NotFound | Code::NotExecutable => code,
        _ if dropin => Code::Unhealthy,
        _ => code,
    };
    std::process::exit(code.as_i32());
}
