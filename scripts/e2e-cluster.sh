#!/usr/bin/env bash
# The real-Kubernetes phase (issue 11): brings up the single-node cluster
# (scripts/local-cluster.sh up: binaries from the build cache, or built), runs
# tests/cluster against it, and takes the cluster down again, also on failure.
# Meanwhile tcpdump watches the machine's outside interface: the phase fails
# if any packet to or from the cluster's networks (10.244.0.0/16) shows up
# there, or any DNS query for a cluster name or an image registry.
#
# Environment: ZKPOD_KEEP_CLUSTER=1 leaves the cluster up afterwards;
# SKIP_CARGO=1 / SKIP_IMAGE=1 are passed to local-cluster.sh; extra
# arguments go to pytest (e.g. -k drain).
set -euo pipefail

cd "$(dirname "$0")/.."
t0=$(date +%s)
say() { echo "e2e-cluster.sh: $*" >&2; }

for m in pytest kazoo yaml; do
    python3 -c "import $m" 2>/dev/null || {
        say "python module $m missing; fix: scripts/install-deps.sh"
        exit 1
    }
done

# The outside interface: the one the default route leaves by.
ext=$(ip route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
cap=$(mktemp /tmp/zkpod-cluster-XXXXXX.pcap)
tcpdump_pid=""
if [ -n "$ext" ] && command -v tcpdump >/dev/null; then
    tcpdump -i "$ext" -n -s 256 -U -w "$cap" >/dev/null 2>&1 &
    tcpdump_pid=$!
else
    say "no default route or no tcpdump: the outside interface is not watched"
fi

finish() {
    local rc=$? bad dns total
    if [ "${ZKPOD_KEEP_CLUSTER:-0}" != 1 ]; then
        scripts/local-cluster.sh down || rc=1
    fi
    if [ -n "$tcpdump_pid" ]; then
        sleep 1
        kill -INT "$tcpdump_pid" 2>/dev/null || true
        wait "$tcpdump_pid" 2>/dev/null || true
        total=$(tcpdump -r "$cap" -n 2>/dev/null | wc -l)
        bad=$(tcpdump -r "$cap" -n 'net 10.244.0.0/16' 2>/dev/null | wc -l)
        # Queries this machine sent for names only this cluster would ask
        # for: the suite's namespaces, its pods' reverse zone, and the
        # registries of the seeds' original images (a pull that slipped
        # through). Other processes of the machine (other suites) may look up
        # other names: those count in the total only.
        dns_lines=$(tcpdump -r "$cap" -n 'udp dst port 53' 2>/dev/null |
            grep -Ei ' (A|AAAA|PTR|SRV)\? [^ ]*(\.(zk-tutorial|zk-openshift|zk-stale|zk-findings|seed001|seed004)\.svc\.|244\.10\.in-addr\.arpa|registry\.k8s\.io|cloudurable)' || true)
        other=$(tcpdump -r "$cap" -n 'udp dst port 53' 2>/dev/null | grep -c 'cluster\.local' || true)
        dns=$(printf '%s' "$dns_lines" | grep -c . || true)
        echo "e2e-cluster.sh: on $ext during the phase: $total packets in all (other processes of this machine included), $bad to or from the cluster's 10.244.0.0/16, $dns DNS queries for this cluster's names or the seeds' registries ($other for other cluster.local names, from other processes)"
        if [ "$bad" != 0 ] || [ "$dns" != 0 ]; then
            tcpdump -r "$cap" -n 'net 10.244.0.0/16' 2>/dev/null | head -n 20 >&2
            printf '%s\n' "$dns_lines" | head -n 20 >&2
            mkdir -p .tmp
            cp "$cap" .tmp/e2e-cluster-eth.pcap
            say "traffic from the cluster left the machine (above; capture kept in .tmp/e2e-cluster-eth.pcap); GUIDE.md forbids it"
            rc=1
        fi
        rm -f "$cap"
    fi
    echo "e2e-cluster.sh: phase took $(($(date +%s) - t0)) s (exit $rc)"
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

scripts/local-cluster.sh up
t_up=$(date +%s)
KUBECONFIG=/var/lib/zkpod-cluster/admin.kubeconfig python3 -m pytest -q -p no:cacheprovider tests/cluster "$@"
echo "e2e-cluster.sh: cluster up $((t_up - t0)) s, tests $(($(date +%s) - t_up)) s"
