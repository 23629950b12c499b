//! zkpod's own logging: log4rs to stderr.
//!
//! stdout belongs to ZooKeeper once the JVM replaces zkpod (and to the output
//! of `--dry-run`, `status` and `metrics`), so zkpod's own lines go to stderr
//! as `zkpod: LEVEL: message`. `ZKPOD_LOG` sets the level (error, warn, info,
//! debug, trace; default info).

use std::io::Write;

use log::LevelFilter;
use log4rs::append::Append;
use log4rs::config::{Appender, Config, Root};

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

/// Formats one record as its stderr line.
pub fn line(record: &log::Record<'_>) -> String {
    format!(
        "zkpod: {}: {}\n",
        record.level(),
        crate::sys::report::one_line(&record.args().to_string())
    )
}

/// Writes each record to stderr as one whole line in one write: log4rs's
/// console appender writes every fragment of its pattern separately (46
/// write calls for one start), which costs time on the way to exec.
#[derive(Debug)]
struct StderrLines;

impl Append for StderrLines {
    fn append(&self, record: &log::Record<'_>) -> anyhow::Result<()> {
        std::io::stderr()
            .lock()
            .write_all(line(record).as_bytes())?;
        Ok(())
    }

    fn flush(&self) {}
}

/// Sends zkpod's log records to stderr. Safe to call more than once (later
/// calls are ignored).
pub fn init() {
    let level = level_from_env(std::env::var("ZKPOD_LOG").ok().as_deref());
    let config = Config::builder()
        .appender(Appender::builder().build("stderr", Box::new(StderrLines)))
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

    #[test]
    fn one_line_per_record() {
        let args = format_args!("wrote {} files", 4);
        let rec = log::Record::builder()
            .args(args)
            .level(log::Level::Warn)
            .build();
        assert_eq!(line(&rec), "zkpod: WARN: wrote 4 files\n");
    }
}
