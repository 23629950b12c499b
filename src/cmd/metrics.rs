//! `zkpod metrics [--format text|prometheus] [--prefix zookeeper|zk]` and the `metrics.sh [PORT]`
//! drop-in (issue 3): ZooKeeper's `mntr`, as printed or as Prometheus text.

use crate::cli::metrics::{MetricsArgs, MetricsCli, MetricsFormat, MetricsNames, MetricsScriptCli};
use crate::cli::server::ServerArgs;
use crate::client::reply::parse_mntr;
use crate::cmd::{entry, open, Command, Entry, Name};
use crate::probe::metrics::{fetch_mntr, prometheus, Names};
use crate::sys::report::{fail, Code};
use crate::sys::stdout::emit;

pub const ENTRIES: &[Entry] = &[entry::<MetricsCli>(), entry::<MetricsScriptCli>()];

impl Command for MetricsCli {
    const NAME: Name = Name::Sub("metrics");
    const FAILURE: Code = Code::Unhealthy;
    fn run(self) -> anyhow::Result<Code> {
        run(&self.args)
    }
}

impl Command for MetricsScriptCli {
    const NAME: Name = Name::DropIn(&["metrics.sh"]);
    const FAILURE: Code = Code::Unhealthy;
    fn run(self) -> anyhow::Result<Code> {
        script(&self.server())
    }
}

/// Prints `mntr` in the chosen format. Fails (exit 1) when the server cannot
/// be reached, does not allow `mntr`, is not serving, or answers something
/// that is not `mntr` output.
pub fn run(a: &MetricsArgs) -> anyhow::Result<Code> {
    let bytes = mntr(&a.server)?;
    let out = match a.format {
        MetricsFormat::Text => bytes,
        MetricsFormat::Prometheus => {
            let names = match a.prefix {
                MetricsNames::Zookeeper => Names::Zookeeper,
                MetricsNames::Zk => Names::Zk,
            };
            prometheus(&parse_mntr(&String::from_utf8_lossy(&bytes)), names).into_bytes()
        }
    };
    emit(&out, "the metrics")?;
    Ok(Code::Ok)
}

/// `metrics.sh [PORT]`: prints the `mntr` reply exactly; exit 1 with one
/// line on failure.
pub fn script(server: &ServerArgs) -> anyhow::Result<Code> {
    emit(&mntr(server)?, "the metrics")?;
    Ok(Code::Ok)
}

fn mntr(server: &ServerArgs) -> anyhow::Result<Vec<u8>> {
    let (e, s) = open(server)?;
    fetch_mntr(&mut |w| s.ask(w)).map_err(|r| fail(Code::Unhealthy, r.line(&e)))
}
