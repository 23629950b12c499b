//! What the replies mean: probe verdicts, the status model, Prometheus text.

pub mod diag;
pub mod verdict;
