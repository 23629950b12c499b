#!/usr/bin/env bash
# Builds the test cluster's binaries from the Go module proxy and caches them
# under /var/cache/zkpod/kube (ZKPOD_KUBE_CACHE) between runs on one machine:
#   kube    etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
#           kubelet and kube-proxy in one executable (scripts/cluster/kube)
#   addons  CoreDNS and the local-volume provisioner (scripts/cluster/addons)
#   pause   the pod sandbox binary (scripts/cluster/pause, gcc -static)
# The cache key is a hash of the sources, go.mod/go.sum, the Go version and the
# build flags: a hit costs nothing; a miss rebuilds with the Go build cache kept
# in the same directory, so only what changed is compiled again.
#
# Prints the directory holding the three binaries on stdout (last line), and
# its timings on stderr. Safe to run concurrently (flock): scripts/test.sh
# starts it in the background early and local-cluster.sh joins it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${ZKPOD_KUBE_CACHE:-/var/cache/zkpod/kube}
KUBE_VERSION=$(awk '$1 == "k8s.io/kubernetes" { print $2 }' "$here/kube/go.mod")
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

say() { echo "cluster/build: $*" >&2; }

if [ ! -x "$GO" ]; then
    say "go not found: the cluster is built from source with Go 1.24 or newer; fix: install Go (CI machines have it at /usr/local/go/bin) or set GO=/path/to/go"
    exit 1
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9

export GOMODCACHE="$CACHE/gomod" GOCACHE="$CACHE/gocache" GOFLAGS=-buildvcs=false
export CGO_ENABLED=0 GOTOOLCHAIN=local
minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
ldflags="-s -w"
for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $v.gitVersion=$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
done
flags=(-trimpath -tags providerless -ldflags "$ldflags")

key=$( {
    "$GO" version
    echo "${flags[*]}"
    cd "$here" && cat kube/go.mod kube/go.sum kube/*.go addons/go.mod addons/go.sum addons/*.go pause/pause.c pause/Containerfile
} | sha256sum | cut -c1-16)
out="$CACHE/bin/$KUBE_VERSION-$key"
if [ -x "$out/kube" ] && [ -x "$out/addons" ] && [ -x "$out/pause" ]; then
    say "cached: $out (Kubernetes $KUBE_VERSION)"
    echo "$out"
    exit 0
fi

tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
t0=$(date +%s)
say "building Kubernetes $KUBE_VERSION components (cold on 2 cores: about 20 min; cached afterwards in $CACHE)"
(cd "$here/kube" && "$GO" build "${flags[@]}" -o "$tmp/kube" .)
t1=$(date +%s)
say "kube: $((t1 - t0)) s"
(cd "$here/addons" && "$GO" build "${flags[@]}" -o "$tmp/addons" .)
t2=$(date +%s)
say "addons: $((t2 - t1)) s"
gcc -static -Os -s -o "$tmp/pause" "$here/pause/pause.c"
cp "$here/pause/Containerfile" "$tmp/Containerfile"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
# Keep only this build's binaries (the Go caches stay).
for d in "$CACHE"/bin/*; do
    [ "$d" = "$out" ] || rm -rf "$d"
done
say "built $out in $(($(date +%s) - t0)) s"
echo "$out"
