//! `zkpod start` (being written: issue 2)
use crate::cli::StartArgs;
use crate::exit::{fail, Code};

pub fn run(_a: &StartArgs) -> anyhow::Result<Code> {
    Err(fail(Code::Io, "start: not implemented yet"))
}
