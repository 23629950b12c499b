#!/usr/bin/env bash
# A local 3-server ZooKeeper ensemble started through zkpod, on one Debian
# machine, without Kubernetes, managed the way Kubernetes manages the shipped
# StatefulSet (its postStart/preStop hooks included):
#
#   sudo scripts/local-ensemble.sh          # (or `up`) install, build, start what is missing, wait
#   sudo scripts/local-ensemble.sh scale 5  # what `kubectl scale statefulset zk --replicas=5` does
#   sudo scripts/local-ensemble.sh status   # each server's pid, mode and configuration
#   sudo scripts/local-ensemble.sh down     # stop them all
#
# Each server is a "pod": its own UTS+mount namespace with hostname zk-N, a
# kubelet-style /etc/hosts bind-mounted over the real one, and its own
# loopback address 127.0.0.1N (zk-0 = 127.0.0.10). Inside, `zkpod start`
# derives the id from the hostname, writes the config, drops to uid 1000 and
# execs the JVM of Debian's zookeeper package.
#
# Env: ZKPOD_LOCAL_DIR (data, config and logs; default /var/tmp/zkpod-local),
#      ZKPOD_BIN (use this zkpod instead of building one), ZKPOD_HEAP (128M).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${ZKPOD_LOCAL_DIR:-/var/tmp/zkpod-local}
HARNESS=$REPO/tests/lib/local_ensemble.py
CMD=${1:-up}

die() { echo "local-ensemble: $*" >&2; exit 1; }

case "$CMD" in
    up | down | status) ;;
    scale)
        [[ "${2:-}" =~ ^[0-9]+$ ]] || die "scale needs a replica count, e.g. $0 scale 5"
        ;;
    -h | --help | help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown command '$CMD'; use up, scale N, status or down" ;;
esac

[ "$(id -u)" = 0 ] || die "needs root (namespaces, bind mounts, chown of the data dirs); run: sudo $0 $CMD"

if [ "$CMD" = scale ]; then
    command -v python3 >/dev/null || die "python3 is missing: apt-get install python3"
    exec python3 "$HARNESS" scale "$2" --dir "$DIR"
fi
if [ "$CMD" != up ]; then
    command -v python3 >/dev/null || die "python3 is missing: apt-get install python3"
    exec python3 "$HARNESS" "$CMD" --dir "$DIR"
fi

# ---- install what is missing ------------------------------------------------
pkgs=()
command -v python3 >/dev/null || pkgs+=(python3)
command -v java >/dev/null || pkgs+=(openjdk-17-jre-headless)
[ -e /usr/share/java/zookeeper.jar ] || pkgs+=(zookeeper)
command -v nc >/dev/null || pkgs+=(netcat-openbsd)
command -v unshare >/dev/null || pkgs+=(util-linux)
if [ ${#pkgs[@]} -gt 0 ]; then
    echo "local-ensemble: installing ${pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
fi

# ---- build zkpod ------------------------------------------------------------
if [ -n "${ZKPOD_BIN:-}" ]; then
    BIN=$ZKPOD_BIN
    [ -x "$BIN" ] || die "ZKPOD_BIN=$BIN is not an executable file"
else
    command -v cargo >/dev/null || die "cargo is missing: install a Rust toolchain (1.80 or newer, e.g. with rustup), or set ZKPOD_BIN to a prebuilt zkpod"
    echo "local-ensemble: building zkpod (cargo build --release)"
    (cd "$REPO" && cargo build --release --quiet)
    BIN=$REPO/target/x86_64-unknown-linux-gnu/release/zkpod
fi

# ---- start and wait for quorum ------------------------------------------------
# uid 1000 (zkpod's default --user) must be able to reach the data dirs.
mkdir -p "$DIR"
chmod 755 "$DIR"
python3 "$HARNESS" up --dir "$DIR" --zkpod "$BIN" --heap "${ZKPOD_HEAP:-128M}"
echo "stop it with: $0 down   (data stays in $DIR; remove it to start afresh)"
