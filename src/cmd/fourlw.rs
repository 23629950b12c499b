//! `zkpod 4lw <word>`: send one four-letter word and print the raw reply
//! (issue 3).

use crate::cli::fourlw::{FourLwArgs, FourLwCli};
use crate::client::fourlw::parse_word;
use crate::client::reply::whitelist_refusal;
use crate::cmd::{entry, open, Command, Entry, Name};
use crate::probe::verdict::Reason;
use crate::sys::report::{fail, Code};
use crate::sys::stdout::emit;

pub const ENTRIES: &[Entry] = &[entry::<FourLwCli>()];

impl Command for FourLwCli {
    const NAME: Name = Name::Sub("4lw");
    const FAILURE: Code = Code::Unhealthy;
    fn run(self) -> anyhow::Result<Code> {
        run(&self.args)
    }
}

/// Prints the reply as received. Fails with exit 2 when the word is not four
/// lowercase letters, and exit 1 when the server cannot be reached or
/// refuses the word (not whitelisted).
pub fn run(a: &FourLwArgs) -> anyhow::Result<Code> {
    let word = parse_word(&a.command).map_err(|m| fail(Code::Usage, m))?;
    let (e, s) = open(&a.server)?;
    let bytes = s
        .ask(&word)
        .map_err(|err| fail(Code::Unhealthy, Reason::from(err).line(&e)))?;
    if let Some(w) = whitelist_refusal(&String::from_utf8_lossy(&bytes)) {
        let r = Reason::NotWhitelisted(vec![w.to_string()]);
        return Err(fail(Code::Unhealthy, r.line(&e)));
    }
    emit(&bytes, &format!("the {} reply", a.command))?;
    Ok(Code::Ok)
}
