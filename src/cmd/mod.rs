//! One file per subcommand. Each is a short function that gathers input,
//! calls the pure modules that decide and render, and does the I/O.

pub mod fourlw;
pub mod metrics;
pub mod probe;
pub mod start;
pub mod status;
