//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The zkpod binary under test.
pub fn zkpod() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_zkpod"))
}
