#!/bin/sh
# Builds the release zkpod binary and the container image from docker/Dockerfile
# with podman (issue 4). Where no registry is reachable the base image is made
# locally first (scripts/build-base-image.sh).
#
# Environment:
#   ZKPOD_IMAGE  tag to build (default localhost/zkpod:dev)
#   BASE_IMAGE   base image (default localhost/debian:bookworm-slim)
#   SKIP_CARGO=1 use the binary already in target/ (e.g. built by CI just before)
set -eu

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

old_id=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
# --format docker: the OCI image format has no HEALTHCHECK; --network host:
# apt-get inside the build reaches the mirror without a bridge network.
podman build --quiet --network host --format docker \
    --build-arg "BASE_IMAGE=$BASE" \
    --build-arg "VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)" \
    -f docker/Dockerfile -t "$IMAGE" . >/dev/null
new_id=$(podman image inspect --format '{{.Id}}' "$IMAGE")
# Drop the image this build replaced, if nothing else refers to it (no tag left).
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ] && [ -z "$(podman image inspect --format '{{.RepoTags}}' "$old_id" 2>/dev/null | tr -d '[]')" ]; then
    podman rmi "$old_id" >/dev/null 2>&1 || true
fi
echo "build-image.sh: built $IMAGE from $BASE ($(podman image inspect --format '{{.Size}}' "$IMAGE") bytes)"
