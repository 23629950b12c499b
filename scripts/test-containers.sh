#!/bin/sh
# The container suite (tests/containers, issue 4): sets up podman, builds the
# image (and, where no registry is reachable, the local base image), then
# checks the image and runs it as the three pods of the rendered StatefulSet
# through the scenarios in tests/containers/test_pods.py, then as pods of a
# StatefulSet scaled between 1 and 5 under load (test_membership.py, issue 9;
# --ignore=tests/containers/test_membership.py leaves it out). Removes every
# container and volume it made, also on failure or Ctrl-C. Prints its time.
#
# Environment: E2E_NET (loopback prefix, default 127.0.0.1 -> pods at 127.0.0.10-18;
# test_membership.py scales to 5 and checks that all nine are free),
# E2E_PREFIX, E2E_UID, ZKPOD_IMAGE, SKIP_BUILD=1 (use the existing image),
# SKIP_CARGO=1 (use the binary already built). Needs root, zookeeper (zkCli.sh),
# kubectl (scripts/install-kubectl.sh) and python3 with pytest, kazoo, pyyaml
# and kubernetes-validate. Extra arguments go to pytest.
set -eu

cd "$(dirname "$0")/.."
t0=$(date +%s)
NET=${E2E_NET:-127.0.0.1}
PREFIX=${E2E_PREFIX:-zkpod-e2e-$(echo "$NET" | tr . -)}
export E2E_NET="$NET" E2E_PREFIX="$PREFIX"

cleanup() {
    # $PREFIX: the main scenarios' pods; $PREFIX-tls: the TLS scenario's.
    for label in "$PREFIX" "$PREFIX-tls"; do
        ids=$(podman ps -a -q --filter "label=zkpod-e2e=$label" 2>/dev/null || true)
        [ -z "$ids" ] || podman rm --force --time 0 $ids >/dev/null 2>&1 || true
        vols=$(podman volume ls -q --filter "label=zkpod-e2e=$label" 2>/dev/null || true)
        [ -z "$vols" ] || podman volume rm --force $vols >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for m in pytest kazoo yaml kubernetes_validate; do
    python3 -c "import $m" 2>/dev/null || {
        echo "test-containers.sh: python module $m missing; fix: pip install pytest kazoo pyyaml kubernetes-validate" >&2
        exit 1
    }
done
if [ ! -x "${ZKCLI:-/usr/share/zookeeper/bin/zkCli.sh}" ]; then
    echo "test-containers.sh: zkCli.sh not found (the suite's real client); fix: apt-get install -y --no-install-recommends zookeeper" >&2
    exit 1
fi

scripts/setup-podman.sh
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    scripts/build-image.sh
fi
t_build=$(date +%s)

python3 -m pytest -q -rs -p no:cacheprovider tests/containers "$@"
t_end=$(date +%s)
echo "test-containers.sh: setup+build $((t_build - t0)) s, tests $((t_end - t_build)) s, total $((t_end - t0)) s"
