//! `zkpod join` (the postStart hook) and `zkpod leave` (the preStop hook):
//! dynamic membership's two changes, carried out by `membership::act`.

use crate::cli::membership::{JoinCli, LeaveCli};
use crate::cmd::{entry, Command, Entry, Name};
use crate::membership::act;
use crate::sys::report::Code;

pub const ENTRIES: &[Entry] = &[entry::<JoinCli>(), entry::<LeaveCli>()];

impl Command for JoinCli {
    const NAME: Name = Name::Sub("join");
    const FAILURE: Code = Code::Membership;
    fn run(self) -> anyhow::Result<Code> {
        crate::sys::log::init();
        act::join(&self.conf_dir, self.timeout)
    }
}

impl Command for LeaveCli {
    const NAME: Name = Name::Sub("leave");
    const FAILURE: Code = Code::Membership;
    fn run(self) -> anyhow::Result<Code> {
        crate::sys::log::init();
        act::leave(&self.conf_dir, self.timeout, self.force)
    }
}
