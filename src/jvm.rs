//! JVM settings: heap size, the flags zkpod always sets, `java.env` and the
//! `java.security` file that carries the DNS cache TTLs.
#![allow(dead_code)]

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
        return Err(format!("'{s}' is below 16M, too small for ZooKeeper to start"));
    }
    Ok(HeapSpec::Fixed(mib))
}
