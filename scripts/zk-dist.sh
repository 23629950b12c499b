#!/usr/bin/env bash
# Resolves an Apache ZooKeeper release from Maven Central into the layout of
# its upstream binary tarball (issue 10):
#
#   DEST/lib/*.jar   the server, its runtime dependencies, the jars the
#                    release's assembly adds (jetty, jackson, metrics-core,
#                    ...), the Prometheus provider (3.6+) and the slf4j
#                    binding the release ships (reload4j before 3.8,
#                    logback from 3.8 on)
#   DEST/conf/       empty: `zkpod start` writes zoo.cfg and the logging
#                    config there (Maven has no copy of the tarball's samples)
#   DEST/zk-dist.txt what was resolved: version, logging, Prometheus provider,
#                    jar list with sha256
#   DEST/pom.xml     the pom that resolved it
#
# Usage: scripts/zk-dist.sh VERSION DEST       e.g. scripts/zk-dist.sh 3.9.5 /opt/zookeeper
#        scripts/zk-dist.sh --cached VERSION   print the cache dir (resolving it first)
#
# No jar is listed here: scripts/zk-dist/pom.py derives the dependencies from
# the release's own poms, and Maven (dependency:copy-dependencies) resolves
# them with the versions of the release's parent pom.
#
# ZK_DIST_PROMETHEUS=optional resolves a 3.6+ release whose Prometheus
# provider the Maven repository does not serve, without it (the default,
# required, refuses: a layout without the provider has no metrics endpoint).
#
# Caches: Maven's local repository (${ZK_DIST_M2:-~/.m2/repository}) and the
# resolved layout in
# ${ZK_DIST_CACHE:-/var/cache/zkpod/zk-dist}/VERSION; a rerun for a cached
# version copies the cache and starts no Maven at all. Needs mvn, java and
# python3; reaches only the Maven repository Maven is configured with.
set -euo pipefail

t0=$(date +%s)
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${ZK_DIST_CACHE:-/var/cache/zkpod/zk-dist}
M2=${ZK_DIST_M2:-$HOME/.m2/repository}
DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
# required: fail when the release has a Prometheus provider (3.6+) that the
# Maven repository does not serve; optional: resolve the layout without it.
PROMETHEUS=${ZK_DIST_PROMETHEUS:-required}

die() { echo "zk-dist.sh: $*" >&2; exit 1; }

cached_only=0
if [ "${1:-}" = "--cached" ]; then
    cached_only=1
    shift
    [ $# -eq 1 ] || die "usage: zk-dist.sh --cached VERSION"
    VERSION=$1 DEST=
else
    [ $# -eq 2 ] || die "usage: zk-dist.sh VERSION DEST (e.g. zk-dist.sh 3.9.5 /opt/zookeeper)"
    VERSION=$1 DEST=$2
fi

case "$PROMETHEUS" in required|optional) ;; *)
    die "ZK_DIST_PROMETHEUS='$PROMETHEUS' is neither required nor optional; fix: unset it (required) or set it to optional" ;;
esac
if ! [[ $VERSION =~ ^3\.([5-9])\.[0-9]+$ ]]; then
    die "ZooKeeper version '$VERSION' is not one zkpod resolves: it needs 3.5.x to 3.9.x, written in full; fix: pass e.g. 3.9.5 or 3.8.6"
fi

# Which release a finished cache dir holds, and whether it is complete.
# A layout resolved without its Prometheus provider does not satisfy
# ZK_DIST_PROMETHEUS=required: that resolves again (and says why it fails).
complete() {
    [ -f "$1/zk-dist.txt" ] && grep -qx "version=$VERSION" "$1/zk-dist.txt" \
        && { [ "$PROMETHEUS" = optional ] || ! grep -q '^prometheus=missing' "$1/zk-dist.txt"; }
}

resolve() {
    local out=$1
    for tool in mvn java python3; do
        command -v "$tool" >/dev/null || die "$tool not found: resolving ZooKeeper from Maven Central needs Maven, a JDK and python3; fix: apt-get install -y maven openjdk-17-jdk-headless python3"
    done
    local work
    work=$(mktemp -d "$CACHE/.work-$VERSION.XXXXXX")
    # shellcheck disable=SC2064 # expand now: the trap must remove this dir
    trap "rm -rf '$work'" EXIT
    local mvn=(mvn -B -q -ntp "-Dmaven.repo.local=$M2")
    local log=$work/mvn.log
    # The release's two poms (into the local repository), then our pom from them.
    for a in zookeeper parent; do
        if ! "${mvn[@]}" "$DEP_PLUGIN:get" -Dtransitive=false "-Dartifact=org.apache.zookeeper:$a:$VERSION:pom" >"$log" 2>&1; then
            grep -E '^\[ERROR\]' "$log" | head -n 3 >&2 || true
            die "ZooKeeper $VERSION: org.apache.zookeeper:$a:$VERSION:pom is not served by the Maven repository this machine reaches; that release cannot be resolved here; fix: pick a published release (3.5.10, 3.6.4, 3.7.2, 3.8.6, 3.9.5)"
        fi
    done
    local poms=$M2/org/apache/zookeeper pom_flags=() prometheus=absent
    if has_prometheus_module "$poms/parent/$VERSION/parent-$VERSION.pom"; then
        if "${mvn[@]}" "$DEP_PLUGIN:get" -Dtransitive=false \
                "-Dartifact=org.apache.zookeeper:zookeeper-prometheus-metrics:$VERSION" >"$log" 2>&1; then
            prometheus=included
        elif grep -Eq "(Could not find artifact org.apache.zookeeper:zookeeper-prometheus-metrics:jar:$VERSION|zookeeper-prometheus-metrics:jar:$VERSION was not found)" "$log" \
                && [ "$PROMETHEUS" = optional ]; then
            echo "zk-dist.sh: warning: ZooKeeper $VERSION's Prometheus provider (zookeeper-prometheus-metrics) is not served by the Maven repository this machine reaches; resolving the layout without it (ZK_DIST_PROMETHEUS=optional): zkpod start --metrics-port will refuse on it" >&2
            prometheus="missing (not served by the Maven repository)"
            pom_flags=(--without-prometheus)
        else
            grep -E '^\[ERROR\] Failed' "$log" | head -n 1 >&2 || true
            die "ZooKeeper $VERSION's Prometheus provider (org.apache.zookeeper:zookeeper-prometheus-metrics:$VERSION) cannot be resolved from the Maven repository this machine reaches: without it the layout has no Prometheus endpoint; fix: pick a release whose provider is served, or set ZK_DIST_PROMETHEUS=optional to resolve the layout without it"
        fi
    fi
    python3 "$here/zk-dist/pom.py" "${pom_flags[@]}" "$VERSION" "$poms/zookeeper/$VERSION/zookeeper-$VERSION.pom" \
        "$poms/parent/$VERSION/parent-$VERSION.pom" >"$work/pom.xml"
    if ! "${mvn[@]}" -f "$work/pom.xml" "$DEP_PLUGIN:copy-dependencies" \
            -DincludeScope=runtime -DoutputDirectory="$work/lib" >"$log" 2>&1; then
        grep -E '^\[ERROR\] Failed' "$log" | head -n 3 >&2 || true
        die "Maven could not resolve ZooKeeper $VERSION's dependencies (error above); fix: rerun when the Maven repository answers, or pick another release"
    fi
    check_lib "$work/lib" "$prometheus"
    mkdir -p "$work/conf"
    printf '%s\n' \
        "zkpod start writes zoo.cfg, java.env, java.security and the logging config" \
        "(log4j.properties or logback.xml, whichever binding lib/ holds) into this directory." \
        >"$work/conf/README"
    {
        echo "version=$VERSION"
        echo "logging=$(logging_of "$work/lib")"
        echo "prometheus=$prometheus"
        echo "resolved=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        (cd "$work/lib" && sha256sum -- *.jar | sed 's/^/jar=/')
    } >"$work/zk-dist.txt"
    rm -f "$log"
    chmod -R u=rwX,go=rX "$work"
    # Atomic: a reader sees no cache dir or a complete one.
    rm -rf "$out"
    mv "$work" "$out"
    trap - EXIT
}

# The slf4j binding among the jars, as zkpod would detect it.
logging_of() {
    local lib=$1
    if ls "$lib"/logback-classic-*.jar >/dev/null 2>&1; then
        echo "logback $(basename "$lib"/logback-classic-*.jar .jar | sed 's/^logback-classic-//')"
    elif ls "$lib"/reload4j-*.jar >/dev/null 2>&1; then
        echo "reload4j $(basename "$lib"/reload4j-*.jar .jar | sed 's/^reload4j-//')"
    elif ls "$lib"/log4j-1.*.jar >/dev/null 2>&1; then
        echo "log4j $(basename "$lib"/log4j-1.*.jar .jar | sed 's/^log4j-//')"
    else
        echo none
    fi
}

# Whether the release builds the Prometheus provider module (3.6+).
has_prometheus_module() { grep -q '<module>zookeeper-metrics-providers</module>' "$1"; }

# What every ZooKeeper lib/ must hold; and slf4j 2 needs logback 1.3+ (with
# 1.2 it prints "No SLF4J providers were found" and logs nothing).
check_lib() {
    local lib=$1
    local need=("zookeeper-$VERSION.jar" "zookeeper-jute-$VERSION.jar")
    [ "$2" = included ] && need+=("zookeeper-prometheus-metrics-$VERSION.jar")
    for j in "${need[@]}"; do
        [ -f "$lib/$j" ] || die "ZooKeeper $VERSION resolved without $j: the layout would be incomplete; fix: report this release's poms (see scripts/zk-dist/pom.py)"
    done
    [ "$(logging_of "$lib")" != none ] || die "ZooKeeper $VERSION resolved without an slf4j binding: it would log nothing; fix: see scripts/zk-dist/pom.py"
    local api logback
    api=$(basename "$(ls "$lib"/slf4j-api-*.jar | head -n 1)" .jar)
    api=${api#slf4j-api-}
    logback=$(ls "$lib"/logback-classic-*.jar 2>/dev/null | head -n 1 || true)
    if [ -n "$logback" ]; then
        logback=$(basename "$logback" .jar)
        logback=${logback#logback-classic-}
        case "$api:$logback" in
            2.*:1.[012].*|1.*:1.[3-9].*)
                die "ZooKeeper $VERSION resolved slf4j-api $api with logback $logback: slf4j would find no provider and ZooKeeper would log nothing; fix: report this release's poms" ;;
        esac
    fi
}

mkdir -p "$CACHE"
dir=$CACHE/$VERSION
if complete "$dir"; then
    how="cached"
else
    echo "zk-dist.sh: resolving ZooKeeper $VERSION with Maven into $dir" >&2
    # One resolver per version at a time (CI phases and image builds may overlap).
    exec 9>"$CACHE/.lock-$VERSION"
    flock 9
    if complete "$dir"; then how="cached"; else resolve "$dir"; how="resolved"; fi
    flock -u 9
fi

if [ "$cached_only" = 1 ]; then
    echo "$dir"
    exit 0
fi

if [ -e "$DEST" ] && [ -n "$(ls -A "$DEST" 2>/dev/null)" ] && [ ! -f "$DEST/zk-dist.txt" ]; then
    die "$DEST exists and is not a zk-dist layout (no zk-dist.txt): zk-dist.sh replaces DEST whole and will not delete what it did not write; fix: pass an empty or new directory"
fi
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
cp -a "$dir" "$DEST"
echo "zk-dist.sh: ZooKeeper $VERSION ($(sed -n 's/^logging=//p' "$dir/zk-dist.txt")), $(ls "$DEST/lib" | wc -l) jars in $DEST/lib ($how, $(( $(date +%s) - t0 )) s)"
