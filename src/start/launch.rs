//! Launching ZooKeeper: find its jars and java, build the command line, and
//! exec it so that the JVM replaces zkpod (PID 1 in the container, receiving
//! SIGTERM directly; nothing of zkpod stays resident, as with gosu).

use std::convert::Infallible;
use std::ffi::CString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::logging::{self, Backend};
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
    Ok(Some(Install {
        location: home.display().to_string(),
        version,
        jars,
        backend,
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
    let jars = std::iter::once("zookeeper.jar")
        .chain(binding.iter().copied())
        .map(|n| dir.join(n).display().to_string())
        .collect();
    Ok(Some(Install {
        location: format!("{}/zookeeper.jar (Debian)", dir.display()),
        version,
        jars,
        backend,
    }))
}

fn list(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Finds ZooKeeper: `--zk-home`/`ZOO_HOME` if given, else /opt/zookeeper,
/// /usr/share/zookeeper (upstream layouts), else Debian's jar dir.
///
/// Fails (exit code 7) when none holds a ZooKeeper server jar, naming the
/// places it looked.
pub fn discover(zk_home: Option<&Path>) -> Result<Install> {
    if let Some(home) = zk_home {
        let found = plan_upstream(home, &list(home), &list(&home.join("lib")))?;
        return found.ok_or_else(|| {
            diagnose(
                Code::Install,
                format!("--zk-home/ZOO_HOME {} holds no ZooKeeper server jar (zookeeper-<version>.jar in it or in lib/)", home.display()),
                "zkpod cannot start ZooKeeper from there",
                "point --zk-home at an unpacked ZooKeeper binary release (apache-zookeeper-<version>-bin), or unset it to use Debian's package",
            )
        });
    }
    for home in DEFAULT_HOMES.iter().map(Path::new) {
        if let Some(i) = plan_upstream(home, &list(home), &list(&home.join("lib")))? {
            return Ok(i);
        }
    }
    let dir = Path::new(DEBIAN_JAVA_DIR);
    plan_debian(dir, &list(dir))?.ok_or_else(|| {
        diagnose(
            Code::Install,
            format!("ZooKeeper not found: no zookeeper-<version>.jar in {} or {}, and no {}/zookeeper.jar", DEFAULT_HOMES[0], DEFAULT_HOMES[1], DEBIAN_JAVA_DIR),
            "there is nothing for zkpod to start",
            "install ZooKeeper (apt-get install zookeeper, or unpack a release) and, for a release elsewhere, pass --zk-home DIR",
        )
    })
}

/// How `java` was looked up.
#[derive(Debug, Clone, Copy)]
pub struct JavaInput<'a> {
    pub explicit: Option<&'a Path>,
    pub java_home: Option<&'a str>,
    pub path_env: Option<&'a str>,
}

/// Finds the java executable: `--java`, else `$JAVA_HOME/bin/java`, else
/// `java` on PATH.
///
/// Fails with exit code 127 when it does not exist and 126 when it exists
/// but is not an executable file, as tini and the shells do.
pub fn find_java(i: JavaInput<'_>) -> Result<PathBuf> {
    let candidate = match (i.explicit, i.java_home.filter(|h| !h.is_empty())) {
        (Some(p), _) if p.components().count() > 1 => Some(p.to_path_buf()),
        (Some(p), _) => search_path(p, i.path_env),
        (None, Some(home)) => Some(Path::new(home).join("bin/java")),
        (None, None) => search_path(Path::new("java"), i.path_env),
    };
    let looked = match (i.explicit, i.java_home) {
        (Some(p), _) => format!("--java {}", p.display()),
        (None, Some(h)) if !h.is_empty() => format!("$JAVA_HOME/bin/java ({h}/bin/java)"),
        _ => format!("java on PATH ({})", i.path_env.unwrap_or("")),
    };
    let Some(path) = candidate.filter(|p| p.exists()) else {
        return Err(diagnose(
            Code::NotFound,
            format!("java not found: looked for {looked}"),
            "ZooKeeper is a Java program and cannot start without a JRE",
            "install a JRE in the image (apt-get install openjdk-17-jre-headless), or set JAVA_HOME or --java to its path",
        ));
    };
    if !is_executable(&path) {
        return Err(diagnose(
            Code::NotExecutable,
            format!("java at {} is not an executable file", path.display()),
            "the JVM cannot be started",
            format!("point --java/JAVA_HOME at the JRE's bin/java, or make it executable (chmod 755 {})", path.display()),
        ));
    }
    Ok(path)
}

fn search_path(name: &Path, path_env: Option<&str>) -> Option<PathBuf> {
    path_env
        .unwrap_or("/usr/local/bin:/usr/bin:/bin")
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

fn is_executable(p: &Path) -> bool {
    use nix::unistd::{access, AccessFlags};
    p.is_file() && access(p, AccessFlags::X_OK).is_ok()
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

/// Replaces zkpod with `cmd` and the current environment plus `env_set`.
///
/// Returns only on failure: 127 if the program vanished, 126 if it cannot
/// be executed.
pub fn exec(cmd: &[String], env_set: &[(String, String)]) -> Result<Infallible> {
    let to_c =
        |s: &str| CString::new(s).with_context(|| format!("argument contains a NUL byte: {s:?}"));
    let args = cmd.iter().map(|a| to_c(a)).collect::<Result<Vec<_>>>()?;
    // The environment as bytes: a variable that is not UTF-8 is passed on
    // untouched instead of aborting the start.
    let mut envp: Vec<CString> = Vec::new();
    for (k, v) in std::env::vars_os() {
        if env_set.iter().any(|(s, _)| k.as_bytes() == s.as_bytes()) {
            continue;
        }
        let mut kv = k.into_vec();
        kv.push(b'=');
        kv.extend(v.into_vec());
        // The kernel passed it in, so it has no NUL byte.
        envp.extend(CString::new(kv).ok());
    }
    for (k, v) in env_set {
        envp.push(to_c(&format!("{k}={v}"))?);
    }
    let err = nix::unistd::execve(&args[0], &args, &envp).unwrap_err();
    let code = if err == nix::errno::Errno::ENOENT {
        Code::NotFound
    } else {
        Code::NotExecutable
    };
    Err(diagnose(
        code,
        format!("cannot exec {}: {err}", cmd[0]),
        "the ZooKeeper JVM did not start",
        "check that the JRE in the image is complete and executable (run it with -version)",
    ))
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
        let e = plan_debian(Path::new("/usr/share/java"), &s(&["zookeeper.jar"])).unwrap_err();
        assert!(e
            .to_string()
            .contains("apt-get install libslf4j-java liblog4j1.2-java"));
    }

    #[test]
    fn command_line_shape() {
        let i = Install {
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
        let e = find_java(JavaInput {
            explicit: Some(Path::new("/nonexistent/java")),
            java_home: None,
            path_env: None,
        })
        .unwrap_err();
        assert_eq!(crate::sys::report::code_of(&e, Code::Io), Code::NotFound);
        assert!(e
            .to_string()
            .contains("java not found: looked for --java /nonexistent/java"));
        let e = find_java(JavaInput {
            explicit: None,
            java_home: None,
            path_env: Some("/nonexistent-a:/nonexistent-b"),
        })
        .unwrap_err();
        assert!(e
            .to_string()
            .contains("java on PATH (/nonexistent-a:/nonexistent-b)"));
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("java");
        std::fs::write(&f, b"not a program").unwrap();
        let e = find_java(JavaInput {
            explicit: Some(&f),
            java_home: None,
            path_env: None,
        })
        .unwrap_err();
        assert_eq!(
            crate::sys::report::code_of(&e, Code::Io),
            Code::NotExecutable
        );
        assert!(e.to_string().contains("is not an executable file"), "{e}");
    }
}
