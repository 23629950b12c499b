//! Integration tests of the zkpod binary, compiled into one test binary.
//! This file only lists the modules; shared helpers live in `util`.

mod util;

mod hardening;
mod hardening_membership;
mod hardening_tls;
mod membership_cli;
mod probe_fake;
mod probe_tls;
mod properties_java;
mod start_cli;
mod zkcli_cli;
