#!/usr/bin/env bash
# Runs every zkpod test. On a fresh Debian 12 machine, as root, this one
# command installs what the tests need (scripts/install-deps.sh) and runs:
# format and lint checks, unit and golden tests, the binary's integration
# tests (bad inputs, fake four-letter-word servers), the real-ZooKeeper
# suites (ensembles in namespaces, probes), the Kubernetes manifest checks,
# and the end-to-end suite in real containers (podman).
#
# ZKPOD_SKIP_CONTAINERS=1 skips the container suite (it needs podman and
# ~5 minutes); CI runs everything.
set -euo pipefail
cd "$(dirname "$0")/.."
# Golden files are compared, never rewritten, in a test run.
unset ZKPOD_BLESS

step() { printf '\n=== %s\n' "$*"; }

step "dependencies"
scripts/install-deps.sh

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

step "cargo test (unit, golden, integration)"
cargo test

step "release build"
cargo build --release

step "real ZooKeeper: ensembles and probes (tests/namespaces)"
python3 -m pytest -q -p no:cacheprovider tests/lib tests/namespaces

if [ "${ZKPOD_SKIP_CONTAINERS:-0}" = "1" ]; then
  step "Kubernetes manifests (tests/manifests); containers skipped (ZKPOD_SKIP_CONTAINERS=1)"
  python3 -m pytest -q -p no:cacheprovider tests/manifests
else
  step "Kubernetes manifests and containers: image + 3 pods end to end (tests/manifests, tests/containers)"
  SKIP_CARGO=1 scripts/e2e-containers.sh
fi

step "all test steps passed"
