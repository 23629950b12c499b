//! zkpod: the entrypoint and exec probe for Apache ZooKeeper in Kubernetes.
//!
//! `main` only parses, dispatches on the subcommand (or on argv[0] for the
//! drop-in script names), prints an error once as `zkpod: <chain>` and exits
//! with its documented code (see `exit::Code` and the README).

use std::ffi::OsString;

use clap::{CommandFactory, Parser};

use zkpod::cli::{self, Cli, Command, Personality, ProbeKind};
use zkpod::cmd;
use zkpod::sys::report::{self, Code};

fn main() {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let argv0 = argv
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let who = cli::personality(&argv0);
    // The drop-in names exit 1 on every failure, as the scripts they replace
    // did; only `java` missing (127) / not executable (126) keep their codes.
    let script = who != Personality::Zkpod;

    let (result, default) = match who {
        Personality::Zkpod => {
            let sub = argv.get(1).and_then(|a| a.to_str()).unwrap_or("");
            let mut rest = argv.clone();
            if rest.len() > 1 {
                // "zkpod probe live ..." -> bin name "zkpod probe", args "live ...".
                rest.remove(0);
                rest[0] = format!("zkpod {sub}").into();
            }
            let command = match sub {
                "start" => Command::Start(Box::new(parse::<cli::StartCli>(rest, false).args)),
                "probe" => Command::Probe(cli::ProbeArgs {
                    kind: parse::<cli::ProbeCli>(rest, false).kind,
                }),
                "status" => Command::Status(parse::<cli::StatusCli>(rest, false).args),
                "metrics" => Command::Metrics(parse::<cli::MetricsCli>(rest, false).args),
                "4lw" => Command::FourLw(parse::<cli::FourLwCli>(rest, false).args),
                _ => parse::<Cli>(argv, false).command,
            };
            run(command)
        }
        Personality::StartScript => {
            let c = parse::<cli::StartScriptCli>(argv, true);
            (cmd::start::run(&c.args), Code::Io)
        }
        Personality::ReadyScript => {
            let c = parse::<cli::ReadyScriptCli>(argv, true);
            (cmd::probe::ready_script(&c.server()), Code::Unhealthy)
        }
        Personality::MetricsScript => {
            let c = parse::<cli::MetricsScriptCli>(argv, true);
            (cmd::metrics::script(&c.server()), Code::Unhealthy)
        }
    };

    let code = match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("zkpod: {err:#}");
            report::code_of(&err, default)
        }
    };
    let code = match code {
        Code::Ok | Code::NotFound | Code::NotExecutable => code,
        _ if script => Code::Unhealthy,
        _ => code,
    };
    std::process::exit(code.as_i32());
}

/// Runs a subcommand; returns its result and the exit code for an error
/// that carries none of its own.
fn run(command: Command) -> (anyhow::Result<Code>, Code) {
    match command {
        Command::Start(args) => (cmd::start::run(&args), Code::Io),
        Command::Probe(p) => (
            match p.kind {
                ProbeKind::Live(a) => cmd::probe::live(&a),
                ProbeKind::Ready(a) => cmd::probe::ready(&a),
                ProbeKind::Startup(a) => cmd::probe::startup(&a),
            },
            Code::Unhealthy,
        ),
        Command::Status(a) => (cmd::status::run(&a), Code::Unhealthy),
        Command::Metrics(a) => (cmd::metrics::run(&a), Code::Unhealthy),
        Command::FourLw(a) => (cmd::fourlw::run(&a), Code::Unhealthy),
    }
}

/// Parses argv; on a usage error prints one `zkpod:` line (naming the
/// environment variable when the bad value came from one) and exits 2, or 1
/// for the drop-in script names (the scripts exited 1 on unknown options).
fn parse<P: Parser + CommandFactory>(argv: Vec<OsString>, script: bool) -> P {
    match P::try_parse_from(&argv) {
        Ok(p) => p,
        Err(e) if e.exit_code() == 0 => {
            let _ = e.print();
            std::process::exit(0);
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            std::process::exit(if script { Code::Unhealthy } else { Code::Usage }.as_i32());
        }
        Err(e) => {
            eprintln!("zkpod: {}", cli::usage_error_line(&P::command(), &e, &argv));
            let code = if script { Code::Unhealthy } else { Code::Usage };
            std::process::exit(code.as_i32());
        }
    }
}
