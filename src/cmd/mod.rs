//! One file per subcommand. Each is a short function that takes its parsed
//! arguments, calls the layers that decide and render, and does the I/O.

pub mod fourlw;
pub mod metrics;
pub mod probe;
pub mod start;
pub mod status;

use crate::cli::ServerArgs;
use crate::client::Endpoint;
use crate::config::zoocfg;

/// The server the flags (and, for what they leave open, zoo.cfg) point at.
pub(crate) fn endpoint(s: &ServerArgs) -> Endpoint {
    crate::probe::endpoint::resolve(s.host.as_deref(), s.port, s.timeout, || {
        zoocfg::read(&s.conf_dir)
    })
}
