//! Probe tests against fake four-letter-word servers (issue 3).
