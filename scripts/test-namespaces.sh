#!/bin/sh
# The namespace-pod suite (tests/namespaces): real ZooKeeper (Debian's
# package) started through `zkpod start`, each server a "pod" in its own
# UTS+mount namespace on 127.0.0.10-12 and 127.0.0.20-21. Takes the
# machine-wide lock /tmp/zkpod-e2e.lock, so it may wait for another run.
#
# Needs root, zookeeper, a JRE, util-linux, pytest and kazoo
# (scripts/install-deps.sh), and a debug build (cargo build; or set ZKPOD_BIN).
# Without root every test is reported as skipped. Extra arguments go to pytest.
set -eu
cd "$(dirname "$0")/.."
t0=$(date +%s.%N)
python3 -m pytest -q -rs -p no:cacheprovider tests/namespaces "$@"
awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "test-namespaces.sh: %.1f s\n", t1 - t0 }'
