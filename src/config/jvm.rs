//! JVM settings: heap size, the flags zkpod always sets, `java.env` and the
//! `java.security` file that carries the DNS cache TTLs.

use crate::sys::report::{diagnose, Code, Warning};

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
    let mib = match unit {
        "k" | "K" => n / 1024,
        "m" | "M" => n,
        "g" | "G" => n.saturating_mul(1024),
        "" => n / (1024 * 1024),
        _ => return Err(bad()),
    };
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

/// Splits `JVMFLAGS` / `--jvm-flags` into arguments, refusing heap flags.
///
/// Fails (exit code 4) when a flag sets the heap: zkpod sets exactly one
/// -Xms/-Xmx pair from --heap (zkEnv.sh's extra -Xmx1000m was a known bug).
pub fn parse_extra_flags(flags: Option<&str>) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for f in flags.unwrap_or("").split_whitespace() {
        let heap = [
            "-Xmx",
            "-Xms",
            "-XX:MaxHeapSize",
            "-XX:InitialHeapSize",
            "-XX:MaxRAMPercentage",
            "-XX:InitialRAMPercentage",
        ]
        .iter()
        .any(|p| f.starts_with(p));
        if heap {
            return Err(diagnose(
                Code::Config,
                format!("JVMFLAGS/--jvm-flags contains {f}"),
                "zkpod sets the heap exactly once from --heap; a second heap flag would silently win or conflict",
                format!("remove {f} from JVMFLAGS and pass --heap (or ZOO_HEAP) instead"),
            ));
        }
        if !f.starts_with('-') {
            return Err(diagnose(
                Code::Config,
                format!("JVMFLAGS/--jvm-flags contains '{f}', which is not a JVM option"),
                "java would take it for the main class and not start ZooKeeper",
                "pass only options starting with '-', separated by spaces (no quoting is supported)",
            ));
        }
        out.push(f.to_string());
    }
    Ok(out)
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

/// Renders `java.env`, which zkServer.sh sources: the same heap and flags,
/// so a manual `zkServer.sh start-foreground` agrees with zkpod. zkEnv.sh
/// builds `-Xmx` from ZK_SERVER_HEAP, so the heap goes there and
/// SERVER_JVMFLAGS carries the rest: one -Xmx either way.
pub fn render_java_env(heap_mib: u64, flags: &[String]) -> String {
    let rest: Vec<&str> = flags
        .iter()
        .map(String::as_str)
        .filter(|f| !f.starts_with("-Xmx"))
        .collect();
    format!(
        "# Written by zkpod start: the JVM settings it starts ZooKeeper with.\n# zkServer.sh sources this file, so both launch paths agree.\nZK_SERVER_HEAP={heap_mib}\nSERVER_JVMFLAGS=\"{}\"\n",
        rest.join(" ")
    )
}

/// Renders the `java.security` override file. The DNS cache TTLs are
/// security properties: a `-D` flag cannot set them, a file passed with
/// `-Djava.security.properties=` can. A negative TTL of 0 makes the JVM
/// retry a peer whose DNS record appears late instead of caching the failure.
pub fn render_java_security(ttl: u32, negative_ttl: u32) -> String {
    format!(
        "# Written by zkpod start; passed to the JVM with -Djava.security.properties.\n# DNS cache: pods change IP when rescheduled, and peers' records appear late at boot.\nnetworkaddress.cache.ttl={ttl}\nnetworkaddress.cache.negative.ttl={negative_ttl}\n"
    )
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
        let huge = parse_heap("99999999999G").unwrap();
        let (mib, w) = resolve_heap(&huge, Some(1024 * MIB)).unwrap();
        assert_eq!(mib, 99999999999 * 1024);
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
            e.contains("Fix: remove -Xmx1g from JVMFLAGS and pass --heap"),
            "{e}"
        );
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
        crate::golden::check("java.security", &render_java_security(10, 0));
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
