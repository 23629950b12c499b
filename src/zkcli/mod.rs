//! `zkpod cli` and the `zkCli.sh` drop-in: what to exec to run ZooKeeper's
//! command-line client (`org.apache.zookeeper.ZooKeeperMain`) inside the
//! image, which has no zkCli.sh (the tarball's scripts are not in Maven, and
//! they need bash). [`plan`] decides, purely, from [`Facts`]; `facts`
//! gathers them; `cmd::zkcli` execs the result.
//!
//! As zkCli.sh does: the same java and jars as the server (found the way
//! `zkpod start` finds them: `start::install`, the one place that knows
//! ZooKeeper's layouts), the conf dir first on the class path,
//! `-Xmx$ZK_CLIENT_HEAP` then `$CLIENT_JVMFLAGS $JVMFLAGS`, and every
//! argument passed through. Unlike it: `-server` defaults to this pod's own
//! client address (the one the probes ask) instead of localhost:2181, and the
//! client logs through the conf dir's logging config at WARN.

pub mod facts;

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::config::logging::{Backend, LEVEL_PROPERTY};
use crate::start::install::{self, JavaFound, Listings};
use crate::sys::report::{diagnose, Code, Warning};

/// ZooKeeper's command-line client.
pub const MAIN_CLASS: &str = "org.apache.zookeeper.ZooKeeperMain";

/// The client's heap in MiB when `ZK_CLIENT_HEAP` is unset. zkEnv.sh's is
/// 256; the client runs inside the server's container and under its memory
/// limit, and needs far less.
pub const DEFAULT_HEAP_MIB: u64 = 64;

/// The environment variables zkCli.sh reads, as found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientEnv {
    /// `ZK_CLIENT_HEAP`: the heap in MiB.
    pub heap: Option<String>,
    /// `CLIENT_JVMFLAGS`.
    pub client_jvm_flags: Option<String>,
    /// `JVMFLAGS`.
    pub jvm_flags: Option<String>,
}

/// Everything [`plan`] decides from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Where ZooKeeper's jars were looked for, and what was there.
    pub install: Listings,
    pub java: JavaFound,
    /// `ZOO_CONF_DIR`: where zkpod start wrote zoo.cfg and the logging config.
    pub conf_dir: PathBuf,
    /// The file names in the conf dir (empty when it cannot be read).
    pub conf_names: Vec<String>,
    /// This pod's client address, `host:port`, as the probes find it.
    pub server: String,
    pub env: ClientEnv,
}

/// What to exec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exec {
    pub argv: Vec<OsString>,
    pub warnings: Vec<Warning>,
}

/// The java command line that runs ZooKeeperMain with `args`.
///
/// Fails with exit code 127 when java is not found and 126 when it cannot be
/// executed (as the shells and tini), 7 when no ZooKeeper jars (or no logging
/// binding) are found, 4 when `ZK_CLIENT_HEAP` is not a number of MiB.
pub fn plan(args: &[OsString], f: &Facts) -> Result<Exec> {
    let install = install::discover(&f.install)?;
    let java = install::check_java(&f.java)?;
    let heap = heap_mib(f.env.heap.as_deref())?;
    let mut warnings = Vec::new();

    let mut argv: Vec<OsString> = vec![java.into(), format!("-Xmx{heap}m").into()];
    argv.extend(logging_flags(
        install.backend,
        &f.conf_dir,
        &f.conf_names,
        &mut warnings,
    ));
    // Unquoted in zkCli.sh, so split on whitespace as the shell does.
    for flags in [&f.env.client_jvm_flags, &f.env.jvm_flags] {
        argv.extend(
            flags
                .as_deref()
                .unwrap_or("")
                .split_whitespace()
                .map(OsString::from),
        );
    }
    let mut cp = vec![f.conf_dir.display().to_string()];
    cp.extend(install.jars.iter().cloned());
    argv.push("-cp".into());
    argv.push(cp.join(":").into());
    argv.push(MAIN_CLASS.into());
    if !names_server(args) {
        argv.push("-server".into());
        argv.push(f.server.clone().into());
    }
    argv.extend(args.iter().cloned());
    Ok(Exec { argv, warnings })
}

/// Whether ZooKeeperMain will take a `-server` from `args`: its option
/// parser (`MyCommandOptions.parseOptions`) reads options up to the first
/// word that does not start with `-` (the command); `-timeout` and
/// `-client-configuration` take a value; unknown options are ignored. A
/// `-server` after the command is one of the command's arguments.
pub fn names_server(args: &[OsString]) -> bool {
    let mut it = args.iter().map(|a| a.as_bytes());
    while let Some(opt) = it.next() {
        match opt {
            b"-server" => return true,
            b"-timeout" | b"-client-configuration" => {
                it.next();
            }
            _ if !opt.starts_with(b"-") => return false,
            _ => {}
        }
    }
    false
}

/// `ZK_CLIENT_HEAP` in MiB, as zkEnv.sh takes it (`-Xmx${ZK_CLIENT_HEAP}m`).
fn heap_mib(value: Option<&str>) -> Result<u64> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(DEFAULT_HEAP_MIB);
    };
    match v.parse::<u64>() {
        Ok(n) if (16..=65536).contains(&n) => Ok(n),
        _ => Err(diagnose(
            Code::Config,
            format!("ZK_CLIENT_HEAP={v} is not a heap size in MiB between 16 and 65536"),
            "the client's JVM would not start with it (zkCli.sh passes it as -Xmx<value>m)",
            format!("set ZK_CLIENT_HEAP to a number of MiB, e.g. ZK_CLIENT_HEAP={DEFAULT_HEAP_MIB}, or unset it"),
        )),
    }
}

/// The conf dir's logging config for the installation's backend, at WARN;
/// when zkpod start has not written one there, a warning and none.
fn logging_flags(
    backend: Backend,
    conf_dir: &Path,
    names: &[String],
    warnings: &mut Vec<Warning>,
) -> Vec<OsString> {
    let file = backend.file_name();
    if names.iter().any(|n| n == file) {
        let path = conf_dir.join(file);
        return vec![
            backend.jvm_flag(&path.display().to_string()).into(),
            format!("-D{LEVEL_PROPERTY}=WARN").into(),
        ];
    }
    let defaults = match backend {
        Backend::Logback => "logback's default: every DEBUG line on the console",
        Backend::Log4j => "log4j's default: a warning that it has no appenders, then nothing",
    };
    warnings.push(Warning::new(
        format!("no {file} in {} (zkpod start writes it there)", conf_dir.display()),
        format!("the client logs with {defaults}"),
        "run it in a container that zkpod start started, or set ZOO_CONF_DIR to that container's conf dir",
    ));
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::report::code_of;

    fn os(a: &[&str]) -> Vec<OsString> {
        a.iter().map(Into::into).collect()
    }

    fn s(a: &[&str]) -> Vec<String> {
        a.iter().map(|x| x.to_string()).collect()
    }

    /// The default image: ZooKeeper 3.9 from Maven in /opt/zookeeper, the
    /// jlink runtime, and the conf dir zkpod start wrote.
    fn image() -> Facts {
        Facts {
            install: Listings {
                explicit: None,
                homes: vec![(
                    PathBuf::from("/opt/zookeeper"),
                    s(&["lib", "conf"]),
                    s(&[
                        "zookeeper-3.9.4.jar",
                        "zookeeper-jute-3.9.4.jar",
                        "slf4j-api-2.0.13.jar",
                        "logback-classic-1.3.15.jar",
                        "logback-core-1.3.15.jar",
                    ]),
                )],
                debian: None,
            },
            java: JavaFound {
                path_env: Some("/usr/local/bin:/opt/java/bin".into()),
                path: Some("/opt/java/bin/java".into()),
                executable: true,
                ..JavaFound::default()
            },
            conf_dir: "/opt/zookeeper/conf".into(),
            conf_names: s(&["zoo.cfg", "logback.xml", "java.env"]),
            server: "10.244.0.7:2181".into(),
            env: ClientEnv::default(),
        }
    }

    const CP: &str = "/opt/zookeeper/conf:/opt/zookeeper/lib/logback-classic-1.3.15.jar:/opt/zookeeper/lib/logback-core-1.3.15.jar:/opt/zookeeper/lib/slf4j-api-2.0.13.jar:/opt/zookeeper/lib/zookeeper-3.9.4.jar:/opt/zookeeper/lib/zookeeper-jute-3.9.4.jar";

    #[test]
    fn the_tutorial_command_in_the_default_image() {
        let e = plan(&os(&["create", "/hello", "world"]), &image()).unwrap();
        assert_eq!(
            e.argv,
            os(&[
                "/opt/java/bin/java",
                "-Xmx64m",
                "-Dlogback.configurationFile=/opt/zookeeper/conf/logback.xml",
                "-Dzookeeper.console.threshold=WARN",
                "-cp",
                CP,
                MAIN_CLASS,
                "-server",
                "10.244.0.7:2181",
                "create",
                "/hello",
                "world",
            ])
        );
        assert!(e.warnings.is_empty());
    }

    #[test]
    fn a_given_server_and_the_environment_are_kept() {
        let mut f = image();
        f.env = ClientEnv {
            heap: Some("128".into()),
            client_jvm_flags: Some(" -Dzookeeper.sasl.client=false ".into()),
            jvm_flags: Some("-Da=1  -Db=2".into()),
        };
        let args = os(&["-timeout", "3000", "-server", "zk-1.zk-hs:2181", "ls", "/"]);
        let e = plan(&args, &f).unwrap();
        let want: Vec<OsString> = os(&[
            "/opt/java/bin/java",
            "-Xmx128m",
            "-Dlogback.configurationFile=/opt/zookeeper/conf/logback.xml",
            "-Dzookeeper.console.threshold=WARN",
            "-Dzookeeper.sasl.client=false",
            "-Da=1",
            "-Db=2",
            "-cp",
            CP,
            MAIN_CLASS,
        ])
        .into_iter()
        .chain(args)
        .collect();
        assert_eq!(e.argv, want);
    }

    #[test]
    fn which_arguments_name_a_server() {
        let yes: [&[&str]; 4] = [
            &["-server", "h:1"],
            &["-r", "-server", "h:1", "ls", "/"],
            &["-timeout", "5", "-server", "h:1"],
            &["-bogus", "-server", "h:1"],
        ];
        for a in yes {
            assert!(names_server(&os(a)), "{a:?}");
        }
        let no: [&[&str]; 6] = [
            &[],
            &["ls", "/"],
            &["create", "/x", "-server"],
            // -timeout's value is "-server", not an option.
            &["-timeout", "-server", "ls"],
            &["-client-configuration", "-server"],
            &["-waitforconnection", "get", "/a"],
        ];
        for a in no {
            assert!(!names_server(&os(a)), "{a:?}");
        }
    }

    /// Debian's package (the image's ZK_SOURCE=debian variant): log4j 1.2.
    #[test]
    fn debians_zookeeper_jar_with_log4j() {
        let mut f = image();
        f.install = Listings {
            explicit: None,
            homes: vec![
                (PathBuf::from("/opt/zookeeper"), s(&["conf"]), vec![]),
                (PathBuf::from("/usr/share/zookeeper"), vec![], vec![]),
            ],
            debian: Some(s(&["zookeeper.jar", "slf4j-log4j12.jar", "log4j-1.2.jar"])),
        };
        f.java.path = Some("/usr/bin/java".into());
        f.conf_names = s(&["zoo.cfg", "log4j.properties"]);
        let e = plan(&os(&["get", "/hello"]), &f).unwrap();
        assert_eq!(
            e.argv[..6],
            os(&[
                "/usr/bin/java",
                "-Xmx64m",
                "-Dlog4j.configuration=file:/opt/zookeeper/conf/log4j.properties",
                "-Dzookeeper.console.threshold=WARN",
                "-cp",
                "/opt/zookeeper/conf:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar",
            ])[..]
        );
    }

    #[test]
    fn no_logging_config_is_a_warning() {
        let mut f = image();
        f.conf_names = vec![];
        let e = plan(&os(&["ls", "/"]), &f).unwrap();
        assert!(!e
            .argv
            .iter()
            .any(|a| a.to_string_lossy().starts_with("-Dlogback")));
        let w = e.warnings[0].to_string();
        assert_eq!(
            w,
            "no logback.xml in /opt/zookeeper/conf (zkpod start writes it there): the client logs with logback's default: every DEBUG line on the console. Fix: run it in a container that zkpod start started, or set ZOO_CONF_DIR to that container's conf dir"
        );
    }

    #[test]
    fn no_java_is_127_and_not_executable_is_126() {
        let mut f = image();
        f.java = JavaFound {
            path_env: Some("/usr/local/bin:/usr/bin".into()),
            ..JavaFound::default()
        };
        let e = plan(&os(&["ls", "/"]), &f).unwrap_err();
        assert_eq!(code_of(&e, Code::Io), Code::NotFound);
        assert!(e
            .to_string()
            .starts_with("java not found: looked for java on PATH (/usr/local/bin:/usr/bin)"));
        f.java.path = Some("/opt/java/bin/java".into());
        let e = plan(&os(&["ls", "/"]), &f).unwrap_err();
        assert_eq!(code_of(&e, Code::Io), Code::NotExecutable);
    }

    #[test]
    fn no_jars_is_7() {
        let mut f = image();
        f.install = Listings {
            explicit: None,
            homes: vec![],
            debian: Some(vec![]),
        };
        let e = plan(&os(&["ls", "/"]), &f).unwrap_err();
        assert_eq!(code_of(&e, Code::Io), Code::Install);
        assert!(
            e.to_string().starts_with("ZooKeeper not found: no zookeeper-<version>.jar in /opt/zookeeper or /usr/share/zookeeper"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_heap_is_4() {
        let mut f = image();
        for bad in ["1g", "256m", "0", "-1", "9999999"] {
            f.env.heap = Some(bad.into());
            let e = plan(&os(&["ls", "/"]), &f).unwrap_err();
            assert_eq!(code_of(&e, Code::Io), Code::Config, "{bad}");
            assert!(
                e.to_string().starts_with(&format!(
                    "ZK_CLIENT_HEAP={bad} is not a heap size in MiB between 16 and 65536"
                )),
                "{e}"
            );
            assert!(e
                .to_string()
                .contains("Fix: set ZK_CLIENT_HEAP to a number of MiB, e.g. ZK_CLIENT_HEAP=64"));
        }
        f.env.heap = Some(" ".into());
        assert_eq!(plan(&[], &f).unwrap().argv[1], OsString::from("-Xmx64m"));
    }

    #[test]
    fn non_utf8_arguments_pass_through() {
        use std::os::unix::ffi::OsStringExt;
        let odd = OsString::from_vec(vec![b'/', 0xff, b'x']);
        let e = plan(&[OsString::from("get"), odd.clone()], &image()).unwrap();
        assert_eq!(e.argv.last(), Some(&odd));
    }
}
