#!/usr/bin/env bash
# Runs a command and proves that nothing it (or anything it starts) sends
# leaves the machine (GUIDE.md's network rule). As root:
#
#   scripts/no-egress.sh [--local IFACE]... [--local-net CIDR]... -- COMMAND [ARGS...]
#
# How: the command runs in a cgroup of its own (cgroup v2; children stay in
# it). Every packet a process of that cgroup sends out of an interface other
# than lo and the --local ones (a test cluster's bridge), and every packet
# forwarded from a --local bridge to another interface (a pod's), goes
# through one iptables chain that logs it (NFLOG, captured by tcpdump) and
# rejects it: it is recorded and never leaves. Other processes of the
# machine (other suites, the CI runner) are not in the cgroup and are not
# counted. Besides, tcpdump watches every interface that is up, other than lo
# and the --local ones (and their veths), for packets to or from the
# --local-net networks (a test cluster's pod and Service ranges: its bridge
# may not exist yet when this starts, nor any more when it ends).
#
# Exit code: the command's; 3 if it passed but a packet was recorded, or a
# process of the cgroup outlived it (then killed). The captures are kept in
# .tmp/no-egress-*.pcap when anything was found (not with NO_EGRESS_QUIET=1,
# for a canary that is meant to be caught).
set -euo pipefail

say() { echo "no-egress.sh: $*" >&2; }
die() { say "$*"; exit 2; }

locals=()
nets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --local) locals+=("$2"); shift 2 ;;
        --local-net) nets+=("$2"); shift 2 ;;
        --) shift; break ;;
        *) die "usage: $0 [--local IFACE]... [--local-net CIDR]... -- COMMAND [ARGS...]" ;;
    esac
done
[ $# -gt 0 ] || die "usage: $0 [--local IFACE]... [--local-net CIDR]... -- COMMAND [ARGS...]"
[ "$(id -u)" -eq 0 ] || die "must run as root (a cgroup, iptables rules, tcpdump); fix: sudo $0 ..."
for c in iptables ip6tables tcpdump; do
    command -v "$c" >/dev/null || die "$c missing; fix: apt-get install iptables tcpdump (scripts/install-deps.sh)"
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The cgroup v2 hierarchy: /sys/fs/cgroup itself, or .../unified beside v1.
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -n "$cg2" ] || die "no cgroup v2 hierarchy is mounted: the command's packets cannot be told from other processes'; fix: mount -t cgroup2 none /sys/fs/cgroup/unified"
id=$$
name=zkpod-egress-$id
cgroup=$cg2/$name
chain=ZKPOD-EGRESS-$id
group=$((id % 60000 + 1000))
tmp=$(mktemp -d /tmp/zkpod-no-egress-XXXXXX)
pids=()

rules() { # rules -A|-D: the chain's jumps in OUTPUT and FORWARD, both families
    local op=$1 ipt l
    for ipt in iptables ip6tables; do
        "$ipt" -w "$op" OUTPUT -m cgroup --path "$name" -j "$chain" 2>/dev/null || [ "$op" = -D ]
        for l in "${locals[@]}"; do
            "$ipt" -w "$op" FORWARD -i "$l" ! -o "$l" -j "$chain" 2>/dev/null || [ "$op" = -D ]
        done
    done
}

setup() {
    mkdir "$cgroup"
    local ipt l
    for ipt in iptables ip6tables; do
        "$ipt" -w -N "$chain"
        "$ipt" -w -A "$chain" -o lo -j RETURN
        for l in "${locals[@]}"; do
            "$ipt" -w -A "$chain" -o "$l" -j RETURN
        done
        "$ipt" -w -A "$chain" -j NFLOG --nflog-group "$group" --nflog-prefix "$name"
        "$ipt" -w -A "$chain" -j REJECT
    done
    # Insert first, so that no ACCEPT of another rule comes before.
    for ipt in iptables ip6tables; do
        "$ipt" -w -I OUTPUT 1 -m cgroup --path "$name" -j "$chain"
        for l in "${locals[@]}"; do
            "$ipt" -w -I FORWARD 1 -i "$l" ! -o "$l" -j "$chain"
        done
    done
}

capture() { # capture NAME TCPDUMP-ARGS...: in the background, until it listens
    local out=$tmp/$1
    shift
    tcpdump -n -s 512 -U -w "$out.pcap" "$@" 2>"$out.err" &
    pids+=($!)
    for _ in $(seq 1 50); do
        grep -q "listening on" "$out.err" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$out.err" >&2
    die "tcpdump $* did not start"
}

# Interfaces that are up, other than lo, the --local ones and veths.
outside() {
    local dev
    for dev in $(ip -o link show up | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
        case " lo ${locals[*]} " in *" $dev "*) continue ;; esac
        case "$dev" in veth*) continue ;; esac
        echo "$dev"
    done
}

# The --local-net networks (e.g. 10.244.0.0/16): a packet to or from them on
# an outside interface came from the command's pods.
local_nets() {
    local n
    for n in "${nets[@]}"; do echo "$n"; done
}

finish() {
    local rc=$1 found=0 left n dev net filter=""
    # Processes the command left behind.
    left=$(cat "$cgroup/cgroup.procs" 2>/dev/null || true)
    if [ -n "$left" ]; then
        say "processes of the command still running after it ended (killed now):"
        for n in $left; do ps -o pid=,args= -p "$n" >&2 || true; done
        for n in $left; do kill -KILL "$n" 2>/dev/null || true; done
        found=1
    fi
    # NFLOG hands packets to tcpdump in batches (up to a second late).
    sleep 2
    for n in "${pids[@]}"; do kill -INT "$n" 2>/dev/null || true; done
    for n in "${pids[@]}"; do wait "$n" 2>/dev/null || true; done
    rules -D
    local ipt
    for ipt in iptables ip6tables; do
        "$ipt" -w -F "$chain" 2>/dev/null || true
        "$ipt" -w -X "$chain" 2>/dev/null || true
    done
    for _ in $(seq 1 50); do rmdir "$cgroup" 2>/dev/null && break; sleep 0.1; done
    n=$(tcpdump -n -r "$tmp/nflog.pcap" 2>/dev/null | wc -l)
    echo "no-egress.sh: packets the command sent toward outside the machine (recorded, rejected): $n"
    if [ "$n" != 0 ]; then
        tcpdump -n -r "$tmp/nflog.pcap" 2>/dev/null | head -n 30 >&2
        found=1
    fi
    for net in $(local_nets); do filter="$filter${filter:+ or }net $net"; done
    for dev in $(ls "$tmp" | sed -n 's/^if-\(.*\)\.pcap$/\1/p'); do
        local all ours=0
        all=$(tcpdump -n -r "$tmp/if-$dev.pcap" 2>/dev/null | wc -l)
        [ -z "$filter" ] || ours=$(tcpdump -n -r "$tmp/if-$dev.pcap" "$filter" 2>/dev/null | wc -l)
        echo "no-egress.sh: on $dev: ${ours} packets to or from ${filter:-(no local networks)}; $all in all (other processes of the machine included)"
        if [ "$ours" != 0 ]; then
            tcpdump -n -r "$tmp/if-$dev.pcap" "$filter" 2>/dev/null | head -n 20 >&2
            found=1
        fi
    done
    if [ "$found" = 1 ]; then
        if [ -z "${NO_EGRESS_QUIET:-}" ]; then
            mkdir -p "$ROOT/.tmp"
            for f in "$tmp"/*.pcap; do cp "$f" "$ROOT/.tmp/no-egress-$(basename "$f")"; done
            say "traffic of the command would have left the machine (above; captures in .tmp/no-egress-*.pcap): GUIDE.md forbids it"
        fi
        [ "$rc" != 0 ] || rc=3
    fi
    [ -n "${NO_EGRESS_KEEP:-}" ] || rm -rf "$tmp"
    return "$rc"
}

setup
trap 'rc=$?; trap - EXIT; finish "$rc"; exit $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
capture nflog -i "nflog:$group"
for dev in $(outside); do
    capture "if-$dev" -i "$dev"
done

set +e
(
    echo "$BASHPID" >"$cgroup/cgroup.procs"
    export ZKPOD_NO_EGRESS_CGROUP=$cgroup
    exec "$@"
)
rc=$?
set -e
exit "$rc"
