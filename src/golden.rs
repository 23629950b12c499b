//! Golden-file checks for rendered files (test builds only).
//!
//! `check("zoo.cfg.seed004", &rendered)` compares with
//! `tests/golden/zoo.cfg.seed004`. A change in a rendered file is then a
//! visible diff in review. After an intended change, regenerate with
//! `ZKPOD_BLESS=1 cargo test` and review the diff of tests/golden/.

use std::path::PathBuf;

/// Asserts that `actual` equals the golden file `name` (or rewrites it when
/// `ZKPOD_BLESS` is set).
pub fn check(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("ZKPOD_BLESS").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} missing ({e}); run ZKPOD_BLESS=1 cargo test",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the rendered output at line {}:\n--- golden\n{}\n--- rendered\n{}\n(if intended: ZKPOD_BLESS=1 cargo test, then review the diff)",
            path.display(),
            first + 1,
            expected,
            actual
        );
    }
}
