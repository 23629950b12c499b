//! `zkpod metrics` and the `metrics.sh` drop-in. (being written: issue 3)
use crate::cli::MetricsArgs;
use crate::exit::{fail, Code};

pub fn run(_a: &MetricsArgs) -> anyhow::Result<Code> {
    Err(fail(Code::Unhealthy, "metrics: not implemented yet"))
}
pub fn script(_port: Option<u16>) -> anyhow::Result<Code> {
    Err(fail(Code::Unhealthy, "metrics.sh: not implemented yet"))
}
