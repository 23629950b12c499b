#!/bin/sh
# Builds, on this machine, the Java runtime the image ships: jlink with the
# modules of docker/jre-modules.txt and the flags of docker/rootfs.sh. The
# version matrix and the client checks run ZooKeeper on it, so that every
# release they start proves the module set (issue 10). Prints its path.
#
# Cached in ${ZKPOD_JRE_CACHE:-/var/cache/zkpod/jre}/<key>, the key being a
# hash of the module list, the jlink flags and the JDK's version: a rerun
# prints the path at once. Needs a JDK with jmods (Debian:
# openjdk-17-jdk-headless) and objcopy (binutils).
set -eu

cd "$(dirname "$0")/.."
CACHE=${ZKPOD_JRE_CACHE:-/var/cache/zkpod/jre}
for tool in jlink objcopy; do
    command -v "$tool" >/dev/null || {
        echo "jre.sh: $tool not found: building the runtime needs a JDK with jmods and binutils; fix: apt-get install -y openjdk-17-jdk-headless binutils" >&2
        exit 1
    }
done
key=$( (cat docker/jre-modules.txt docker/rootfs.sh; jlink --version) | sha256sum | cut -c1-16)
out=$CACHE/$key
if [ ! -x "$out/bin/java" ]; then
    mkdir -p "$CACHE"
    tmp=$(mktemp -d "$CACHE/.build.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    sh docker/rootfs.sh jre "$tmp/jre" >&2
    chmod -R go+rX "$tmp/jre"
    rm -rf "$out"
    mv "$tmp/jre" "$out"
fi
echo "$out"
