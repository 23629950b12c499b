//! Command-line interface: one clap args type per command, and the usage
//! errors.
//!
//! zkpod answers to several names (argv[0], through symlinks in the image):
//! `start-zookeeper` and `start.sh` take the flags of the tutorial scripts and
//! behave like `zkpod start`; `zookeeper-ready PORT`, `ready_live.sh PORT` and
//! `metrics.sh PORT` behave like the probe scripts of those names. Each
//! command and each drop-in name has a parser of its own: building clap's
//! full command tree (every start flag with its env var) was 58% of a probe's
//! instructions, so a probe builds only the probe's. The args types hand
//! plain values down; nothing below the command files imports this module.

pub mod fourlw;
pub mod membership;
pub mod metrics;
pub mod probe;
pub mod server;
pub mod start;
pub mod status;
pub mod zkcli;

use std::ffi::OsString;

use clap::Parser;

use crate::sys::report::Code;

/// Default configuration directory, as in the tutorial's start-zookeeper.
pub const DEFAULT_CONF_DIR: &str = "/opt/zookeeper/conf";

/// Parses `argv` with `P`; on a usage error prints one `zkpod:` line (naming
/// the environment variable when the bad value came from one) and exits 2,
/// or 1 for the drop-in names (the scripts exited 1 on unknown options).
pub fn parse<P: Parser>(argv: &[OsString], dropin: bool) -> P {
    match P::try_parse_from(argv) {
        Ok(p) => p,
        Err(e) => exit_on(&e, &P::command(), argv, dropin),
    }
}

/// Handles a clap error: help and version are printed (exit 0), the help
/// shown for a missing subcommand exits 2 (1 for a drop-in), any other error
/// becomes one `zkpod:` line.
pub fn exit_on(e: &clap::Error, cmd: &clap::Command, argv: &[OsString], dropin: bool) -> ! {
    let usage = if dropin { Code::Unhealthy } else { Code::Usage };
    if e.exit_code() == 0 {
        let _ = e.print();
        std::process::exit(0);
    }
    if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
        std::process::exit(usage.as_i32());
    }
    eprintln!(
        "zkpod: {}",
        crate::sys::report::one_line(&usage_error_line(cmd, e, argv))
    );
    std::process::exit(usage.as_i32())
}

/// Renders a clap usage error as one line. When the offending value came
/// from an environment variable (its flag is not on the command line), the
/// line names the variable, since that is where the fix goes.
pub fn usage_error_line(
    cmd: &clap::Command,
    err: &clap::Error,
    argv: &[std::ffi::OsString],
) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if err.kind() == ErrorKind::InvalidUtf8 {
        return invalid_utf8_line(cmd, argv);
    }
    let rendered = err.render().to_string();
    let first = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    let flag = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.split_whitespace().next().unwrap_or("").to_string(),
        _ => String::new(),
    };
    let on_cmdline = !flag.is_empty()
        && argv.iter().any(|a| {
            let a = a.to_string_lossy();
            a == flag.as_str() || a.starts_with(&format!("{flag}="))
        });
    let env = (!flag.is_empty() && !on_cmdline)
        .then(|| find_env(cmd, flag.trim_start_matches("--")))
        .flatten();
    match env {
        Some(var) => format!(
            "{first} (the value comes from the environment variable {var}). Fix: correct {var} in the container's env, or unset it"
        ),
        None => format!("{first}. Fix: see --help for the accepted values"),
    }
}

/// clap's "invalid UTF-8 was detected in one or more arguments" names
/// nothing: find the argument or the environment variable that holds the
/// bytes, so the line says what to fix.
fn invalid_utf8_line(cmd: &clap::Command, argv: &[OsString]) -> String {
    use std::os::unix::ffi::OsStrExt;
    let shown = |v: &std::ffi::OsStr| crate::sys::report::shown_bytes(v.as_bytes());
    let culprit = argv
        .iter()
        .skip(1)
        .find(|a| a.to_str().is_none())
        .map(|a| format!("the argument {} is not valid UTF-8", shown(a)));
    let culprit = culprit.or_else(|| {
        envs(cmd).into_iter().find_map(|var| {
            std::env::var_os(&var)
                .filter(|v| v.to_str().is_none())
                .map(|v| {
                    format!(
                        "the environment variable {var} holds {}, which is not valid UTF-8",
                        shown(&v)
                    )
                })
        })
    });
    match culprit {
        Some(c) => format!("{c}: zkpod reads names, addresses and settings as text. Fix: write the value in UTF-8 (plain ASCII for names and paths), or unset it"),
        None => "invalid UTF-8 was detected in one or more arguments. Fix: write every argument and ZOO_* variable in UTF-8".to_string(),
    }
}

/// Every environment variable the arguments of `cmd` read.
fn envs(cmd: &clap::Command) -> Vec<String> {
    let mut out: Vec<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .collect();
    for sub in cmd.get_subcommands() {
        out.extend(envs(sub));
    }
    out
}

fn find_env(cmd: &clap::Command, long: &str) -> Option<String> {
    cmd.get_arguments()
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .or_else(|| cmd.get_subcommands().find_map(|c| find_env(c, long)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::start::StartCli;
    use clap::CommandFactory;

    #[test]
    fn every_flag_env_pair_in_the_messages_table_is_clap_s() {
        use crate::cli::probe::ProbeCli;
        use crate::config::flags::FLAG_ENV;
        let mut clap_pairs = Vec::new();
        for cmd in [StartCli::command(), ProbeCli::command()] {
            let mut stack = vec![cmd];
            while let Some(c) = stack.pop() {
                for a in c.get_arguments() {
                    if let (Some(long), Some(env)) = (a.get_long(), a.get_env()) {
                        clap_pairs.push((format!("--{long}"), env.to_string_lossy().into_owned()));
                    }
                }
                stack.extend(c.get_subcommands().cloned());
            }
        }
        for (flag, env) in FLAG_ENV {
            assert!(
                clap_pairs.iter().any(|(f, e)| f == flag && e == env),
                "{flag} ({env}) is not how clap defines it"
            );
        }
        for (flag, env) in &clap_pairs {
            assert!(
                FLAG_ENV.iter().any(|(f, e)| f == flag && e == env),
                "{flag} ({env}) is missing from config::flags::FLAG_ENV"
            );
        }
    }

    #[test]
    fn usage_errors_name_the_environment_variable() {
        let argv: Vec<std::ffi::OsString> = ["zkpod start", "--client_port", "abc"]
            .iter()
            .map(Into::into)
            .collect();
        let err = StartCli::try_parse_from(&argv).unwrap_err();
        let line = usage_error_line(&StartCli::command(), &err, &argv);
        assert!(
            line.contains("invalid value 'abc' for '--client_port"),
            "{line}"
        );
        assert!(!line.contains("ZOO_CLIENT_PORT"), "{line}");
        assert!(!line.contains('\n'), "{line}");
        // Same value, but not on the command line: it came from the env.
        let line = usage_error_line(&StartCli::command(), &err, &argv[..1]);
        assert!(
            line.contains("environment variable ZOO_CLIENT_PORT"),
            "{line}"
        );
    }
}
