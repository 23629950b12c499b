#!/usr/bin/env bash
# Builds the release zkpod binary and the container image from docker/Dockerfile
# with podman (issue 4). Where no registry is reachable the base image is made
# locally first (scripts/build-base-image.sh).
#
# Environment:
#   ZKPOD_IMAGE  tag to build (default localhost/zkpod:dev)
#   BASE_IMAGE   base image (default localhost/debian:bookworm-slim)
#   ZK_SOURCE    maven (default) or debian; ZK_VERSION, ZK_PROMETHEUS and
#                SHELL_TOOLS (maven only) are passed on when set (see
#                docker/Dockerfile)
#   SKIP_CARGO=1 use the binary already in target/ (e.g. built by CI just before)
#
# The Maven build stage gets this machine's Maven repository (~/.m2) and the
# zk-dist cache (/var/cache/zkpod/zk-dist) mounted, so a rebuild, or a build
# of a release the tests already resolved, downloads nothing.
set -euo pipefail

cd "$(dirname "$0")/.."
IMAGE=${ZKPOD_IMAGE:-localhost/zkpod:dev}
BASE=${BASE_IMAGE:-localhost/debian:bookworm-slim}
BIN=target/x86_64-unknown-linux-gnu/release/zkpod

if [ "${SKIP_CARGO:-0}" != 1 ]; then
    cargo build --release --quiet
fi
if [ ! -x "$BIN" ]; then
    echo "build-image.sh: $BIN is missing: the image copies the prebuilt static binary; fix: cargo build --release" >&2
    exit 1
fi
if file -b "$BIN" 2>/dev/null | grep -q 'dynamically linked'; then
    echo "build-image.sh: $BIN is dynamically linked: it would not run in the image; fix: build with the target and flags of .cargo/config.toml (cargo build --release)" >&2
    exit 1
fi

case "$BASE" in
    localhost/*) BASE_IMAGE="$BASE" scripts/build-base-image.sh ;;
esac

SOURCE=${ZK_SOURCE:-maven}
args=(--build-arg "BASE_IMAGE=$BASE" --build-arg "ZK_SOURCE=$SOURCE"
      --build-arg "VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)")
[ -z "${ZK_VERSION:-}" ] || args+=(--build-arg "ZK_VERSION=$ZK_VERSION")
[ -z "${ZK_PROMETHEUS:-}" ] || args+=(--build-arg "ZK_PROMETHEUS=$ZK_PROMETHEUS")
[ -z "${SHELL_TOOLS:-}" ] || args+=(--build-arg "SHELL_TOOLS=$SHELL_TOOLS")
if [ "$SOURCE" = maven ]; then
    m2=${ZK_DIST_M2:-$HOME/.m2/repository}
    dist=${ZK_DIST_CACHE:-/var/cache/zkpod/zk-dist}
    mkdir -p "$m2" "$dist"
    args+=(-v "$m2:/root/.m2/repository" -v "$dist:/var/cache/zkpod/zk-dist")
fi

old_id=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
# --format docker: the OCI image format has no HEALTHCHECK; --network host:
# apt-get and Maven inside the build reach their repositories without a
# bridge network.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! podman build --network host --format docker "${args[@]}" \
        -f docker/Dockerfile -t "$IMAGE" . >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "build-image.sh: podman build of $IMAGE failed (last lines above)" >&2
    exit 1
fi
grep -E '^(zk-dist.sh|rootfs.sh):' "$log" || true
new_id=$(podman image inspect --format '{{.Id}}' "$IMAGE")
# Drop the image this build replaced, if nothing else refers to it (no tag left).
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ] && [ -z "$(podman image inspect --format '{{.RepoTags}}' "$old_id" 2>/dev/null | tr -d '[]')" ]; then
    podman rmi "$old_id" >/dev/null 2>&1 || true
fi
echo "build-image.sh: built $IMAGE (ZK_SOURCE=$SOURCE, SHELL_TOOLS=${SHELL_TOOLS:-busybox}) from $BASE: $(podman image inspect --format '{{.Size}}' "$IMAGE") bytes"
