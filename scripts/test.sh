#!/usr/bin/env bash
# Runs every zkpod test. On a fresh Debian 12 machine, as root, this one
# command installs what the tests need (scripts/install-deps.sh) and runs,
# one phase after another:
#   format and lint checks; unit, golden and integration tests (cargo test:
#   bad inputs, fake four-letter-word servers); the release build; the shared
#   Python helpers' tests (tests/lib); real ZooKeeper in namespace pods
#   (tests/namespaces); the manifest checks (tests/manifests); the version
#   matrix, upstream releases 3.5-3.9 from Maven Central and Debian's
#   (tests/versions); real Java clients, Curator and a Kafka broker, through
#   a ZooKeeper leader kill (tests/clients); the shipped image in real
#   containers (tests/containers, podman); the shipped manifests and the
#   tutorial's steps on a real Kubernetes built from source (tests/cluster).
# Each phase prints its duration, and a table of all phase times ends the
# run (also when a phase fails: the run stops there and exits non-zero).
#
# Every Python test must run here: ZKPOD_TESTS_NO_SKIP=1 makes a skipped
# test fail its suite (tests/conftest.py). ZKPOD_SKIP_CONTAINERS=1 leaves out
# the container phase (it needs podman and about 5 minutes); ZKPOD_SKIP_K8S=1
# leaves out the real-Kubernetes phase (its first run on a machine builds
# Kubernetes from source); CI runs all.
# A new phase is one more `phase` line below.
set -euo pipefail
cd "$(dirname "$0")/.."
# Golden files are compared, never rewritten, in a test run.
unset ZKPOD_BLESS
export ZKPOD_TESTS_NO_SKIP=1

PYTEST=(python3 -m pytest -q -rs -p no:cacheprovider)
NAMES=()
TIMES=()
CURRENT=
CURRENT_T0=
RUN_T0=$EPOCHREALTIME

# Microseconds since $1 (an $EPOCHREALTIME value).
since() { echo $((${EPOCHREALTIME/./} - ${1/./})); }
# Microseconds as "12.3 s", or "3m05.2s" from a minute on.
fmt() {
  local ds=$((($1 + 50000) / 100000))
  if ((ds < 600)); then
    printf '%d.%d s' $((ds / 10)) $((ds % 10))
  else
    printf '%dm%02d.%ds' $((ds / 600)) $((ds % 600 / 10)) $((ds % 10))
  fi
}

# phase NAME COMMAND...: runs one phase and records its time; a failing
# command ends the run (set -e) with the table printed by the EXIT trap.
phase() {
  local name=$1
  shift
  printf '\n=== %s\n' "$name"
  CURRENT=$name
  CURRENT_T0=$EPOCHREALTIME
  "$@"
  local us
  us=$(since "$CURRENT_T0")
  NAMES+=("$name")
  TIMES+=("$(fmt "$us")")
  CURRENT=
  printf '=== %s: %s\n' "$name" "$(fmt "$us")"
}

skipped_phase() {
  printf '\n=== %s: not run (%s)\n' "$1" "$2"
  NAMES+=("$1")
  TIMES+=("not run: $2")
}

summary() {
  local rc=$1 i
  if [ -n "$CURRENT" ]; then
    NAMES+=("$CURRENT")
    TIMES+=("FAILED after $(fmt "$(since "$CURRENT_T0")") (exit $rc)")
  fi
  local w=5
  for i in "${!NAMES[@]}"; do
    ((${#NAMES[$i]} <= w)) || w=${#NAMES[$i]}
  done
  printf '\n=== phase times\n'
  for i in "${!NAMES[@]}"; do
    printf '  %-*s  %s\n' "$w" "${NAMES[$i]}" "${TIMES[$i]}"
  done
  printf '  %-*s  %s\n' "$w" "total" "$(fmt "$(since "$RUN_T0")")"
  if [ "$rc" -eq 0 ]; then
    printf '=== all test phases passed\n'
  else
    printf '=== the run FAILED (exit %s)\n' "$rc"
  fi
}
# The Kubernetes binaries take longest to build on a fresh machine (about
# 6 min of both cores): start that now, in the background, at the lowest CPU
# and I/O priority so that it only fills the time the other phases leave idle
# (the timing-sensitive ones keep their CPU), and join it before the cluster
# phase. It runs in its own process group; a run that fails earlier stops it.
k8s_build=""
if [ "${ZKPOD_SKIP_K8S:-0}" != "1" ]; then
  mkdir -p .tmp
  setsid nice -n 19 ionice -c 3 scripts/cluster/build.sh >.tmp/cluster-build.log 2>&1 &
  k8s_build=$!
fi
cluster_phase() {
  wait "$k8s_build" || { cat .tmp/cluster-build.log >&2; return 1; }
  k8s_build=""
  cat .tmp/cluster-build.log
  SKIP_CARGO=1 scripts/e2e-cluster.sh
}
trap 'rc=$?; [ -z "$k8s_build" ] || kill -- "-$k8s_build" 2>/dev/null || true; summary "$rc"; exit "$rc"' EXIT
# A signal ends the run as failed: without these, bash would run the EXIT
# trap with the last command's status (0) and report a killed run as passed.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

phase "dependencies (scripts/install-deps.sh)" scripts/install-deps.sh
phase "cargo fmt --check" cargo fmt --check
phase "cargo fmt --check (fuzz/)" cargo fmt --check --manifest-path fuzz/Cargo.toml
phase "cargo clippy --all-targets -- -D warnings" cargo clippy --all-targets -- -D warnings
phase "cargo test (unit, golden, integration)" cargo test
phase "release build" cargo build --release
phase "fuzz: every parser, 30 s each" scripts/fuzz.sh
phase "python helpers (tests/lib)" "${PYTEST[@]}" tests/lib
phase "namespace pods: real ZooKeeper (tests/namespaces)" scripts/test-namespaces.sh
phase "TLS: 3 pods in network namespaces (tests/tls)" scripts/test-tls.sh
phase "manifests (tests/manifests)" scripts/test-manifests.sh
phase "version matrix (tests/versions)" scripts/test-versions.sh
phase "Java clients (tests/clients)" scripts/test-clients.sh
if [ "${ZKPOD_SKIP_CONTAINERS:-0}" = "1" ]; then
  skipped_phase "containers: image, 3 pods, membership 1-5, TLS (tests/containers)" "ZKPOD_SKIP_CONTAINERS=1"
else
  phase "containers: image, 3 pods, membership 1-5, TLS (tests/containers)" env SKIP_CARGO=1 scripts/test-containers.sh
fi
phase "helm chart (tests/helm)" scripts/test-helm.sh
if [ "${ZKPOD_SKIP_K8S:-0}" = "1" ]; then
  skipped_phase "real Kubernetes (tests/cluster)" "ZKPOD_SKIP_K8S=1"
else
  phase "real Kubernetes (tests/cluster)" cluster_phase
fi
