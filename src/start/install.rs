//! The ZooKeeper installation and the java that runs it: which jars (and
//! so which version and logging backend) the listed directories hold, which
//! java was found, and the command line. Pure: the directory listings and
//! the java lookup are facts (`start::facts`); `apply` execs the command.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::config::logging::{self, Backend};
use crate::config::version::Version;
use crate::sys::report::{diagnose, Code};

/// ZooKeeper's server entry point.
pub const MAIN_CLASS: &str = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

/// Where zkpod looks when neither --zk-home nor ZOO_HOME is given.
pub const DEFAULT_HOMES: [&str; 2] = ["/opt/zookeeper", "/usr/share/zookeeper"];
/// Debian's jar directory.
pub const DEBIAN_JAVA_DIR: &str = "/usr/share/java";

/// A ZooKeeper installation: its classpath, version and logging backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Install {
    /// Where it was found (for the log).
    pub location: String,
    pub version: Option<String>,
    /// Jar paths, in classpath order (the conf dir is prepended at launch).
    pub jars: Vec<String>,
    pub backend: Backend,
    /// Whether jetty, which ZooKeeper's AdminServer runs on, is installed
    /// (without it ZooKeeper logs "Unable to load jetty" and runs without
    /// the AdminServer).
    pub jetty: bool,
}

impl Install {
    /// The release, for what depends on it (the zoo.cfg keys it reads:
    /// `config::keys::Key::known_in`); `None` when no jar name says.
    pub fn release(&self) -> Option<Version> {
        self.version.as_deref().and_then(Version::parse)
    }

    /// Whether its jars include ZooKeeper's Prometheus metrics provider
    /// (`zookeeper-prometheus-metrics-<version>.jar`, 3.6+; Debian's
    /// package does not ship it).
    pub fn has_prometheus_provider(&self) -> bool {
        self.jars.iter().any(|j| {
            Path::new(j)
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| {
                    n.starts_with("zookeeper-prometheus-metrics") && n.ends_with(".jar")
                })
        })
    }
}

/// The version in a ZooKeeper server jar's file name (`zookeeper-3.8.4.jar`),
/// skipping its siblings (`zookeeper-jute-3.8.4.jar`).
pub fn jar_version(file_name: &str) -> Option<String> {
    let v = file_name.strip_prefix("zookeeper-")?.strip_suffix(".jar")?;
    let v = v.strip_suffix("-bin").unwrap_or(v);
    (v.starts_with(|c: char| c.is_ascii_digit()) && v.contains('.')).then(|| v.to_string())
}

/// Plans an upstream release layout: `home/lib/*.jar` (3.5+) and
/// `home/zookeeper-*.jar` (3.4). `top` and `lib` are the file names found
/// there. `None` when no ZooKeeper server jar is among them.
///
/// Fails (exit code 7) when the jars carry no logging binding.
pub fn plan_upstream(home: &Path, top: &[String], lib: &[String]) -> Result<Option<Install>> {
    let jar = |n: &&String| n.ends_with(".jar");
    let mut jars: Vec<String> = top
        .iter()
        .filter(jar)
        .map(|n| home.join(n).display().to_string())
        .collect();
    jars.extend(
        lib.iter()
            .filter(jar)
            .map(|n| home.join("lib").join(n).display().to_string()),
    );
    let version = top.iter().chain(lib).find_map(|n| jar_version(n));
    if version.is_none() && !top.iter().chain(lib).any(|n| n == "zookeeper.jar") {
        return Ok(None);
    }
    jars.sort();
    let names: Vec<&String> = top.iter().chain(lib).collect();
    let backend = logging::detect(&names)?;
    let jetty = names
        .iter()
        .any(|n| n.starts_with("jetty-server") && n.ends_with(".jar"));
    Ok(Some(Install {
        location: home.display().to_string(),
        version,
        jars,
        backend,
        jetty,
    }))
}

/// Plans Debian's layout: `/usr/share/java/zookeeper.jar`, whose manifest
/// pulls in its dependencies but no slf4j binding, plus the log4j 1.2
/// binding (without it ZooKeeper logs nothing), or logback if that is all
/// there is. `names` are the file names in the jar dir.
///
/// Fails (exit code 7) when no binding is installed.
pub fn plan_debian(dir: &Path, names: &[String]) -> Result<Option<Install>> {
    if !names.iter().any(|n| n == "zookeeper.jar") {
        return Ok(None);
    }
    let version = names.iter().find_map(|n| jar_version(n));
    let have = |n: &str| names.iter().any(|x| x == n);
    let (binding, backend): (&[&str], Backend) =
        if have("slf4j-log4j12.jar") && have("log4j-1.2.jar") {
            (&["slf4j-log4j12.jar", "log4j-1.2.jar"], Backend::Log4j)
        } else if have("logback-classic.jar") && have("logback-core.jar") {
            (
                &["logback-classic.jar", "logback-core.jar"],
                Backend::Logback,
            )
        } else {
            return Err(diagnose(
                Code::Install,
                format!(
                    "Debian's ZooKeeper in {} has no slf4j logging binding installed",
                    dir.display()
                ),
                "ZooKeeper would log nothing: slf4j falls back to its no-op logger",
                "apt-get install libslf4j-java liblog4j1.2-java",
            ));
        };
    // The manifest names jetty9-*.jar for the AdminServer but not the servlet
    // API they need (javax.servlet): without it ZooKeeper logs "Unable to
    // load jetty" and runs without the AdminServer. Both come with
    // libjetty9-java and libservlet-api-java, which the package does not
    // depend on.
    let jetty = have("jetty9-server.jar") && have("servlet-api.jar");
    let servlet: &[&str] = if jetty { &["servlet-api.jar"] } else { &[] };
    let jars = std::iter::once("zookeeper.jar")
        .chain(binding.iter().copied())
        .chain(servlet.iter().copied())
        .map(|n| dir.join(n).display().to_string())
        .collect();
    Ok(Some(Install {
        location: format!("{}/zookeeper.jar (Debian)", dir.display()),
        version,
        jars,
        backend,
        jetty,
    }))
}

/// Adds what ZooKeeper's Netty server (`--tls-dir`: the secure client
/// port needs `NettyServerCnxnFactory`) loads beyond Debian's manifest: the
/// manifest lists netty-buffer, -common, -handler and -transport but not
/// netty-codec (ByteToMessageDecoder) or netty-resolver, and ZooKeeper 3.8.0
/// then fails with ClassNotFoundException at its first TLS connection.
/// Upstream releases ship every netty jar in lib/: nothing to add.
///
/// Fails (exit code 7) when Debian's jar dir lacks them.
pub fn add_tls_jars(install: &mut Install, listings: &Listings) -> Result<()> {
    let Some(names) = &listings.debian else {
        return Ok(());
    };
    if !install.location.ends_with("(Debian)") {
        return Ok(());
    }
    for jar in ["netty-codec.jar", "netty-resolver.jar"] {
        if !names.iter().any(|n| n == jar) {
            return Err(diagnose(
                Code::Install,
                format!("--tls-dir with Debian's ZooKeeper, but {DEBIAN_JAVA_DIR}/{jar} is not installed"),
                "ZooKeeper's Netty server, which serves the TLS client port, would fail at the first TLS connection (ClassNotFoundException)",
                "apt-get install libnetty-java, or run an upstream release (--zk-home; the image's default)",
            ));
        }
        let path = Path::new(DEBIAN_JAVA_DIR).join(jar).display().to_string();
        if !install.jars.contains(&path) {
            install.jars.push(path);
        }
    }
    Ok(())
}

/// Whether a directory listing (`top` and `lib/`) holds a ZooKeeper server
/// jar: where the search for an installation stops.
pub fn has_server_jar(top: &[String], lib: &[String]) -> bool {
    top.iter()
        .chain(lib)
        .any(|n| jar_version(n).is_some() || n == "zookeeper.jar")
}

/// What the search for ZooKeeper found: `--zk-home`'s listing, or the
/// default homes' in order (up to the first holding a server jar), then
/// Debian's jar dir.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listings {
    /// `--zk-home` / `ZOO_HOME`, when given.
    pub explicit: Option<PathBuf>,
    /// Upstream layouts looked at: (home, its file names, lib/'s file names).
    pub homes: Vec<(PathBuf, Vec<String>, Vec<String>)>,
    /// Debian's jar dir, when the search got that far: its file names.
    pub debian: Option<Vec<String>>,
}

/// Finds ZooKeeper in the listings: `--zk-home`/`ZOO_HOME` if given, else
/// /opt/zookeeper, /usr/share/zookeeper (upstream layouts), else Debian's
/// jar dir.
///
/// Fails (exit code 7) when none holds a ZooKeeper server jar, naming the
/// places it looked, or when the jars carry no logging binding.
pub fn discover(l: &Listings) -> Result<Install> {
    if let Some(home) = &l.explicit {
        let found = match l.homes.first() {
            Some((_, top, lib)) => plan_upstream(home, top, lib)?,
            None => None,
        };
        return found.ok_or_else(|| {
            diagnose(
                Code::Install,
                format!("--zk-home/ZOO_HOME {} holds no ZooKeeper server jar (zookeeper-<version>.jar in it or in lib/)", home.display()),
                "zkpod cannot start ZooKeeper from there",
                "point --zk-home at an unpacked ZooKeeper binary release (apache-zookeeper-<version>-bin), or unset it to use Debian's package",
            )
        });
    }
    for (home, top, lib) in &l.homes {
        if let Some(i) = plan_upstream(home, top, lib)? {
            return Ok(i);
        }
    }
    let names = l.debian.as_deref().unwrap_or_default();
    plan_debian(Path::new(DEBIAN_JAVA_DIR), names)?.ok_or_else(|| {
        diagnose(
            Code::Install,
            format!("ZooKeeper not found: no zookeeper-<version>.jar in {} or {}, and no {}/zookeeper.jar", DEFAULT_HOMES[0], DEFAULT_HOMES[1], DEBIAN_JAVA_DIR),
            "there is nothing for zkpod to start",
            "install ZooKeeper (apt-get install zookeeper, or unpack a release) and, for a release elsewhere, pass --zk-home DIR",
        )
    })
}

/// What the lookup of `java` found: `--java`, else `$JAVA_HOME/bin/java`,
/// else `java` on PATH (a fact gathered by `start::facts`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JavaFound {
    /// `--java` / `ZOO_JAVA`.
    pub explicit: Option<PathBuf>,
    pub java_home: Option<String>,
    pub path_env: Option<String>,
    /// The candidate that exists, if any.
    pub path: Option<PathBuf>,
    /// Whether `path` is a file this process may execute.
    pub executable: bool,
}

/// Where to look for java.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JavaLookup {
    /// This path (`--java` given as a path, or `$JAVA_HOME/bin/java`).
    At(PathBuf),
    /// This name in the directories of PATH.
    OnPath(PathBuf),
}

/// Where to look: `--java` as given when it is a path, else that name on
/// PATH; without `--java`, `$JAVA_HOME/bin/java`, else `java` on PATH.
pub fn java_lookup(explicit: Option<&Path>, java_home: Option<&str>) -> JavaLookup {
    match (explicit, java_home.filter(|h| !h.is_empty())) {
        (Some(p), _) if p.components().count() > 1 => JavaLookup::At(p.to_path_buf()),
        (Some(p), _) => JavaLookup::OnPath(p.to_path_buf()),
        (None, Some(home)) => JavaLookup::At(Path::new(home).join("bin/java")),
        (None, None) => JavaLookup::OnPath(PathBuf::from("java")),
    }
}

/// The directories searched for `java` (PATH, or the shells' default).
pub fn search_dirs(path_env: Option<&str>) -> impl Iterator<Item = &str> {
    path_env
        .unwrap_or("/usr/local/bin:/usr/bin:/bin")
        .split(':')
        .filter(|d| !d.is_empty())
}

/// The java executable.
///
/// Fails with exit code 127 when it does not exist and 126 when it exists
/// but is not an executable file, as tini and the shells do.
pub fn check_java(j: &JavaFound) -> Result<PathBuf> {
    let looked = match (&j.explicit, &j.java_home) {
        (Some(p), _) => format!("--java {}", p.display()),
        (None, Some(h)) if !h.is_empty() => format!("$JAVA_HOME/bin/java ({h}/bin/java)"),
        _ => format!("java on PATH ({})", j.path_env.as_deref().unwrap_or("")),
    };
    let Some(path) = &j.path else {
        return Err(diagnose(
            Code::NotFound,
            format!("java not found: looked for {looked}"),
            "ZooKeeper is a Java program and cannot start without a JRE",
            "install a JRE in the image (apt-get install openjdk-17-jre-headless), or set JAVA_HOME or --java to its path",
        ));
    };
    if !j.executable {
        return Err(diagnose(
            Code::NotExecutable,
            format!("java at {} is not an executable file", path.display()),
            "the JVM cannot be started",
            format!("point --java/JAVA_HOME at the JRE's bin/java, or make it executable (chmod 755 {})", path.display()),
        ));
    }
    Ok(path.clone())
}

/// The java command line: flags, classpath (conf dir first, as zkEnv.sh
/// does), main class, zoo.cfg.
pub fn command(
    java: &Path,
    flags: &[String],
    conf_dir: &Path,
    install: &Install,
    zoo_cfg: &Path,
) -> Vec<String> {
    let mut cp = vec![conf_dir.display().to_string()];
    cp.extend(install.jars.iter().cloned());
    let mut cmd = vec![java.display().to_string()];
    cmd.extend(flags.iter().cloned());
    cmd.push("-cp".to_string());
    cmd.push(cp.join(":"));
    cmd.push(MAIN_CLASS.to_string());
    cmd.push(zoo_cfg.display().to_string());
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn versions_from_jar_names() {
        assert_eq!(jar_version("zookeeper-3.8.4.jar").as_deref(), Some("3.8.4"));
        assert_eq!(
            jar_version("zookeeper-3.4.14.jar").as_deref(),
            Some("3.4.14")
        );
        assert_eq!(jar_version("zookeeper-jute-3.8.4.jar"), None);
        assert_eq!(jar_version("zookeeper-prometheus-metrics-3.8.4.jar"), None);
        assert_eq!(jar_version("zookeeper.jar"), None);
    }

    #[test]
    fn upstream_38_layout() {
        let lib = s(&[
            "zookeeper-3.8.4.jar",
            "zookeeper-jute-3.8.4.jar",
            "logback-classic-1.2.13.jar",
            "logback-core-1.2.13.jar",
            "slf4j-api-1.7.30.jar",
        ]);
        let i = plan_upstream(
            Path::new("/opt/zookeeper"),
            &s(&["bin", "conf", "lib"]),
            &lib,
        )
        .unwrap()
        .unwrap();
        assert_eq!(i.version.as_deref(), Some("3.8.4"));
        assert_eq!(i.release(), Some(crate::config::version::v(3, 8, 4)));
        assert_eq!(i.backend, Backend::Logback);
        assert!(i
            .jars
            .contains(&"/opt/zookeeper/lib/zookeeper-3.8.4.jar".to_string()));
        assert!(plan_upstream(Path::new("/opt/x"), &s(&["conf"]), &[])
            .unwrap()
            .is_none());
    }

    #[test]
    fn debian_layout_adds_the_log4j_binding() {
        let names = s(&[
            "zookeeper.jar",
            "zookeeper-3.8.0.jar",
            "slf4j-log4j12.jar",
            "log4j-1.2.jar",
            "logback-classic.jar",
            "logback-core.jar",
        ]);
        let i = plan_debian(Path::new("/usr/share/java"), &names)
            .unwrap()
            .unwrap();
        assert_eq!(i.version.as_deref(), Some("3.8.0"));
        assert_eq!(i.backend, Backend::Log4j);
        assert_eq!(
            i.jars,
            s(&[
                "/usr/share/java/zookeeper.jar",
                "/usr/share/java/slf4j-log4j12.jar",
                "/usr/share/java/log4j-1.2.jar"
            ])
        );
        assert!(!i.jetty, "no jetty9 jars: no AdminServer");
        let e = plan_debian(Path::new("/usr/share/java"), &s(&["zookeeper.jar"])).unwrap_err();
        assert!(e
            .to_string()
            .contains("apt-get install libslf4j-java liblog4j1.2-java"));
    }

    /// Debian's manifest names jetty9 but not the servlet API it needs:
    /// zkpod adds it, so that the AdminServer can start.
    #[test]
    fn debian_layout_adds_the_servlet_api_for_the_admin_server() {
        let names = s(&[
            "zookeeper.jar",
            "slf4j-log4j12.jar",
            "log4j-1.2.jar",
            "jetty9-server.jar",
            "servlet-api.jar",
        ]);
        let i = plan_debian(Path::new("/usr/share/java"), &names)
            .unwrap()
            .unwrap();
        assert!(i.jetty);
        assert_eq!(i.jars.last().unwrap(), "/usr/share/java/servlet-api.jar");
        let i = plan_debian(Path::new("/usr/share/java"), &names[..4])
            .unwrap()
            .unwrap();
        assert!(!i.jetty, "jetty without the servlet API cannot start");
    }

    #[test]
    fn command_line_shape() {
        let i = Install {
            jetty: false,
            location: "x".into(),
            version: None,
            jars: s(&["/j/zookeeper.jar"]),
            backend: Backend::Log4j,
        };
        let c = command(
            Path::new("/usr/bin/java"),
            &s(&["-Xmx64m"]),
            Path::new("/conf"),
            &i,
            Path::new("/conf/zoo.cfg"),
        );
        assert_eq!(
            c,
            s(&[
                "/usr/bin/java",
                "-Xmx64m",
                "-cp",
                "/conf:/j/zookeeper.jar",
                MAIN_CLASS,
                "/conf/zoo.cfg"
            ])
        );
    }

    #[test]
    fn java_missing_is_127_and_not_executable_is_126() {
        let missing = JavaFound {
            explicit: Some("/nonexistent/java".into()),
            ..JavaFound::default()
        };
        let e = check_java(&missing).unwrap_err();
        assert_eq!(crate::sys::report::code_of(&e, Code::Io), Code::NotFound);
        assert!(e
            .to_string()
            .contains("java not found: looked for --java /nonexistent/java"));
        let on_path = JavaFound {
            path_env: Some("/nonexistent-a:/nonexistent-b".into()),
            ..JavaFound::default()
        };
        let e = check_java(&on_path).unwrap_err();
        assert!(e
            .to_string()
            .contains("java on PATH (/nonexistent-a:/nonexistent-b)"));
        let home = JavaFound {
            java_home: Some("/jre".into()),
            ..JavaFound::default()
        };
        let e = check_java(&home).unwrap_err().to_string();
        assert!(
            e.contains("looked for $JAVA_HOME/bin/java (/jre/bin/java)"),
            "{e}"
        );
        let not_exec = JavaFound {
            explicit: Some("/x/java".into()),
            path: Some("/x/java".into()),
            ..JavaFound::default()
        };
        let e = check_java(&not_exec).unwrap_err();
        assert_eq!(
            crate::sys::report::code_of(&e, Code::Io),
            Code::NotExecutable
        );
        assert!(e.to_string().contains("is not an executable file"), "{e}");
        assert!(e.to_string().contains("chmod 755 /x/java"), "{e}");
        let ok = JavaFound {
            executable: true,
            ..not_exec
        };
        assert_eq!(check_java(&ok).unwrap(), PathBuf::from("/x/java"));
    }

    #[test]
    fn java_lookups() {
        use JavaLookup::{At, OnPath};
        assert_eq!(
            java_lookup(Some(Path::new("/j/java")), Some("/h")),
            At("/j/java".into())
        );
        assert_eq!(
            java_lookup(Some(Path::new("java17")), None),
            OnPath("java17".into())
        );
        assert_eq!(java_lookup(None, Some("/h")), At("/h/bin/java".into()));
        assert_eq!(java_lookup(None, Some("")), OnPath("java".into()));
        assert_eq!(
            search_dirs(Some("/a::/b")).collect::<Vec<_>>(),
            ["/a", "/b"]
        );
    }

    #[test]
    fn discovery_follows_the_search_order() {
        let upstream = |home: &str| {
            (
                PathBuf::from(home),
                s(&["lib"]),
                s(&[
                    "zookeeper-3.9.2.jar",
                    "logback-classic-1.2.13.jar",
                    "logback-core-1.2.13.jar",
                ]),
            )
        };
        let l = Listings {
            homes: vec![
                (PathBuf::from("/opt/zookeeper"), vec![], vec![]),
                upstream("/usr/share/zookeeper"),
            ],
            ..Listings::default()
        };
        assert_eq!(discover(&l).unwrap().location, "/usr/share/zookeeper");
        let debian = Listings {
            debian: Some(s(&["zookeeper.jar", "slf4j-log4j12.jar", "log4j-1.2.jar"])),
            ..Listings::default()
        };
        assert_eq!(discover(&debian).unwrap().backend, Backend::Log4j);
        let e = discover(&Listings::default()).unwrap_err().to_string();
        assert!(e.starts_with("ZooKeeper not found: no zookeeper-<version>.jar in /opt/zookeeper or /usr/share/zookeeper"), "{e}");
        let explicit = Listings {
            explicit: Some("/nonexistent-zk".into()),
            homes: vec![(PathBuf::from("/nonexistent-zk"), vec![], vec![])],
            ..Listings::default()
        };
        let e = discover(&explicit).unwrap_err().to_string();
        assert!(
            e.contains("--zk-home/ZOO_HOME /nonexistent-zk holds no ZooKeeper server jar"),
            "{e}"
        );
        assert!(has_server_jar(&[], &s(&["zookeeper-3.8.4.jar"])));
        assert!(!has_server_jar(&s(&["zookeeper-jute-3.8.4.jar"]), &[]));
    }
}
