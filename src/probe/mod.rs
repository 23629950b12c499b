//! What the replies mean, on top of `client`: the probe verdicts and their
//! one-line messages, the `zkpod status` model, and `mntr` as Prometheus
//! text. Everything here is pure: the words are asked through an `ask`
//! function that the command files back with a `client::Session`.

pub mod endpoint;
pub mod metrics;
pub mod refresh;
pub mod status;
pub mod tls;
pub mod verdict;
