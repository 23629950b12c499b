//! `zkpod cli [ARGS...]` and the `zkCli.sh` / `zkCli` drop-ins: ZooKeeper's
//! command-line client, exec'd (`zkcli::plan` decides what).

use std::convert::Infallible;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;

use log::warn;

use crate::cli::server::script_server;
use crate::cli::zkcli::{ZkCliCli, ZkCliScriptCli};
use crate::cmd::{endpoint, Entry, Name};
use crate::sys::host::RealHost;
use crate::sys::report::{diagnose, Code};
use crate::zkcli::{facts, plan};

/// Raw entries: clap would take a leading `--` as its own end-of-options
/// marker; the client gets argv exactly (the clap types serve `--help`).
pub const ENTRIES: &[Entry] = &[
    Entry {
        name: Name::Sub("cli"),
        failure: Code::Io,
        run: run_raw,
        command: <ZkCliCli as clap::CommandFactory>::command,
    },
    Entry {
        name: Name::DropIn(&["zkCli.sh", "zkCli"]),
        failure: Code::Io,
        run: run_raw,
        command: <ZkCliScriptCli as clap::CommandFactory>::command,
    },
];

/// `argv` as `cmd::find` hands it over: the program name (`zkpod cli`, or
/// the drop-in's argv[0]), then ZooKeeperMain's arguments.
fn run_raw(argv: &[OsString]) -> anyhow::Result<Code> {
    match run(argv.get(1..).unwrap_or_default())? {}
}

/// Execs java with ZooKeeperMain; returns only on failure: java missing
/// (127) or not executable (126), no ZooKeeper jars (7), a bad
/// ZK_CLIENT_HEAP (4). Once exec'd, the exit code is ZooKeeperMain's.
pub fn run(args: &[OsString]) -> anyhow::Result<Infallible> {
    crate::sys::log::init();
    let server = script_server(None);
    // Without a readable zoo.cfg (not a zkpod pod), ZooKeeperMain's own
    // default, as zkCli.sh has it.
    let address = endpoint(&server)
        .map(|e| e.to_string())
        .unwrap_or_else(|_| "localhost:2181".to_string());
    let facts = facts::gather(&RealHost, server.conf_dir, address);
    let exec = plan(args, &facts)?;
    for w in &exec.warnings {
        warn!("{w}");
    }
    let err = std::process::Command::new(&exec.argv[0])
        .args(&exec.argv[1..])
        .exec();
    let code = if err.kind() == std::io::ErrorKind::NotFound {
        Code::NotFound
    } else {
        Code::NotExecutable
    };
    Err(diagnose(
        code,
        format!("cannot exec {}: {err}", exec.argv[0].to_string_lossy()),
        "ZooKeeper's client did not start",
        "check that the JRE in the image is complete and executable (run it with -version)",
    ))
}
