#!/usr/bin/env bash
# The ZooKeeper version matrix (tests/versions, issue 10): every release in
# tests/versions/versions.txt as a real 3-server ensemble of namespace pods,
# started through `zkpod start` on the image's jlink runtime (scripts/jre.sh),
# one ensemble per release shared by its checks. First resolves the releases
# from Maven Central (scripts/zk-dist.sh, cached in ~/.m2 and
# /var/cache/zkpod/zk-dist) and builds the runtime (cached in
# /var/cache/zkpod/jre), each step timed.
#
# Takes the machine-wide namespace-pod lock /tmp/zkpod-e2e.lock (it may wait
# for another run). Needs root, Maven, a JDK with jmods, python3 with pytest
# and prometheus_client (scripts/install-deps.sh), and a debug build (cargo
# build; or set ZKPOD_BIN). Extra arguments go to pytest; ZK_VERSIONS runs
# other releases.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$EPOCHREALTIME
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# versions.txt: release, then +flags. A +prometheus release must resolve with
# its provider; the others may lack it where the Maven repository does not
# serve it (zk-dist.txt records that).
while read -r name rest; do
    case "$name" in ''|'#'*|debian) continue ;; esac
    policy=optional
    case " $rest " in *" +prometheus "*) policy=required ;; esac
    ZK_DIST_PROMETHEUS=$policy scripts/zk-dist.sh --cached "$name" >/dev/null
done <tests/versions/versions.txt
t_dist=$(secs "$t0")
t1=$EPOCHREALTIME
scripts/jre.sh >/dev/null
t_jre=$(secs "$t1")
t2=$EPOCHREALTIME
rc=0
python3 -m pytest -q -rs -p no:cacheprovider tests/versions "$@" || rc=$?
echo "test-versions.sh: resolve ${t_dist} s, runtime ${t_jre} s, tests $(secs "$t2") s, total $(secs "$t0") s"
exit "$rc"
