#!/usr/bin/env bash
# The real-Java-client checks (tests/clients, issue 10): Apache Curator (a
# lock and a leader latch) and a Kafka 3.9 broker in ZooKeeper mode with its
# clients, each through a ZooKeeper leader kill, against three namespace pods
# of the image's default release started through `zkpod start`. First builds
# the Java checks with Maven (tests/clients/java; output in
# ${ZKPOD_CLIENTS_OUT:-/var/cache/zkpod/clients}, downloads in ~/.m2) and
# resolves the release (scripts/zk-dist.sh) and the runtime (scripts/jre.sh),
# each step timed.
#
# Takes the machine-wide namespace-pod lock /tmp/zkpod-e2e.lock; the broker
# listens on 127.0.0.30 and the checks' own hostnames map to 127.0.0.31.
# Needs root, Maven, a JDK, python3 with pytest and kazoo, and a debug build
# (cargo build; or ZKPOD_BIN). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${ZKPOD_CLIENTS_OUT:-/var/cache/zkpod/clients}
export ZKPOD_CLIENTS_OUT=$OUT
t0=$EPOCHREALTIME
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! mvn -B -q -ntp -f tests/clients/java/pom.xml "-Dzkpod.clients.out=$OUT" package >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "test-clients.sh: the Java checks did not build (Maven's output above)" >&2
    exit 1
fi
t_build=$(secs "$t0")
t1=$EPOCHREALTIME
version=$(sed -n 's/^ARG ZK_VERSION=//p' docker/Dockerfile | head -n 1)
scripts/zk-dist.sh --cached "$version" >/dev/null
scripts/jre.sh >/dev/null
t_prep=$(secs "$t1")
t2=$EPOCHREALTIME
rc=0
python3 -m pytest -q -rs -p no:cacheprovider tests/clients "$@" || rc=$?
echo "test-clients.sh: Java build ${t_build} s, ZooKeeper $version + runtime ${t_prep} s, tests $(secs "$t2") s, total $(secs "$t0") s"
exit "$rc"
