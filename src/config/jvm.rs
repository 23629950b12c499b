//! JVM settings: heap size, the flags zkpod always sets, `java.env` and the
//! `java.security` file that carries the DNS cache TTLs.

use crate::config::properties::Writer;
use crate::config::{flags, shell};
use crate::sys::report::{self, diagnose, Code, Warning};

/// The largest heap zkpod sets (1 TiB): above it a `--heap` is a typo, and
/// the JVM would refuse it or reserve nonsense.
pub const MAX_HEAP_MIB: u64 = 1 << 20;

/// `--heap`: a fixed size, or a share of the container memory limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeapSpec {
    /// A size in MiB.
    Fixed(u64),
    /// This percentage of the cgroup memory limit.
    Auto(u8),
}

/// Parses `--heap`: `512M`, `2G`, `1048576k`, `auto` (50%) or `auto:60%`.
pub fn parse_heap(s: &str) -> Result<HeapSpec, String> {
    let t = s.trim();
    let bad = || {
        format!(
            "'{s}' is not a heap size: write it as the JVM does (512M, 2G) or as auto / auto:60% (a share of the container memory limit)"
        )
    };
    if let Some(rest) = t.strip_prefix("auto") {
        if rest.is_empty() {
            return Ok(HeapSpec::Auto(50));
        }
        let pct = rest
            .strip_prefix(':')
            .and_then(|p| p.strip_suffix('%'))
            .and_then(|p| p.parse::<u8>().ok())
            .filter(|p| (10..=90).contains(p))
            .ok_or_else(|| format!("{}; the share must be 10% to 90%", bad()))?;
        return Ok(HeapSpec::Auto(pct));
    }
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let too_big = || {
        format!("'{s}' is larger than 1T, more than any JVM heap zkpod sets (a typo?); write it as 512M or 2G")
    };
    let mib = match unit {
        "k" | "K" => n / 1024,
        "m" | "M" => n,
        "g" | "G" => n.checked_mul(1024).ok_or_else(too_big)?,
        "t" | "T" => n.checked_mul(1 << 20).ok_or_else(too_big)?,
        "" => n / (1024 * 1024),
        _ => return Err(bad()),
    };
    if mib > MAX_HEAP_MIB {
        return Err(too_big());
    }
    if mib < 16 {
        return Err(format!(
            "'{s}' is below 16M, too small for ZooKeeper to start"
        ));
    }
    Ok(HeapSpec::Fixed(mib))
}

/// The cgroup files that hold the container's memory limit, in the order
/// they are read: v2, then v1.
pub const CGROUP_MEMORY_FILES: [&str; 2] = [
    "/sys/fs/cgroup/memory.max",
    "/sys/fs/cgroup/memory/memory.limit_in_bytes",
];

/// Parses a cgroup memory limit file: `max` (v2) or a near-2^63 value (v1)
/// mean no limit.
pub fn parse_cgroup_limit(text: &str) -> Option<u64> {
    let t = text.trim();
    if t == "max" {
        return None;
    }
    t.parse::<u64>().ok().filter(|&b| b > 0 && b < (1u64 << 60))
}

/// The heap in MiB for `spec`, given the container memory limit in bytes.
///
/// Fails (exit code 4) for `auto` without a limit, or a limit too small to
/// leave room for the JVM. Returns warnings alongside (a fixed heap that
/// does not fit in the limit).
pub fn resolve_heap(spec: &HeapSpec, limit: Option<u64>) -> anyhow::Result<(u64, Vec<Warning>)> {
    const MIB: u64 = 1024 * 1024;
    match (spec, limit) {
        (HeapSpec::Fixed(mib), Some(limit)) if mib.saturating_mul(MIB) >= limit.saturating_mul(9) / 10 => Ok((
            *mib,
            vec![Warning::new(
                format!(
                    "--heap {mib}M leaves no room below the container memory limit of {}M for the JVM's own memory",
                    limit / MIB
                ),
                "the pod will be OOMKilled under load",
                "use --heap auto, or raise resources.limits.memory",
            )],
        )),
        (HeapSpec::Fixed(mib), _) => Ok((*mib, Vec::new())),
        (HeapSpec::Auto(pct), Some(limit)) => {
            let mib = limit / MIB * u64::from(*pct) / 100;
            if mib < 64 {
                return Err(diagnose(
                    Code::Config,
                    format!("--heap auto: {pct}% of the container memory limit ({}M) is {mib}M", limit / MIB),
                    "too small for ZooKeeper to run",
                    "raise resources.limits.memory to at least 256Mi, or pass a fixed --heap",
                ));
            }
            Ok((mib, Vec::new()))
        }
        (HeapSpec::Auto(_), None) => Err(diagnose(
            Code::Config,
            "--heap auto found no container memory limit (/sys/fs/cgroup/memory.max says max, or is absent)",
            "zkpod cannot size the heap as a share of a limit that does not exist",
            "set resources.limits.memory on the container, or pass a fixed size such as --heap 1G",
        )),
    }
}

/// The heap flags: zkpod sets exactly one -Xms/-Xmx pair from --heap.
const HEAP_FLAGS: [&str; 6] = [
    "-Xmx",
    "-Xms",
    "-XX:MaxHeapSize",
    "-XX:InitialHeapSize",
    "-XX:MaxRAMPercentage",
    "-XX:InitialRAMPercentage",
];

/// The system properties zkpod sets itself, with the flag to use instead.
const OWNED_PROPERTIES: [(&str, &str); 3] = [
    (
        "java.security.properties",
        "--dns-ttl and --dns-negative-ttl (zkpod's java.security file carries the DNS cache TTLs)",
    ),
    (
        "log4j.configuration",
        "--log_level (zkpod writes ZooKeeper's logging config)",
    ),
    (
        "logback.configurationFile",
        "--log_level (zkpod writes ZooKeeper's logging config)",
    ),
];

/// Options that change what java runs, or read more options from a file
/// zkpod cannot check.
const LAUNCH_OPTIONS: [&str; 20] = [
    "-jar",
    "-cp",
    "-classpath",
    "--class-path",
    "-m",
    "--module",
    "--source",
    "-version",
    "--version",
    "-h",
    "-help",
    "--help",
    "-?",
    "-X",
    "--dry-run",
    "--list-modules",
    "--describe-module",
    "-d",
    "--validate-modules",
    "-XX:VMOptionsFile",
];

/// The longest JVMFLAGS zkpod takes.
pub const MAX_JVM_FLAGS: usize = 64 << 10;

/// Why a JVM flag may not be passed on, as (what it does, the fix); `None`
/// when it may.
pub fn flag_problem(f: &str) -> Option<(String, String)> {
    if HEAP_FLAGS.iter().any(|p| f.starts_with(p)) {
        return Some((
            "zkpod sets the heap exactly once from --heap; a second heap flag would silently win or conflict".into(),
            format!("remove {} and pass --heap (or ZOO_HEAP) instead", report::clean(f)),
        ));
    }
    if let Some(prop) = f.strip_prefix("-D") {
        let name = prop.split('=').next().unwrap_or(prop);
        if let Some((owned, instead)) = OWNED_PROPERTIES.iter().find(|(p, _)| *p == name) {
            return Some((
                format!("zkpod sets -D{owned} itself; a second one would replace its own"),
                format!("remove it and use {instead}"),
            ));
        }
    }
    let option = f.split(['=', ':']).next().unwrap_or(f);
    let option = if f.starts_with("-XX:VMOptionsFile") || f.starts_with("-XX:Flags=") {
        "-XX:VMOptionsFile"
    } else {
        option
    };
    if LAUNCH_OPTIONS.contains(&option) || f == "-XX:VMOptionsFile" {
        return Some((
            "it would change what java runs, or read more options from a file zkpod cannot check"
                .into(),
            format!(
                "remove {}; zkpod builds the classpath and main class itself",
                report::clean(f)
            ),
        ));
    }
    None
}

/// Splits `JVMFLAGS` / `--jvm-flags` into arguments, refusing what zkpod
/// owns: heap flags, the system properties it sets, options that change
/// what java runs; and control characters (java.env and zkpod's log carry
/// the flags).
///
/// Fails (exit code 4) on the first such flag.
pub fn parse_extra_flags(flags_value: Option<&str>) -> anyhow::Result<Vec<String>> {
    let origin = flags::origin("--jvm-flags");
    let all = flags_value.unwrap_or("");
    if all.len() > MAX_JVM_FLAGS {
        return Err(diagnose(
            Code::Config,
            format!("{origin} is {} bytes long", all.len()),
            format!(
                "zkpod takes at most {} of JVM flags",
                crate::sys::file::size(MAX_JVM_FLAGS)
            ),
            "pass only the JVM options ZooKeeper needs",
        ));
    }
    let mut out = Vec::new();
    for f in all.split_whitespace() {
        if let Some(r) = crate::config::properties::first_control(f) {
            return Err(diagnose(
                Code::Config,
                format!("{origin} flag {} {r}", report::shown(f)),
                "a JVM option never holds one; it would reach java.env and zkpod's log raw",
                "remove the control character",
            ));
        }
        if let Some((means, fix)) = flag_problem(f) {
            return Err(diagnose(
                Code::Config,
                format!("{origin} contains {}", report::clean(f)),
                means,
                fix,
            ));
        }
        if !f.starts_with('-') {
            return Err(diagnose(
                Code::Config,
                format!("{origin} contains {}, which is not a JVM option", report::shown(f)),
                "java would take it for the main class (or, with @, read options from that file) and not start ZooKeeper",
                "pass only options starting with '-', separated by spaces (no quoting is supported)",
            ));
        }
        out.push(f.to_string());
    }
    Ok(out)
}

/// The environment variables the JVM reads options from, and whether their
/// options come after the command line (and so win over zkpod's).
pub const JAVA_OPTION_VARS: [(&str, bool); 3] = [
    ("JAVA_TOOL_OPTIONS", false),
    ("JDK_JAVA_OPTIONS", false),
    ("_JAVA_OPTIONS", true),
];

/// Checks the JVM's own option variables (`name`, `value`): a heap flag or
/// an owned property in `_JAVA_OPTIONS` would override zkpod's and is
/// refused; in `JAVA_TOOL_OPTIONS` or `JDK_JAVA_OPTIONS` zkpod's command
/// line wins, so it only gets a warning.
///
/// Fails (exit code 4) for `_JAVA_OPTIONS`.
pub fn check_option_vars(vars: &[(String, String)]) -> anyhow::Result<Vec<Warning>> {
    let mut warnings = Vec::new();
    for (name, value) in vars {
        let wins = JAVA_OPTION_VARS
            .iter()
            .find(|(n, _)| n == name)
            .is_some_and(|(_, w)| *w);
        for f in value.split_whitespace() {
            let problem = flag_problem(f)
                .filter(|_| HEAP_FLAGS.iter().any(|p| f.starts_with(p)) || f.starts_with("-D"));
            let Some((means, _)) = problem else { continue };
            if wins {
                return Err(diagnose(
                    Code::Config,
                    format!("the environment variable {name} contains {}", report::clean(f)),
                    format!("the JVM applies {name} after zkpod's command line, so it would win: {means}"),
                    format!("remove {} from {name} and use zkpod's flags (--heap, --dns-ttl, --log_level)", report::clean(f)),
                ));
            }
            warnings.push(Warning::new(
                format!(
                    "the environment variable {name} contains {}",
                    report::clean(f)
                ),
                "zkpod's own setting on the command line wins, so this one is ignored",
                format!("remove {} from {name}", report::clean(f)),
            ));
        }
    }
    Ok(warnings)
}

/// The JVM flags zkpod starts ZooKeeper with, in order.
pub fn flags(heap_mib: u64, security_file: &str, log_flag: &str, extra: &[String]) -> Vec<String> {
    let mut f = vec![
        format!("-Xms{heap_mib}m"),
        format!("-Xmx{heap_mib}m"),
        "-XX:+ExitOnOutOfMemoryError".to_string(),
        format!("-Djava.security.properties={security_file}"),
        log_flag.to_string(),
    ];
    f.extend(extra.iter().cloned());
    f
}

/// Renders `java.env`, which zkServer.sh and zkCli.sh source through
/// zkEnv.sh (upstream's layout reads it from the conf dir zkpod writes):
/// the same heap and flags, so a manual `zkServer.sh start-foreground`
/// agrees with zkpod. zkEnv.sh builds `-Xmx` from ZK_SERVER_HEAP, so the
/// heap goes there and SERVER_JVMFLAGS carries the rest: one -Xmx either
/// way. Kept rather than dropped because `kubectl exec zk-0 -- zkCli.sh`
/// sources it; every value is single-quoted by the shell encoder, so
/// nothing in it is ever run (issue 8).
pub fn render_java_env(heap_mib: u64, flags: &[String]) -> String {
    let rest: Vec<&str> = flags
        .iter()
        .map(String::as_str)
        .filter(|f| !f.starts_with("-Xmx"))
        .collect();
    format!(
        "# Written by zkpod start: the JVM settings it starts ZooKeeper with.\n# zkServer.sh and zkCli.sh source this file (zkEnv.sh); every value is quoted.\nZK_SERVER_HEAP={heap_mib}\nSERVER_JVMFLAGS={}\n",
        shell::quote(&rest.join(" "))
    )
}

/// Renders the `java.security` override file (Properties, through the
/// encoder). The DNS cache TTLs are security properties: a `-D` flag cannot
/// set them, a file passed with `-Djava.security.properties=` can. A
/// negative TTL of 0 makes the JVM retry a peer whose DNS record appears
/// late instead of caching the failure.
pub fn render_java_security(ttl: u32, negative_ttl: u32) -> anyhow::Result<String> {
    let mut w = Writer::new();
    let refused = |r: crate::config::properties::Refused| anyhow::anyhow!("java.security: {r}");
    w.comment("Written by zkpod start; passed to the JVM with -Djava.security.properties.")
        .map_err(refused)?;
    w.comment(
        "DNS cache: pods change IP when rescheduled, and peers' records appear late at boot.",
    )
    .map_err(refused)?;
    w.entry("networkaddress.cache.ttl", &ttl.to_string())
        .map_err(refused)?;
    w.entry(
        "networkaddress.cache.negative.ttl",
        &negative_ttl.to_string(),
    )
    .map_err(refused)?;
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn heap_specs() {
        assert_eq!(parse_heap("512M"), Ok(HeapSpec::Fixed(512)));
        assert_eq!(parse_heap("2G"), Ok(HeapSpec::Fixed(2048)));
        assert_eq!(parse_heap("2g"), Ok(HeapSpec::Fixed(2048)));
        assert_eq!(parse_heap("1048576k"), Ok(HeapSpec::Fixed(1024)));
        assert_eq!(parse_heap("auto"), Ok(HeapSpec::Auto(50)));
        assert_eq!(parse_heap("auto:75%"), Ok(HeapSpec::Auto(75)));
        assert!(parse_heap("auto:95%").unwrap_err().contains("10% to 90%"));
        assert!(parse_heap("2GB").unwrap_err().contains("not a heap size"));
        assert!(parse_heap("lots")
            .unwrap_err()
            .contains("'lots' is not a heap size"));
        assert!(parse_heap("8M").unwrap_err().contains("too small"));
    }

    #[test]
    fn cgroup_limits() {
        assert_eq!(parse_cgroup_limit("max\n"), None);
        assert_eq!(parse_cgroup_limit("9223372036854771712\n"), None);
        assert_eq!(parse_cgroup_limit("1073741824\n"), Some(1 << 30));
        assert_eq!(parse_cgroup_limit("garbage"), None);
    }

    #[test]
    fn auto_heap_is_a_share_of_the_limit() {
        assert_eq!(
            resolve_heap(&HeapSpec::Auto(50), Some(1024 * MIB))
                .unwrap()
                .0,
            512
        );
        assert_eq!(
            resolve_heap(&HeapSpec::Auto(75), Some(2048 * MIB))
                .unwrap()
                .0,
            1536
        );
        let e = resolve_heap(&HeapSpec::Auto(50), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("found no container memory limit"), "{e}");
        assert!(e.contains("resources.limits.memory"), "{e}");
        let e = resolve_heap(&HeapSpec::Auto(50), Some(100 * MIB))
            .unwrap_err()
            .to_string();
        assert!(e.contains("too small"), "{e}");
    }

    #[test]
    fn fixed_heap_over_the_limit_warns() {
        let (mib, w) = resolve_heap(&HeapSpec::Fixed(2048), Some(1024 * MIB)).unwrap();
        assert_eq!(mib, 2048);
        assert_eq!(
            w[0].to_string(),
            "--heap 2048M leaves no room below the container memory limit of 1024M for the JVM's own memory: the pod will be OOMKilled under load. Fix: use --heap auto, or raise resources.limits.memory"
        );
        assert!(resolve_heap(&HeapSpec::Fixed(512), Some(1024 * MIB))
            .unwrap()
            .1
            .is_empty());
    }

    #[test]
    fn regression_fuzz_cgroup_memory_a_huge_heap_under_a_limit() {
        // Found by fuzz/cgroup_memory: --heap 99999999999G with a memory
        // limit overflowed the size check (a panic with overflow checks; a
        // wrapped, wrong comparison without).
        // Issue 8: it is refused where it is parsed now.
        let e = parse_heap("99999999999G").unwrap_err();
        assert!(e.contains("is larger than 1T"), "{e}");
        assert!(parse_heap("18446744073709551615G")
            .unwrap_err()
            .contains("larger than 1T"));
        assert_eq!(parse_heap("1T"), Ok(HeapSpec::Fixed(1 << 20)));
        let (mib, w) = resolve_heap(&HeapSpec::Fixed(1 << 20), Some(1024 * MIB)).unwrap();
        assert_eq!(mib, 1 << 20);
        assert!(
            w[0].to_string().contains("the pod will be OOMKilled"),
            "{w:?}"
        );
        let max = resolve_heap(&HeapSpec::Fixed(u64::MAX), Some((1 << 60) - 1)).unwrap();
        assert_eq!(max.1.len(), 1);
    }

    #[test]
    fn extra_flags_refuse_heap() {
        assert_eq!(
            parse_extra_flags(Some("-XX:+UseG1GC  -Dfoo=bar")).unwrap(),
            ["-XX:+UseG1GC", "-Dfoo=bar"]
        );
        let e = parse_extra_flags(Some("-Xmx1g")).unwrap_err().to_string();
        assert!(e.contains("contains -Xmx1g"), "{e}");
        assert!(
            e.starts_with(
                "--jvm-flags (JVMFLAGS) contains -Xmx1g: zkpod sets the heap exactly once"
            ),
            "{e}"
        );
        assert!(e.contains("Fix: remove -Xmx1g and pass --heap"), "{e}");
        for (flag, means) in [
            (
                "-Djava.security.properties=/etc/passwd",
                "zkpod sets -Djava.security.properties itself",
            ),
            (
                "-Djava.security.properties==/etc/passwd",
                "zkpod sets -Djava.security.properties itself",
            ),
            (
                "-Dlogback.configurationFile=/tmp/x.xml",
                "zkpod sets -Dlogback.configurationFile itself",
            ),
            ("-jar", "it would change what java runs"),
            (
                "-XX:VMOptionsFile=/tmp/opts",
                "read more options from a file",
            ),
            ("-XX:Flags=/tmp/.hotspotrc", "read more options from a file"),
        ] {
            let e = parse_extra_flags(Some(flag)).unwrap_err().to_string();
            assert!(e.contains(means), "{flag}: {e}");
        }
        let e = parse_extra_flags(Some("@/etc/shadow"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("with @, read options from that file"), "{e}");
        assert!(parse_extra_flags(Some(&"-Dx=1 ".repeat(20000)))
            .unwrap_err()
            .to_string()
            .contains("at most 64 KiB"));
        let e = parse_extra_flags(Some("Main")).unwrap_err().to_string();
        assert!(
            e.contains("contains 'Main', which is not a JVM option"),
            "{e}"
        );
    }

    #[test]
    fn golden_jvm_files() {
        let flags = flags(
            512,
            "/opt/zookeeper/conf/java.security",
            "-Dlog4j.configuration=file:/opt/zookeeper/conf/log4j.properties",
            &["-XX:+UseG1GC".to_string()],
        );
        crate::golden::check("java.env", &render_java_env(512, &flags));
        crate::golden::check("java.security", &render_java_security(10, 0).unwrap());
    }

    #[test]
    fn exactly_one_heap_pair() {
        let f = flags(
            512,
            "/c/java.security",
            "-Dlog4j.configuration=file:/c/log4j.properties",
            &[],
        );
        assert_eq!(f.iter().filter(|x| x.starts_with("-Xmx")).count(), 1);
        assert_eq!(f.iter().filter(|x| x.starts_with("-Xms")).count(), 1);
        assert!(f.contains(&"-XX:+ExitOnOutOfMemoryError".to_string()));
        let env = render_java_env(512, &f);
        assert!(!env.contains("-Xmx"), "{env}");
        assert!(env.contains("ZK_SERVER_HEAP=512"), "{env}");
    }
}
