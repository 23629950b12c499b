//! `zkpod 4lw <cmd>`. (being written: issue 3)
use crate::cli::FourLwArgs;
use crate::exit::{fail, Code};

pub fn run(_a: &FourLwArgs) -> anyhow::Result<Code> {
    Err(fail(Code::Unhealthy, "4lw: not implemented yet"))
}
