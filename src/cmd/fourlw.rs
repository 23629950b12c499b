//! `zkpod 4lw <cmd>`: send one four-letter word and print the raw reply
//! (issue 3).

use tokio::time::Instant;

use crate::cli::FourLwArgs;
use crate::client::fourlw::parse_command;
use crate::cmd::probe::{ask, block_on, emit, endpoint};
use crate::probe::verdict::{whitelist_refusal, Reason};
use crate::sys::report::{fail, Code};

/// Prints the reply as received. Fails with exit 2 when the word is not four
/// lowercase letters, and exit 1 when the server cannot be reached or
/// refuses the word (not whitelisted).
pub fn run(a: &FourLwArgs) -> anyhow::Result<Code> {
    let word = parse_command(&a.command).map_err(|m| fail(Code::Usage, m))?;
    let t = endpoint(&a.target);
    let outcome = block_on(async {
        let deadline = Instant::now() + t.timeout;
        ask(&t, &word, deadline).await
    })?;
    let bytes = outcome.map_err(|e| fail(Code::Unhealthy, Reason::from(e).line(&t)))?;
    if let Some(w) = whitelist_refusal(&String::from_utf8_lossy(&bytes)) {
        let r = Reason::NotWhitelisted(vec![w.to_string()]);
        return Err(fail(Code::Unhealthy, r.line(&t)));
    }
    emit(&bytes, &format!("the {} reply", a.command))
}
