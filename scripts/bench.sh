#!/usr/bin/env bash
# zkpod benchmarks (issues 2 and 3): measured and reported, never asserted.
#
#   scripts/bench.sh            # as root; prints a summary, writes .tmp/bench-results.md
#
# Every start here runs with --membership static: the same work as the bash
# script's static server list (dynamic membership would also ask the other
# pods, whose names this hosts file does not hold, for their configuration).
#
# 1. start: `zkpod start` (release) up to the exec of a stand-in java that
#    exits at once (a static no-op), writing its files durably, against a bash
#    entrypoint doing the tutorial start-zookeeper's steps
#    (scripts/bench/start-zookeeper.bash) and against the no-op itself. All of
#    it runs inside a UTS+mount namespace with hostname zk-1 and a
#    kubelet-style /etc/hosts, so `hostname -d` / zkpod's domain lookup are
#    real. Every run gets a fresh conf dir (hyperfine --prepare).
# 1b. volume size (issue 8): `zkpod start` on a volume whose version-2 holds
#    100,000 transaction logs against the same start on an empty volume, in
#    one hyperfine run (both already owned by --user: no chown); deciding
#    whether a volume holds data must take one match, not a list of every
#    file. Target: within 1.2x.
# 1c. the one-time recursive chown (issue 8): `zkpod start` as root handing a
#    volume of 100,000 root-owned files to --user (the first start on a
#    volume written by another uid), against coreutils' `chown -R` of the
#    same tree; each run gets the tree chowned back to root first.
# 2. probe: against a standalone ZooKeeper started by `zkpod start` on
#    127.0.0.22: `zkpod probe live` vs `echo ruok | nc` in bash vs the no-op;
#    peak RSS of the probe with GNU time. A minimal static C ruok client
#    (scripts/bench/ruok.c) runs alongside as the floor: the round trip itself.
# 2b. probe over TLS (issue 13): a second standalone ZooKeeper started by
#    `zkpod start --tls-dir` on BENCH_TLS_IP (certificates made with openssl
#    here): `zkpod probe live` on its secure port 2281 (rustls handshake with a
#    client certificate, as the kubelet's probe runs it) against the same
#    probe on the same server's plaintext port, in one hyperfine run.
# 3. the release binary: size, stripped size, ldd.
#
# Env: BENCH_OUT (summary file), BENCH_RUNS (default 200), BENCH_WARMUP (20),
#      BENCH_IP (default 127.0.0.22, the probe target's loopback address),
#      BENCH_TLS_IP (default 127.0.0.23, the TLS probe target's),
#      BENCH_FILES (default 100000: the files of 1b and 1c), BENCH_CHOWN_RUNS
#      (default 5), ZKPOD_BENCH_BIN (another zkpod binary to measure, e.g.
#      main's, for a before/after; default: this checkout's release build).
set -euo pipefail
# A pod's environment has no RUST_BACKTRACE; with it set, every error value
# zkpod creates walks the stack (anyhow captures a backtrace), which is not
# what a kubelet's probe pays. Measure what ships.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-$REPO/.tmp/bench-results.md}
RUNS=${BENCH_RUNS:-200}
WARMUP=${BENCH_WARMUP:-20}
IP=${BENCH_IP:-127.0.0.22}
TLS_IP=${BENCH_TLS_IP:-127.0.0.23}
PORT=2181
BIN=${ZKPOD_BENCH_BIN:-$REPO/target/x86_64-unknown-linux-gnu/release/zkpod}
FILES=${BENCH_FILES:-100000}
CHOWN_RUNS=${BENCH_CHOWN_RUNS:-5}
DOMAIN=zk-hs.default.svc.cluster.local
SUM=$REPO/scripts/bench/summarize.py

die() { echo "bench: $*" >&2; exit 1; }

# ---- inside the namespace: the start benchmark ----------------------------
if [ "${1:-}" = "__start_in_ns" ]; then
    W=$2
    hostname zk-1
    mount --bind "$W/hosts" /etc/hosts
    [ "$(hostname -d)" = "$DOMAIN" ] || die "hostname -d in the namespace says '$(hostname -d)', expected $DOMAIN"
    # z = zkpod's dirs, b = bash's; first run creates the data dirs and myid,
    # the measured runs find them (a pod restart) and get a fresh conf dir.
    exec hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$W/start.json" \
        --prepare "rm -rf $W/z/conf" \
        --prepare "rm -rf $W/b/conf" \
        --prepare "true" \
        -n "zkpod start" \
        "$BIN start --membership static --servers 3 --data_dir $W/z/data --data_log_dir $W/z/datalog --conf_dir $W/z/conf --heap 512M --java $W/noop" \
        -n "bash start-zookeeper" \
        "$REPO/scripts/bench/start-zookeeper.bash --servers=3 --data_dir=$W/b/data --data_log_dir=$W/b/datalog --conf_dir=$W/b/conf --heap=512M --java=$W/noop" \
        -n "static no-op" \
        "$W/noop"
fi

[ "$(id -u)" = 0 ] || die "needs root (a UTS+mount namespace for the start benchmark); run: sudo $0"
need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v nc >/dev/null || need+=(netcat-openbsd)
[ -x /usr/bin/time ] || need+=(time)
[ -e /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
if [ ${#need[@]} -gt 0 ]; then
    echo "bench: installing ${need[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
W=$(mktemp -d /tmp/zkpod-bench.XXXXXX)
chmod 755 "$W"
ZKPID=
TLSPID=
stop_group() {
    [ -n "$1" ] || return 0
    kill -TERM -- "-$1" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$1" 2>/dev/null || true
}
cleanup() {
    stop_group "$ZKPID"
    stop_group "$TLSPID"
    rm -rf "$W"
}
trap cleanup EXIT

if [ -z "${ZKPOD_BENCH_BIN:-}" ]; then
    echo "bench: building the release binary" >&2
    (cd "$REPO" && cargo build --release --quiet)
fi
[ -x "$BIN" ] || die "no release binary at $BIN"
gcc -static -O2 -o "$W/noop" "$REPO/scripts/bench/noop.c"
gcc -static -O2 -o "$W/ruok" "$REPO/scripts/bench/ruok.c"

# ---- 1. start --------------------------------------------------------------
cat > "$W/hosts" <<EOF
# Kubernetes-managed hosts file.
127.0.0.1	localhost
127.0.0.11	zk-1.$DOMAIN	zk-1
EOF
mkdir -p "$W/z" "$W/b"
echo "bench: start (zkpod vs bash vs no-op), $RUNS runs each" >&2
unshare --uts --mount "$0" __start_in_ns "$W" >&2
[ -s "$W/z/data/myid" ] || die "zkpod start wrote no myid: it did not run through"
[ -s "$W/b/data/myid" ] || die "the bash script wrote no myid: it did not run through"
for d in z b; do
    grep -qx "server.2=zk-1.$DOMAIN:2888:3888" "$W/$d/conf/zoo.cfg" ||
        die "$W/$d/conf/zoo.cfg lacks server.2=zk-1.$DOMAIN:2888:3888: the domain lookup did not happen"
done

# ---- 1b. volume size, 1c. the one-time chown ---------------------------------
# A volume of server 2 (myid 2): version-2 empty, or holding $FILES logs.
make_volume() { # DIR N OWNER
    mkdir -p "$1/data/version-2" "$1/log"
    echo 2 >"$1/data/myid"
    if [ "$2" -gt 0 ]; then
        (cd "$1/data/version-2" && seq -f 'log.%.0f' 1 "$2" | xargs touch)
    fi
    chown -R "$3" "$1"
}
echo "bench: volume size: empty vs $FILES files in version-2 ($RUNS runs each)" >&2
make_volume "$W/v0" 0 1000:1000
make_volume "$W/vN" "$FILES" 1000:1000
VOLARGS="--membership static --hostname zk-1 --servers 3 --hosts-file $W/hosts --heap 512M --java $W/noop --user 1000:1000"
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$W/volume.json" \
    --prepare "rm -rf $W/v0/conf" --prepare "rm -rf $W/vN/conf" \
    -n "empty volume" "$BIN start $VOLARGS --data_dir $W/v0/data --data_log_dir $W/v0/log --conf_dir $W/v0/conf" \
    -n "$FILES files in version-2" "$BIN start $VOLARGS --data_dir $W/vN/data --data_log_dir $W/vN/log --conf_dir $W/vN/conf" >&2
[ "$(cat "$W/vN/data/myid")" = 2 ] || die "the start on $FILES files did not keep myid 2"

echo "bench: the one-time chown of $FILES files, zkpod start vs chown -R ($CHOWN_RUNS runs each)" >&2
make_volume "$W/c" "$FILES" 0:0
cp -a "$W/c" "$W/cc"
hyperfine -N --runs "$CHOWN_RUNS" --export-json "$W/chown.json" \
    --prepare "sh -c 'chown -R 0:0 $W/c && rm -rf $W/c/conf'" \
    --prepare "chown -R 0:0 $W/cc" \
    -n "zkpod start (chown once)" "$BIN start $VOLARGS --data_dir $W/c/data --data_log_dir $W/c/log --conf_dir $W/c/conf" \
    -n "chown -R" "chown -R 1000:1000 $W/cc" >&2
[ "$(stat -c %u "$W/c/data/version-2/log.$FILES")" = 1000 ] || die "zkpod start did not chown the volume"

# ---- 2. probe --------------------------------------------------------------
if (echo srvr | nc -w 2 "$IP" "$PORT") >/dev/null 2>&1; then
    die "something already answers on $IP:$PORT; set BENCH_IP to a free 127.0.0.x address"
fi
mkdir -p "$W/zk"
cat > "$W/zk/hosts" <<EOF
127.0.0.1	localhost
$IP	zk-0.$DOMAIN	zk-0
EOF
echo "bench: starting a standalone ZooKeeper on $IP:$PORT through zkpod start" >&2
setsid unshare --uts --mount sh -c "hostname zk-0 && mount --bind $W/zk/hosts /etc/hosts && exec $BIN start --membership static --servers 1 --data_dir $W/zk/data --data_log_dir $W/zk/datalog --conf_dir $W/zk/conf --client_address $IP --heap 128M" \
    >"$W/zk/server.log" 2>&1 </dev/null &
ZKPID=$!
ok=
for _ in $(seq 120); do
    if "$BIN" probe ready --host "$IP" --port "$PORT" 2>/dev/null; then ok=1; break; fi
    kill -0 "$ZKPID" 2>/dev/null || break
    sleep 0.5
done
[ -n "$ok" ] || { tail -30 "$W/zk/server.log" >&2; die "ZooKeeper on $IP did not become ready"; }
# ruok must be whitelisted (zkpod's default); nc itself may return an empty
# reply now and then (the flaky-nc failure), so allow a few tries.
imok=
for _ in 1 2 3 4 5; do
    [ "$(echo ruok | nc "$IP" "$PORT")" = imok ] && { imok=1; break; }
done
[ -n "$imok" ] || die "ruok is not answered with imok on $IP:$PORT (5 tries)"

# Warm the server first: the JVM compiles its four-letter-word path while it
# serves the first few thousand requests, and whichever command hyperfine ran
# first would otherwise pay for that (seen: the first command 0.5 ms slower).
echo "bench: warming ZooKeeper's 4lw path (3000 ruok from the C client)" >&2
for _ in $(seq 3000); do "$W/ruok" "$IP" "$PORT" >/dev/null 2>&1 || true; done
echo "bench: probe (zkpod probe live vs bash+nc vs no-op), $RUNS runs each" >&2
# -i: echo ruok | nc sometimes gets an empty reply (the flaky-nc failure the
# tutorial probe suffers from); those runs are counted separately below.
hyperfine -N -i --warmup "$WARMUP" --runs "$RUNS" --export-json "$W/probe.json" \
    -n "zkpod probe live" "$BIN probe live --host $IP --port $PORT" \
    -n "bash+nc ruok" "bash -c 'OK=\$(echo ruok | nc $IP $PORT); [ \"\$OK\" == \"imok\" ]'" \
    -n "static C ruok (floor)" "$W/ruok $IP $PORT" \
    -n "static no-op" "$W/noop" >&2

: >"$W/rss"
for _ in $(seq 30); do
    /usr/bin/time -f %M -a -o "$W/rss" "$BIN" probe live --host "$IP" --port "$PORT" || true
done
: >"$W/rss-nc"
for _ in $(seq 30); do
    /usr/bin/time -f %M -a -o "$W/rss-nc" bash -c "OK=\$(echo ruok | nc $IP $PORT); [ \"\$OK\" == \"imok\" ]" || true
done

# Reliability: how often each probe fails against this healthy server.
zk_fail=0 nc_fail=0
for _ in $(seq "$RUNS"); do
    "$BIN" probe live --host "$IP" --port "$PORT" 2>/dev/null || zk_fail=$((zk_fail + 1))
    bash -c "OK=\$(echo ruok | nc $IP $PORT); [ \"\$OK\" == \"imok\" ]" || nc_fail=$((nc_fail + 1))
done

# ---- 2b. probe over TLS -----------------------------------------------------
stop_group "$ZKPID"; ZKPID=
if (echo srvr | nc -w 2 "$TLS_IP" "$PORT") >/dev/null 2>&1; then
    die "something already answers on $TLS_IP:$PORT; set BENCH_TLS_IP to a free 127.0.0.x address"
fi
T=$W/tls
mkdir -p "$T/ca" "$T/secret"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca/ca.key" \
    -out "$T/secret/ca.crt" -days 30 -subj "/CN=zkpod bench CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$T/secret/tls.key"
openssl req -new -key "$T/secret/tls.key" -subj "/CN=zk-0.$DOMAIN" -out "$T/leaf.csr"
printf 'subjectAltName=DNS:zk-0.%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' "$DOMAIN" >"$T/ext"
openssl x509 -req -in "$T/leaf.csr" -CA "$T/secret/ca.crt" -CAkey "$T/ca/ca.key" -CAcreateserial \
    -days 30 -extfile "$T/ext" -out "$T/secret/tls.crt" 2>/dev/null
printf '127.0.0.1\tlocalhost\n%s\tzk-0.%s\tzk-0\n' "$TLS_IP" "$DOMAIN" >"$T/hosts"
echo "bench: starting a standalone ZooKeeper with --tls-dir on $TLS_IP (2181 plaintext, 2281 TLS)" >&2
setsid unshare --uts --mount sh -c "hostname zk-0 && mount --bind $T/hosts /etc/hosts && exec $BIN start --membership static --servers 1 --data_dir $T/data --data_log_dir $T/datalog --conf_dir $T/conf --client_address $TLS_IP --heap 128M --tls-dir $T/secret" \
    >"$T/server.log" 2>&1 </dev/null &
TLSPID=$!
TLSARGS="--host $TLS_IP --port 2281 --tls on --tls-dir $T/secret --tls-server-name zk-0.$DOMAIN"
ok=
for _ in $(seq 120); do
    # shellcheck disable=SC2086 # TLSARGS is a list of flags
    if "$BIN" probe ready $TLSARGS 2>/dev/null; then ok=1; break; fi
    kill -0 "$TLSPID" 2>/dev/null || break
    sleep 0.5
done
[ -n "$ok" ] || { tail -30 "$T/server.log" >&2; die "ZooKeeper with TLS on $TLS_IP did not become ready"; }
echo "bench: warming both ports (500 probes each)" >&2
for _ in $(seq 500); do
    # shellcheck disable=SC2086
    "$BIN" probe live $TLSARGS >/dev/null 2>&1 || true
    "$BIN" probe live --host "$TLS_IP" --port "$PORT" --tls off >/dev/null 2>&1 || true
done
echo "bench: probe over TLS vs plaintext on the same server, $RUNS runs each" >&2
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$W/probe-tls.json" \
    -n "zkpod probe live (TLS 2281)" "$BIN probe live $TLSARGS" \
    -n "zkpod probe live (plaintext 2181)" "$BIN probe live --host $TLS_IP --port $PORT --tls off" \
    -n "static no-op" "$W/noop" >&2
: >"$W/rss-tls"
for _ in $(seq 30); do
    # shellcheck disable=SC2086
    /usr/bin/time -f %M -a -o "$W/rss-tls" "$BIN" probe live $TLSARGS || true
done
stop_group "$TLSPID"; TLSPID=

# ---- 3. the binary ---------------------------------------------------------
size=$(stat -c %s "$BIN")
strip -o "$W/zkpod.stripped" "$BIN"
ssize=$(stat -c %s "$W/zkpod.stripped")
lddout=$(ldd "$BIN" 2>&1 || true)

# ---- summary ---------------------------------------------------------------
mkdir -p "$(dirname "$OUT")"
{
    echo "## zkpod benchmarks ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r))"
    echo
    if [ -n "${ZKPOD_BENCH_BIN:-}" ]; then
        echo "zkpod: the binary $BIN (ZKPOD_BENCH_BIN), not this checkout's; load average before: $LOAD0; after: $(cut -d' ' -f1-3 /proc/loadavg)."
    else
        echo "zkpod $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$REPO" && git diff --quiet -- src Cargo.toml 2>/dev/null || echo ' (with uncommitted changes)'); load average before: $LOAD0; after: $(cut -d' ' -f1-3 /proc/loadavg)."
    fi
    echo
    echo "hyperfine $(hyperfine --version | cut -d' ' -f2), -N (no shell), $WARMUP warmups, $RUNS runs per command, one run per comparison."
    echo
    python3 "$SUM" table "start: process start to the exec of a stand-in java (fresh conf dir per run)" \
        "$W/start.json" "static no-op" \
        "Target (issue 2): zkpod start <= 4 ms median. zkpod fsyncs every file it writes; the bash script fsyncs nothing."
    echo
    python3 "$SUM" table "volume size: zkpod start with $FILES files in version-2 vs an empty volume (no chown needed)" \
        "$W/volume.json" "empty volume" \
        "Target (issue 8): within 1.2x of the empty volume. Whether a volume holds data is decided by the first match in version-2."
    echo
    python3 "$SUM" table "the one-time recursive chown of $FILES files (root to 1000:1000), zkpod start vs chown -R" \
        "$W/chown.json" "chown -R" \
        "zkpod start walks the tree twice on this path (is everything in it ZooKeeper's? then lchown), and writes its files; measured, not a target."
    echo
    python3 "$SUM" table "probe: liveness against a real ZooKeeper 3.8.0 on $IP:$PORT" \
        "$W/probe.json" "static no-op" \
        "Targets (issue 3): zkpod probe live >= 5x faster than bash+nc; <= 1.5x the no-op. The static C ruok client (scripts/bench/ruok.c: connect, send, read to EOF, nothing else) shows the floor: the server's own round trip."
    echo
    python3 "$SUM" table "probe over TLS: the same ZooKeeper ($TLS_IP, started with --tls-dir), secure port vs plaintext port" \
        "$W/probe-tls.json" "zkpod probe live (plaintext 2181)" \
        "TLS adds the handshake (ECDSA P-256, a client certificate) and reading the PEM files."
    echo
    echo "- peak RSS of zkpod probe live over TLS: $(python3 "$SUM" stats "$W/rss-tls")"
    echo
    echo "### probe failures against the healthy server ($RUNS tries each, outside hyperfine)"
    echo
    echo "- zkpod probe live: $zk_fail of $RUNS failed"
    echo "- bash+nc ruok: $nc_fail of $RUNS failed (empty reply from nc; hyperfine ran it with -i)"
    echo
    echo "### peak RSS (GNU time %M)"
    echo
    echo "- zkpod probe live: $(python3 "$SUM" stats "$W/rss") (target <= 4096 KiB)"
    echo "- bash+nc ruok (bash itself; nc is a child): $(python3 "$SUM" stats "$W/rss-nc")"
    echo
    echo "### release binary"
    echo
    echo "- size: $size bytes ($(awk "BEGIN{printf \"%.2f\", $size/1048576}") MiB); stripped: $ssize bytes ($(awk "BEGIN{printf \"%.2f\", $ssize/1048576}") MiB; target <= 3 MiB)"
    echo "- ldd: $lddout"
} >"$OUT"
cat "$OUT"
echo "bench: summary written to $OUT" >&2
