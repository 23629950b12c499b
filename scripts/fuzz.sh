#!/usr/bin/env bash
# Fuzzes every parser of outside input (issue 7) and every encoder of a
# rendered file (issue 8): the cargo fuzz targets in fuzz/ (zoo.cfg and --set
# values; the srvr/mntr/conf replies; /etc/hosts, /etc/passwd,
# /proc/self/status, myid, the cgroup memory files; the flag grammars; the
# Properties, shell and XML encoders and the message guards). Each target
# asserts properties of its parser or encoder, not only "no panic" (see the
# doc at the top of each fuzz/fuzz_targets/*.rs): an encoder's output read
# back gives exactly what was meant.
#
#   scripts/fuzz.sh                 build, then run every target
#   scripts/fuzz.sh mntr_reply ...  only these targets
#   scripts/fuzz.sh --install       only install cargo-fuzz (and g++)
#
# Each target runs FUZZ_SECONDS (default 30) seconds, FUZZ_JOBS (default 2:
# one per core) at a time, starting from the committed seeds in
# fuzz/seeds/<target> and the corpus of earlier runs on this machine
# (/var/cache/zkpod/fuzz/corpus). A panic, a failed property, or an input that
# takes longer than FUZZ_TIMEOUT (default 5) seconds fails the run: the input
# is kept in fuzz/artifacts/<target>/ and shown, to become a regression test
# (and a seed). Prints each target's runs and execs/s, and the phase time.
#
# cargo fuzz passes nightly -Z flags to rustc; RUSTC_BOOTSTRAP=1 lets the
# stable toolchain accept them. No sanitizer: zkpod is safe Rust, and what we
# look for are panics, broken properties and hangs (and it runs ~2x faster).
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$EPOCHREALTIME

SECONDS_EACH=${FUZZ_SECONDS:-30}
JOBS=${FUZZ_JOBS:-2}
TIMEOUT=${FUZZ_TIMEOUT:-5}
CACHE=${FUZZ_CACHE:-/var/cache/zkpod/fuzz}
export RUSTC_BOOTSTRAP=1
export PATH="$HOME/.cargo/bin:$PATH"

install() {
  if ! command -v c++ >/dev/null; then
    # libfuzzer-sys compiles libFuzzer's C++ sources.
    echo "fuzz.sh: apt-get install g++"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends g++ >/dev/null
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    local s=$EPOCHREALTIME
    echo "fuzz.sh: cargo install cargo-fuzz (into ~/.cargo/bin, once per machine)"
    cargo install --locked --quiet cargo-fuzz
    echo "fuzz.sh: cargo-fuzz installed in $(awk "BEGIN{printf \"%.0f\", ${EPOCHREALTIME/./}/1e6 - ${s/./}/1e6}") s"
  fi
}

if [ "${1:-}" = "--install" ]; then
  install
  exit 0
fi
install

cd fuzz
targets=("$@")
build=("")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
else
  build=("${targets[@]}")
fi

# The build is cached between runs on this machine (a cold one takes ~1 min).
export CARGO_TARGET_DIR=$CACHE/target
echo "fuzz.sh: building ${#targets[@]} targets"
for b in "${build[@]}"; do
  # shellcheck disable=SC2086 # an empty $b builds every target
  cargo fuzz build --sanitizer none $b 2>&1 | { grep -v '^ *Compiling' || true; }
done
bin=$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release
for t in "${targets[@]}"; do
  [ -x "$bin/$t" ] || { echo "fuzz.sh: target $t was not built" >&2; exit 1; }
done

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# run_one TARGET: fuzz one target for SECONDS_EACH; its status in $logs/TARGET.rc.
run_one() {
  local t=$1 corpus=$CACHE/corpus/$1 artifacts=$PWD/artifacts/$1
  mkdir -p "$corpus" "$artifacts"
  local dirs=("$corpus")
  [ -d "seeds/$t" ] && dirs+=("seeds/$t")
  local rc=0
  # The outer timeout only guards against libFuzzer itself hanging.
  timeout $((SECONDS_EACH * 3 + 60)) "$bin/$t" "${dirs[@]}" \
    -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$logs/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$logs/$t.rc"
}
export -f run_one
export bin logs CACHE SECONDS_EACH TIMEOUT

echo "fuzz.sh: ${#targets[@]} targets, ${SECONDS_EACH} s each, $JOBS at a time"
printf '%s\n' "${targets[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one "$@"' _ {}

failed=0
printf '\n  %-16s %10s %9s  %s\n' target runs execs/s result
for t in "${targets[@]}"; do
  rc=$(cat "$logs/$t.rc")
  runs=$(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$t.log" | grep -o '[0-9]*$' || true)
  speed=$(grep -a -o 'stat::average_exec_per_sec: *[0-9]*' "$logs/$t.log" | grep -o '[0-9]*$' || true)
  if [ "$rc" = 0 ]; then
    result=ok
  else
    result="FAILED (exit $rc)"
    failed=1
  fi
  printf '  %-16s %10s %9s  %s\n' "$t" "${runs:--}" "${speed:--}" "$result"
done
if [ "$failed" = 1 ]; then
  for t in "${targets[@]}"; do
    [ "$(cat "$logs/$t.rc")" = 0 ] && continue
    echo
    echo "=== $t: the failure (log tail); the input is in fuzz/artifacts/$t/"
    grep -a -v '^\s*\(#\|INFO\|MS:\|stat::\)' "$logs/$t.log" | tail -40
    ls -1 "artifacts/$t" | sed 's/^/    /'
    echo "Reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none $t fuzz/artifacts/$t/<file>"
  done
fi
echo "fuzz.sh: $(awk "BEGIN{printf \"%.1f\", ${EPOCHREALTIME/./}/1e6 - ${t0/./}/1e6}") s"
exit "$failed"
