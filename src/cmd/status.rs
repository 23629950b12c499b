//! `zkpod status`. (being written: issue 3)
use crate::cli::StatusArgs;
use crate::exit::{fail, Code};

pub fn run(_a: &StatusArgs) -> anyhow::Result<Code> {
    Err(fail(Code::Unhealthy, "status: not implemented yet"))
}
