//! The commands: one file per subcommand, each a short function that takes
//! its parsed arguments, calls the layers that decide and render, and does
//! the I/O; and the one dispatch table `main` runs them through.
//!
//! A command file implements [`Command`] for its args types (a subcommand,
//! and any drop-in name that behaves like it) and lists them in its
//! `ENTRIES`. Adding a subcommand means adding its args type (`cli/`) and
//! its command file (here, named in `commands!` below): nothing else.

use std::ffi::OsString;
use std::path::Path;

use crate::cli::server::ServerArgs;
use crate::client::{Endpoint, Session};
use crate::config::zoocfg;
use crate::sys::report::Code;

/// How a command is invoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name {
    /// `zkpod <name> ...`.
    Sub(&'static str),
    /// A drop-in for a tutorial script: argv[0]'s file name is one of these.
    /// A drop-in exits 1 on every failure, as the scripts did.
    DropIn(&'static [&'static str]),
}

/// A command: the clap parser of just its arguments, and what runs it.
pub trait Command: clap::Parser {
    const NAME: Name;
    /// The exit code of an error that carries none of its own.
    const FAILURE: Code;
    fn run(self) -> anyhow::Result<Code>;
}

/// One row of the dispatch table.
pub struct Entry {
    pub name: Name,
    pub failure: Code,
    /// Parses the arguments (a usage error exits here) and runs the command.
    pub run: fn(&[OsString]) -> anyhow::Result<Code>,
    /// The clap command, for `zkpod --help` and the consistency tests.
    pub command: fn() -> clap::Command,
}

impl Entry {
    pub fn is_dropin(&self) -> bool {
        matches!(self.name, Name::DropIn(_))
    }
}

/// The table row of command `C`.
pub const fn entry<C: Command>() -> Entry {
    Entry {
        name: C::NAME,
        failure: C::FAILURE,
        run: parse_and_run::<C>,
        command: <C as clap::CommandFactory>::command,
    }
}

fn parse_and_run<C: Command>(argv: &[OsString]) -> anyhow::Result<Code> {
    let dropin = matches!(C::NAME, Name::DropIn(_));
    crate::cli::parse::<C>(argv, dropin).run()
}

macro_rules! commands {
    ($($file:ident),* $(,)?) => {
        $(pub mod $file;)*
        /// Every command file's entries, in the order `zkpod --help` lists them.
        pub const TABLE: &[&[Entry]] = &[$($file::ENTRIES),*];
    };
}

commands!(start, join, probe, status, metrics, fourlw, zkcli);

/// The entry `argv` invokes (by argv[0]'s file name, else by the subcommand
/// in argv[1]) and the arguments to parse it with: for a subcommand, its
/// name joins the program name (`zkpod probe`) so that usage lines read
/// right. `None` for `zkpod --help`, `zkpod --version`, no or an unknown
/// subcommand.
pub fn find(argv: &[OsString]) -> Option<(&'static Entry, Vec<OsString>)> {
    let argv0 = argv
        .first()
        .map(|a| a.to_string_lossy())
        .unwrap_or_default();
    let name = Path::new(argv0.as_ref())
        .file_name()
        .map_or(argv0.clone(), |n| n.to_string_lossy());
    let entries = || TABLE.iter().flat_map(|e| e.iter());
    if let Some(e) =
        entries().find(|e| matches!(e.name, Name::DropIn(names) if names.contains(&name.as_ref())))
    {
        return Some((e, argv.to_vec()));
    }
    let sub = argv.get(1)?.to_str()?;
    let e = entries().find(|e| matches!(e.name, Name::Sub(n) if n == sub))?;
    let mut rest = argv[1..].to_vec();
    rest[0] = format!("zkpod {sub}").into();
    Some((e, rest))
}

/// `zkpod` itself: its help and version, built from the table. Parsing
/// only prints (help, version, a usage error) and exits; a subcommand that
/// parses is run through its entry.
pub fn top_level(argv: &[OsString]) -> anyhow::Result<Code> {
    let mut cmd = top_command();
    match cmd.try_get_matches_from_mut(argv) {
        Ok(m) => {
            let sub = m.subcommand_name().unwrap_or_default().to_string();
            let mut rest = vec![OsString::from("zkpod")];
            rest.push(sub.into());
            rest.extend(argv.iter().skip(2).cloned());
            match find(&rest) {
                Some((e, args)) => (e.run)(&args),
                None => Ok(Code::Usage),
            }
        }
        Err(e) => crate::cli::exit_on(&e, &cmd, argv, false),
    }
}

/// The `zkpod` clap command with every subcommand of the table.
pub fn top_command() -> clap::Command {
    let subs = TABLE
        .iter()
        .flat_map(|e| e.iter())
        .filter_map(|e| match e.name {
            Name::Sub(name) => Some((e.command)().name(name).disable_version_flag(true)),
            Name::DropIn(_) => None,
        });
    clap::Command::new("zkpod")
        .version(env!("CARGO_PKG_VERSION"))
        .about(env!("CARGO_PKG_DESCRIPTION"))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommands(subs)
}

/// The server the flags (and, for what they leave open, zoo.cfg) point at,
/// and a session with it. The session's deadline starts before zoo.cfg is
/// read, so `--timeout` covers everything the command reads.
///
/// With dynamic membership ZooKeeper drops clientPort and clientPortAddress
/// from zoo.cfg once its own line in the committed configuration names the
/// client endpoint; then `membership.properties` (zkpod start's record, read
/// as boundedly as zoo.cfg) names it, and zoo.cfg's other keys (its TLS
/// keys) still count.
///
/// Fails (exit 1) when zoo.cfg or membership.properties cannot be read or
/// says no usable port, when TLS is asked for without PEM material, or when
/// reading them alone took the whole deadline.
pub(crate) fn open(s: &ServerArgs) -> anyhow::Result<(Endpoint, Session)> {
    let started = std::time::Instant::now();
    let e = endpoint(s)?;
    if started.elapsed() >= s.timeout {
        return Err(crate::sys::report::diagnose(
            Code::Unhealthy,
            format!(
                "reading {} took longer than --timeout ({}ms)",
                crate::sys::report::path(&zoocfg::path(&s.conf_dir)),
                s.timeout.as_millis()
            ),
            "the probe ran out of time before it asked ZooKeeper (the volume or the node is stalled)",
            "pass --port and --host (ZOO_PROBE_PORT, ZOO_PROBE_HOST) so the probe reads no file, or check the node's I/O",
        ));
    }
    let session = Session::open_at(&e, started)?;
    Ok((e, session))
}

/// The server the flags (and, for what they leave open, zoo.cfg and
/// membership.properties) point at, without connecting: what [`open`] asks,
/// and the address `zkpod cli` hands ZooKeeper's client.
pub(crate) fn endpoint(s: &ServerArgs) -> anyhow::Result<Endpoint> {
    crate::probe::endpoint::resolve_read(&s.ask(), || {
        let path = zoocfg::path(&s.conf_dir);
        match zoocfg::read(&s.conf_dir) {
            Ok(Some(b)) if matches!(zoocfg::client_endpoint(&b), Ok((_, None))) => {
                match crate::membership::local::client_endpoint(&s.conf_dir) {
                    // zoo.cfg's keys, then the record's client endpoint.
                    Some((p, Ok(local))) => {
                        let mut both = b;
                        both.push(b'\n');
                        both.extend(local);
                        Some((p, Ok(both)))
                    }
                    Some(failed) => Some(failed),
                    None => Some((path, Ok(b))),
                }
            }
            Ok(Some(b)) => Some((path, Ok(b))),
            Ok(None) => crate::membership::local::client_endpoint(&s.conf_dir),
            Err(e) => Some((path, Err(e))),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<OsString> {
        a.iter().map(Into::into).collect()
    }

    fn name_of(a: &[&str]) -> Option<Name> {
        find(&argv(a)).map(|(e, _)| e.name)
    }

    #[test]
    fn clap_definitions_are_consistent() {
        top_command().debug_assert();
        for e in TABLE.iter().flat_map(|e| e.iter()) {
            let cmd = (e.command)();
            cmd.clone().debug_assert();
            // The clap name is how usage lines and errors name the command.
            let expected = match e.name {
                Name::Sub(s) => format!("zkpod {s}"),
                Name::DropIn(names) => names[0].to_string(),
            };
            assert_eq!(cmd.get_name(), expected);
        }
    }

    #[test]
    fn dispatch_by_subcommand_and_by_argv0() {
        assert_eq!(name_of(&["zkpod", "start"]), Some(Name::Sub("start")));
        assert_eq!(
            name_of(&["/bin/zkpod", "4lw", "srvr"]),
            Some(Name::Sub("4lw"))
        );
        let (_, rest) = find(&argv(&["zkpod", "probe", "live"])).unwrap();
        assert_eq!(rest, argv(&["zkpod probe", "live"]));
        for (a0, first) in [
            ("/usr/bin/start-zookeeper", "start-zookeeper"),
            ("start.sh", "start-zookeeper"),
            ("/usr/local/bin/zookeeper-ready", "zookeeper-ready"),
            ("ready_live.sh", "zookeeper-ready"),
            ("metrics.sh", "metrics.sh"),
            ("/usr/local/bin/zkCli.sh", "zkCli.sh"),
            ("zkCli", "zkCli.sh"),
        ] {
            match name_of(&[a0, "start"]) {
                Some(Name::DropIn(names)) => assert_eq!(names[0], first, "{a0}"),
                other => panic!("{a0}: {other:?}"),
            }
        }
        assert_eq!(name_of(&["zkpod-dev", "status"]), Some(Name::Sub("status")));
        assert_eq!(
            name_of(&["zkpod", "cli", "ls", "/"]),
            Some(Name::Sub("cli"))
        );
        // zkCli's arguments reach its command untouched, a leading `--` too.
        let (_, rest) = find(&argv(&["/usr/local/bin/zkCli.sh", "--", "-server", "h:1"])).unwrap();
        assert_eq!(
            rest,
            argv(&["/usr/local/bin/zkCli.sh", "--", "-server", "h:1"])
        );
        let (_, rest) = find(&argv(&["zkpod", "cli", "--", "ls", "--help"])).unwrap();
        assert_eq!(rest, argv(&["zkpod cli", "--", "ls", "--help"]));
        assert_eq!(name_of(&["zkpod"]), None);
        assert_eq!(name_of(&["zkpod", "--help"]), None);
        assert_eq!(name_of(&["zkpod", "bogus"]), None);
    }
}
