#!/bin/sh
# Prepares podman for the container end-to-end suite (issue 4) on a Debian 12
# machine: installs the runtime and the tools that build the local base image,
# and writes the two engine settings these machines need:
#   - runtime = "runc": crun refuses the machine's cgroup layout;
#   - default_ulimits = []: podman's default ulimits cannot be raised here.
# Idempotent: packages already installed are skipped, and the config file is
# only rewritten when its content differs. Needs root.
set -eu

PKGS="podman runc debootstrap uidmap"
CONF=/etc/containers/containers.conf

if [ "$(id -u)" -ne 0 ]; then
    echo "setup-podman.sh: must run as root (it installs packages and writes $CONF); fix: sudo $0" >&2
    exit 1
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    echo "setup-podman.sh: installing$missing"
    apt-get update -q
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

want='# Written by zkpod scripts/setup-podman.sh (see docs: crun and the default
# ulimits do not work on these build machines).
[containers]
default_ulimits = []

[engine]
runtime = "runc"
'
mkdir -p /etc/containers
if [ -f "$CONF" ] && [ "$(cat "$CONF")" = "$(printf '%s' "$want")" ]; then
    echo "setup-podman.sh: $CONF already configured"
else
    if [ -f "$CONF" ] && ! grep -q 'zkpod scripts/setup-podman.sh' "$CONF"; then
        cp -p "$CONF" "$CONF.orig-zkpod"
        echo "setup-podman.sh: kept the previous $CONF as $CONF.orig-zkpod"
    fi
    tmp="$CONF.tmp.$$"
    printf '%s' "$want" >"$tmp"
    mv "$tmp" "$CONF"
    echo "setup-podman.sh: wrote $CONF"
fi

podman info --format '{{.Host.OCIRuntime.Name}} {{.Version.Version}}' >/dev/null
echo "setup-podman.sh: podman $(podman --version | awk '{print $3}') ready (runtime runc)"
