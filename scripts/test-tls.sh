#!/bin/sh
# The TLS suite (tests/tls, issue 13): a test CA and per-pod certificates in
# cert-manager's Secret layout made with openssl at test time; three
# ZooKeeper 3.9.4 pods started through `zkpod start --tls-dir`, each in its
# own network namespace on a bridge with no route off the machine
# (10.213.13.0/24, ZKPOD_TLS_SUBNET to change it): quorum and client TLS,
# kazoo and zkCli over TLS, untrusted clients rejected, plaintext only on
# each pod's loopback, zkpod's probes over TLS, rotation without a restart,
# a leader kill; and every bad TLS input of zkpod start with its message,
# exit code 11 and an untouched pod directory.
#
# Needs root, iproute2, openssl, a JRE, pytest and kazoo
# (scripts/install-deps.sh), ZooKeeper 3.9.4 (scripts/zk-dist.sh, cached in
# /var/cache/zkpod/zk-dist) and a debug build (cargo build; or ZKPOD_BIN).
# Takes the namespace suites' lock /tmp/zkpod-e2e.lock. Extra arguments go
# to pytest.
set -eu
cd "$(dirname "$0")/.."
t0=$(date +%s.%N)
python3 -m pytest -q -rs -p no:cacheprovider tests/tls "$@"
awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "test-tls.sh: %.1f s\n", t1 - t0 }'
