//! ZooKeeper's logging config: log4j 1.x or logback, whichever is on the
//! classpath, sending everything to stdout at `--log_level`.
//!
//! ZooKeeper logs through slf4j; the binding on the classpath decides which
//! config file is read. Upstream releases before 3.8 and Debian's 3.8 package
//! bind log4j 1.2; upstream 3.8+ binds logback. Settings written for the other
//! one are silently ignored (31z4/zookeeper-docker#156), so zkpod decides from
//! the jars, never from the version number.

use crate::config::properties::{Refused, Writer};
use crate::config::xml;
use crate::sys::report::{diagnose, Code};

/// ZooKeeper's log level (`--log_level`): those of start-zookeeper, plus TRACE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Fatal,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// Every level, in the order `--help` lists them.
    pub const ALL: [LogLevel; 6] = [
        LogLevel::Fatal,
        LogLevel::Error,
        LogLevel::Warn,
        LogLevel::Info,
        LogLevel::Debug,
        LogLevel::Trace,
    ];

    /// The name log4j uses, and `--log_level` takes (in any case).
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Fatal => "FATAL",
            LogLevel::Error => "ERROR",
            LogLevel::Warn => "WARN",
            LogLevel::Info => "INFO",
            LogLevel::Debug => "DEBUG",
            LogLevel::Trace => "TRACE",
        }
    }
}

/// The slf4j binding ZooKeeper will use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Log4j,
    Logback,
}

impl Backend {
    /// The config file name zkpod writes into the conf dir.
    pub fn file_name(self) -> &'static str {
        match self {
            Backend::Log4j => "log4j.properties",
            Backend::Logback => "logback.xml",
        }
    }

    /// The JVM flag that points the backend at `path`.
    pub fn jvm_flag(self, path: &str) -> String {
        match self {
            Backend::Log4j => format!("-Dlog4j.configuration=file:{path}"),
            Backend::Logback => format!("-Dlogback.configurationFile={path}"),
        }
    }

    /// Renders the config for `level`.
    pub fn render(self, level: LogLevel) -> anyhow::Result<String> {
        match self {
            Backend::Log4j => render_log4j(level),
            Backend::Logback => render_logback(level),
        }
    }
}

fn is_jar(name: &str, stem: &str) -> bool {
    name.strip_prefix(stem)
        .is_some_and(|rest| rest == ".jar" || (rest.starts_with('-') && rest.ends_with(".jar")))
}

/// The version in a jar name `<stem>-<version>.jar`, if it has one.
fn jar_version<'a, S: AsRef<str>>(jars: &'a [S], stem: &str) -> Option<&'a str> {
    jars.iter().find_map(|j| {
        j.as_ref()
            .strip_prefix(stem)?
            .strip_prefix('-')?
            .strip_suffix(".jar")
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// log4j 1.x itself: Debian's `log4j-1.2.jar`, upstream's `log4j-1.2.17.jar`
/// (not log4j 2's `log4j-api-*`/`log4j-core-*`, nor the `log4j-over-slf4j`
/// bridge).
fn is_log4j1(name: &str) -> bool {
    name.strip_prefix("log4j-1.")
        .is_some_and(|rest| rest.ends_with(".jar"))
}

/// Decides the backend from the jar file names on the classpath: logback
/// (logback-classic + logback-core), else log4j 1.x through slf4j-log4j12,
/// or reload4j (the maintained log4j 1.2 fork the last 3.5-3.7 releases
/// ship) through slf4j-reload4j; both read log4j.properties.
///
/// Fails (exit code 7) when no binding is there, or when slf4j-api and
/// logback are of versions that do not work together (slf4j 2 needs logback
/// 1.3+, slf4j 1.7 needs logback 1.2): either way slf4j falls back to its
/// no-op logger and ZooKeeper logs nothing at all.
pub fn detect<S: AsRef<str>>(jars: &[S]) -> anyhow::Result<Backend> {
    let has = |stem: &str| jars.iter().any(|j| is_jar(j.as_ref(), stem));
    let logback = has("logback-classic") && has("logback-core");
    let log4j = (has("slf4j-log4j12") && jars.iter().any(|j| is_log4j1(j.as_ref())))
        || (has("slf4j-reload4j") && has("reload4j"));
    if logback {
        if let (Some(api), Some(classic)) = (
            jar_version(jars, "slf4j-api"),
            jar_version(jars, "logback-classic"),
        ) {
            let api2 = api.starts_with("2.");
            let old_logback = classic.starts_with("1.0.")
                || classic.starts_with("1.1.")
                || classic.starts_with("1.2.");
            if api2 == old_logback {
                return Err(diagnose(
                    Code::Install,
                    format!("ZooKeeper's jars pair slf4j-api {api} with logback-classic {classic}"),
                    "slf4j finds no provider (\"No SLF4J providers were found\") and ZooKeeper would log nothing: slf4j 2 needs logback 1.3+, slf4j 1.7 needs logback 1.2",
                    "use the jars of one release together (its tarball's lib/, or scripts/zk-dist.sh VERSION DEST); do not add another slf4j-api or logback jar",
                ));
            }
        }
    }
    match (logback, log4j) {
        (true, _) => Ok(Backend::Logback),
        (false, true) => Ok(Backend::Log4j),
        (false, false) => Err(diagnose(
            Code::Install,
            "no slf4j logging binding among ZooKeeper's jars (neither logback-classic + logback-core, nor slf4j-reload4j + reload4j, nor slf4j-log4j12 + log4j-1.2)",
            "ZooKeeper would log nothing: slf4j falls back to its no-op logger",
            "install the binding its release ships with (upstream 3.8+: logback jars in lib/; 3.5-3.7: reload4j; Debian: apt-get install libslf4j-java liblog4j1.2-java)",
        )),
    }
}

/// The JVM system property that overrides the level of the rendered
/// configs (`-Dzookeeper.console.threshold=WARN`): `zkpod cli` runs
/// ZooKeeper's client with the conf dir's config at WARN, and a JVMFLAGS
/// entry can change the server's. Without it, the config's own level holds.
pub const LEVEL_PROPERTY: &str = "zookeeper.console.threshold";

/// The layout of every ZooKeeper log line (with the server id from the MDC).
pub const PATTERN: &str = "%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n";

/// Renders log4j.properties (Properties, through the encoder): everything
/// to stdout at `level`, in ZooKeeper's usual layout. log4j 1.x substitutes
/// `${...}` from the system properties first, then from the file, so
/// [`LEVEL_PROPERTY`] as a JVM flag overrides the level.
pub fn render_log4j(level: LogLevel) -> anyhow::Result<String> {
    let l = level.name();
    let p = LEVEL_PROPERTY;
    let mut w = Writer::new();
    let refused = |r: Refused| anyhow::anyhow!("log4j.properties: {r}");
    w.comment(&format!(
        "Written by zkpod start (ZooKeeper logs through log4j 1.x here): stdout only, level {l} (a JVM flag -D{p}=LEVEL overrides it)."
    ))
    .map_err(refused)?;
    for (k, v) in [
        (p, l.to_string()),
        ("log4j.rootLogger", format!("${{{p}}}, CONSOLE")),
        (
            "log4j.appender.CONSOLE",
            "org.apache.log4j.ConsoleAppender".into(),
        ),
        ("log4j.appender.CONSOLE.Target", "System.out".into()),
        ("log4j.appender.CONSOLE.Threshold", format!("${{{p}}}")),
        (
            "log4j.appender.CONSOLE.layout",
            "org.apache.log4j.PatternLayout".into(),
        ),
        (
            "log4j.appender.CONSOLE.layout.ConversionPattern",
            PATTERN.into(),
        ),
    ] {
        w.entry(k, &v).map_err(refused)?;
    }
    Ok(w.finish())
}

/// Renders logback.xml (every value through the XML encoder): everything to
/// stdout at `level` (the system property [`LEVEL_PROPERTY`] overrides it:
/// `${name:-default}`). logback has no FATAL, so FATAL maps to ERROR.
pub fn render_logback(level: LogLevel) -> anyhow::Result<String> {
    let l = match level {
        LogLevel::Fatal => "ERROR",
        other => other.name(),
    };
    let p = LEVEL_PROPERTY;
    let refused = |r: Refused| anyhow::anyhow!("logback.xml: {r}");
    let (l_text, root_level) = (
        xml::text(l).map_err(refused)?,
        xml::attr(&format!("${{{p}:-{l}}}")).map_err(refused)?,
    );
    let p_text = xml::text(p).map_err(refused)?;
    let pattern = xml::text(PATTERN).map_err(refused)?;
    Ok(format!(
        "<!-- Written by zkpod start (ZooKeeper logs through logback here): stdout only, level {l_text}\n\
\x20    (a JVM flag -D{p_text}=LEVEL overrides it). -->\n\
<configuration>\n\
\x20 <appender name=\"CONSOLE\" class=\"ch.qos.logback.core.ConsoleAppender\">\n\
\x20   <target>System.out</target>\n\
\x20   <encoder>\n\
\x20     <pattern>{pattern}</pattern>\n\
\x20   </encoder>\n\
\x20 </appender>\n\
\x20 <root level=\"{root_level}\">\n\
\x20   <appender-ref ref=\"CONSOLE\"/>\n\
\x20 </root>\n\
</configuration>\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_38_lib_is_logback() {
        let lib = [
            "zookeeper-3.8.4.jar",
            "zookeeper-jute-3.8.4.jar",
            "slf4j-api-1.7.30.jar",
            "logback-classic-1.2.13.jar",
            "logback-core-1.2.13.jar",
            "netty-handler-4.1.105.Final.jar",
        ];
        assert_eq!(detect(&lib).unwrap(), Backend::Logback);
    }

    #[test]
    fn upstream_37_and_debian_are_log4j() {
        let lib = [
            "zookeeper-3.7.2.jar",
            "slf4j-log4j12-1.7.30.jar",
            "log4j-1.2.17.jar",
        ];
        assert_eq!(detect(&lib).unwrap(), Backend::Log4j);
        let debian = ["zookeeper.jar", "slf4j-log4j12.jar", "log4j-1.2.jar"];
        assert_eq!(detect(&debian).unwrap(), Backend::Log4j);
    }

    /// The lib/ of the last 3.5, 3.6 and 3.7 releases from Maven Central
    /// (scripts/zk-dist.sh): reload4j, read through log4j.properties; and
    /// 3.8.5+/3.9.4+, logback 1.3 with slf4j 2.
    #[test]
    fn maven_layouts_of_every_line() {
        let reload4j = [
            "zookeeper-3.7.2.jar",
            "slf4j-api-1.7.35.jar",
            "slf4j-reload4j-1.7.35.jar",
            "reload4j-1.2.22.jar",
        ];
        assert_eq!(detect(&reload4j).unwrap(), Backend::Log4j);
        let logback13 = [
            "zookeeper-3.9.5.jar",
            "slf4j-api-2.0.13.jar",
            "logback-classic-1.3.15.jar",
            "logback-core-1.3.15.jar",
        ];
        assert_eq!(detect(&logback13).unwrap(), Backend::Logback);
    }

    #[test]
    fn mixed_slf4j_and_logback_versions_are_refused() {
        for (api, classic) in [("2.0.13", "1.2.13"), ("1.7.36", "1.3.15")] {
            let api_jar = format!("slf4j-api-{api}.jar");
            let classic_jar = format!("logback-classic-{classic}.jar");
            let lib = [
                api_jar.as_str(),
                classic_jar.as_str(),
                "logback-core-1.3.15.jar",
            ];
            let e = detect(&lib).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("ZooKeeper's jars pair slf4j-api {api} with logback-classic {classic}: slf4j finds no provider")),
                "{e}"
            );
        }
    }

    #[test]
    fn log4j_2_is_not_log4j_1() {
        let e = detect(&[
            "slf4j-log4j12-1.7.36.jar",
            "log4j-api-2.20.0.jar",
            "log4j-core-2.20.0.jar",
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("no slf4j logging binding"), "{e}");
    }

    #[test]
    fn no_binding_is_a_clear_error() {
        let e = detect(&["zookeeper.jar", "slf4j-api.jar"]).unwrap_err();
        assert!(e.to_string().contains("ZooKeeper would log nothing"));
        assert_eq!(crate::sys::report::code_of(&e, Code::Io), Code::Install);
        // log4j-over-slf4j is a bridge, not a binding.
        let e = detect(&["log4j-over-slf4j-1.7.32.jar", "slf4j-api.jar"]).unwrap_err();
        assert!(e.to_string().contains("no slf4j logging binding"), "{e}");
    }

    #[test]
    fn flags_point_at_the_file() {
        assert_eq!(
            Backend::Log4j.jvm_flag("/c/log4j.properties"),
            "-Dlog4j.configuration=file:/c/log4j.properties"
        );
        assert_eq!(
            Backend::Logback.jvm_flag("/c/logback.xml"),
            "-Dlogback.configurationFile=/c/logback.xml"
        );
    }

    #[test]
    fn golden_logging_configs() {
        crate::golden::check("log4j.properties", &render_log4j(LogLevel::Info).unwrap());
        crate::golden::check("logback.xml", &render_logback(LogLevel::Debug).unwrap());
    }

    #[test]
    fn fatal_maps_to_error_in_logback() {
        assert!(render_logback(LogLevel::Fatal)
            .unwrap()
            .contains("<root level=\"${zookeeper.console.threshold:-ERROR}\">"));
        let log4j = render_log4j(LogLevel::Fatal).unwrap();
        assert!(log4j.contains("\nzookeeper.console.threshold=FATAL\n"));
        assert!(log4j.contains("log4j.rootLogger=${zookeeper.console.threshold}, CONSOLE"));
    }
}
