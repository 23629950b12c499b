#!/usr/bin/env bash
# The real-Kubernetes phase (issue 11), as root:
#   1. build: the cluster's binaries (from the build cache, or built from the
#      Go module proxy), kubectl and helm, the pause and zkpod images
#      (scripts/local-cluster.sh build): the only step that may download;
#   2. under scripts/no-egress.sh (nothing the cluster or the tests send may
#      leave the machine; the phase fails on any packet that tries): bring the
#      cluster up, run tests/cluster against it, take it down again, also on
#      failure.
#
# Environment: ZKPOD_KEEP_CLUSTER=1 leaves the cluster up afterwards (for
# debugging: then no-egress.sh is not used, since the cluster outlives the
# phase); SKIP_CARGO=1 is passed to the image build; extra arguments go to
# pytest (e.g. -k drain).
set -euo pipefail

cd "$(dirname "$0")/.."
t0=$(date +%s)
say() { echo "e2e-cluster.sh: $*" >&2; }

if [ -z "${ZKPOD_NO_EGRESS_CGROUP:-}" ]; then
    for m in pytest kazoo yaml; do
        python3 -c "import $m" 2>/dev/null || {
            say "python module $m missing; fix: scripts/install-deps.sh"
            exit 1
        }
    done
    scripts/install-helm.sh >/dev/null
    scripts/local-cluster.sh build
    t_build=$(date +%s)
    # The watch must be able to fail: one UDP datagram to a documentation
    # address (TEST-NET-2) from inside it is recorded and rejected (exit 3).
    set +e
    NO_EGRESS_QUIET=1 scripts/no-egress.sh -- python3 -c 'import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"canary", ("198.51.100.1", 9))
except OSError:
    pass' >/dev/null 2>&1
    canary=$?
    set -e
    [ "$canary" = 3 ] || { say "no-egress.sh did not catch a canary packet (exit $canary, want 3): its zero would prove nothing"; exit 1; }
    set +e
    if [ "${ZKPOD_KEEP_CLUSTER:-0}" = 1 ]; then
        say "ZKPOD_KEEP_CLUSTER=1: the cluster outlives the phase, so no-egress.sh does not watch it"
        SKIP_IMAGE=1 ZKPOD_NO_EGRESS_CGROUP=none "$0" "$@"
    else
        SKIP_IMAGE=1 scripts/no-egress.sh --local zkpodbr0 --local-net 10.244.0.0/16 -- "$0" "$@"
    fi
    rc=$?
    set -e
    echo "e2e-cluster.sh: phase took $(($(date +%s) - t0)) s (build $((t_build - t0)) s; exit $rc)"
    exit "$rc"
fi

# Inside no-egress.sh's cgroup: everything from here on stays on the machine.
finish() {
    local rc=$?
    if [ "${ZKPOD_KEEP_CLUSTER:-0}" != 1 ]; then
        scripts/local-cluster.sh down || rc=1
    fi
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

scripts/local-cluster.sh up
t_up=$(date +%s)
KUBECONFIG=/var/lib/zkpod-cluster/admin.kubeconfig python3 -m pytest -q -p no:cacheprovider tests/cluster "$@"
echo "e2e-cluster.sh: cluster up $((t_up - t0)) s, tests $(($(date +%s) - t_up)) s"
