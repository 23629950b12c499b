//! `zkpod start` bad-input tests (issue 2).
