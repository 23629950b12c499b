//! `zkpod probe live|ready|startup` and the `zookeeper-ready` / `ready_live.sh` drop-ins.
//! (being written: issue 3)
use crate::cli::{LiveArgs, ReadyArgs};
use crate::exit::{fail, Code};

pub fn live(_a: &LiveArgs) -> anyhow::Result<Code> {
    Err(fail(Code::Unhealthy, "probe live: not implemented yet"))
}
pub fn ready(_a: &ReadyArgs) -> anyhow::Result<Code> {
    Err(fail(Code::Unhealthy, "probe ready: not implemented yet"))
}
pub fn startup(_a: &LiveArgs) -> anyhow::Result<Code> {
    Err(fail(Code::Unhealthy, "probe startup: not implemented yet"))
}
pub fn ready_script(_port: Option<u16>) -> anyhow::Result<Code> {
    Err(fail(Code::Unhealthy, "zookeeper-ready: not implemented yet"))
}
