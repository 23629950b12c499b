#!/bin/sh
# Builds the local base image localhost/debian:bookworm-slim where no container
# registry is reachable: debootstrap a minimal bookworm from the Debian mirror
# this machine's apt already uses (read at run time from its apt sources; no
# mirror host is written into the repository), then `podman import` the tree.
# Does nothing when the image exists. Needs root, podman and debootstrap
# (scripts/setup-podman.sh installs them). Takes about 25 s.
set -eu

IMAGE=${BASE_IMAGE:-localhost/debian:bookworm-slim}
SUITE=${DEBIAN_SUITE:-bookworm}

if podman image exists "$IMAGE"; then
    echo "build-base-image.sh: $IMAGE already present"
    exit 0
fi

# The first non-security Debian mirror of the machine's apt sources: deb822
# files (URIs: lines) first, then one-line sources.list entries.
mirror_from_apt() {
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f"
    done
}
MIRROR=${DEBIAN_MIRROR:-$(mirror_from_apt | grep -v -- '-security' | head -n 1)}
if [ -z "$MIRROR" ]; then
    echo "build-base-image.sh: no Debian mirror found in /etc/apt/sources.list{,.d/*}: debootstrap has nowhere to download from; fix: set DEBIAN_MIRROR=<mirror URL> or add the mirror to apt's sources" >&2
    exit 1
fi

dir=$(mktemp -d /var/tmp/zkpod-base.XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM
echo "build-base-image.sh: debootstrap --variant=minbase $SUITE from $MIRROR"
debootstrap --variant=minbase "$SUITE" "$dir" "$MIRROR" >"$dir.log" 2>&1 || {
    tail -n 20 "$dir.log" >&2
    rm -f "$dir.log"
    echo "build-base-image.sh: debootstrap of $SUITE from $MIRROR failed (log above)" >&2
    exit 1
}
rm -f "$dir.log"
# Slim it the way the official -slim images are: no apt lists, docs, caches.
rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/*
tar -C "$dir" -c . | podman import -q --change 'CMD ["bash"]' - "$IMAGE" >/dev/null
echo "build-base-image.sh: imported $IMAGE ($(podman image inspect --format '{{.Size}}' "$IMAGE") bytes)"
