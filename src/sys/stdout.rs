//! Output of the diagnostic commands on stdout.

use anyhow::Context;

/// Writes a diagnostic command's output to stdout. A closed pipe (`| head`)
/// is not an error; any other write failure is, naming `what`.
pub fn emit(bytes: &[u8], what: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).with_context(|| format!("cannot write {what} to stdout"))
        }
        _ => Ok(()),
    }
}
