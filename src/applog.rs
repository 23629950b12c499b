//! zkpod's own logging: log4rs to stderr.
//!
//! stdout belongs to ZooKeeper once the JVM replaces zkpod (and to the output
//! of `--dry-run`, `status` and `metrics`), so zkpod's own lines go to stderr,
//! each prefixed with `zkpod:` and the level. `ZKPOD_LOG` sets the level
//! (error, warn, info, debug, trace; default info).

use log::LevelFilter;
use log4rs::append::console::{ConsoleAppender, Target};
use log4rs::config::{Appender, Config, Root};
use log4rs::encode::pattern::PatternEncoder;

/// The level named by `ZKPOD_LOG`, or info.
pub fn level_from_env(value: Option<&str>) -> LevelFilter {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        Some("off") => LevelFilter::Off,
        Some("error") => LevelFilter::Error,
        Some("warn") | Some("warning") => LevelFilter::Warn,
        Some("debug") => LevelFilter::Debug,
        Some("trace") => LevelFilter::Trace,
        _ => LevelFilter::Info,
    }
}

/// Sends zkpod's log records to stderr. Safe to call more than once (later
/// calls are ignored).
pub fn init() {
    let level = level_from_env(std::env::var("ZKPOD_LOG").ok().as_deref());
    let stderr = ConsoleAppender::builder()
        .target(Target::Stderr)
        .encoder(Box::new(PatternEncoder::new("zkpod: {l}: {m}{n}")))
        .build();
    let config = Config::builder()
        .appender(Appender::builder().build("stderr", Box::new(stderr)))
        .build(Root::builder().appender("stderr").build(level));
    if let Ok(config) = config {
        // A second init (tests) fails harmlessly: the first logger stays.
        let _ = log4rs::init_config(config);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_parsing() {
        assert_eq!(level_from_env(None), LevelFilter::Info);
        assert_eq!(level_from_env(Some("DEBUG")), LevelFilter::Debug);
        assert_eq!(level_from_env(Some("warning")), LevelFilter::Warn);
        assert_eq!(level_from_env(Some("off")), LevelFilter::Off);
        assert_eq!(level_from_env(Some("nonsense")), LevelFilter::Info);
    }
}
