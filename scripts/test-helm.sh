#!/bin/sh
# The Helm chart's checks (issue 12), one phase of scripts/test.sh, callable
# alone:
#   1. helm lint --strict;
#   2. tests/helm without pods: every scenario (default, dev, prod, openshift,
#      seed-003 legacy, everything) rendered and validated strictly against
#      Kubernetes schemas and values.schema.json; the kustomize/Helm
#      equivalence; the render-time refusals; the golden renders;
#   3. helm package into target/artifacts/ (the archive CI keeps), checked to
#      render exactly as the chart directory does;
#   4. unless ZKPOD_SKIP_CONTAINERS=1: the Helm render run as pods with podman
#      (tests/helm/test_helm_pods.py): an ensemble, the chart's `helm test`
#      pod, a rolling upgrade under continuous writes.
# helm comes from the kubectl installer's npm package (scripts/install-helm.sh).
#
# Environment: ZKPOD_BLESS=1 rewrites the golden renders; ZKPOD_IMAGE (default
# localhost/zkpod:dev, built when missing unless SKIP_BUILD=1); E2E_NET
# (default 127.0.0.5 -> 127.0.0.50-52); ZKPOD_SKIP_CONTAINERS=1.
set -eu

cd "$(dirname "$0")/.."
t0=$(date +%s)
CHART=docker/helm/zookeeper
ARTIFACTS=target/artifacts

for m in pytest yaml jsonschema kubernetes_validate kazoo; do
    python3 -c "import $m" 2>/dev/null || {
        echo "test-helm.sh: python module $m missing; fix: pip install pytest pyyaml kubernetes-validate kazoo (or scripts/install-deps.sh)" >&2
        exit 1
    }
done
HELM=$(scripts/install-helm.sh | tail -n 1)
export HELM
# Helm's own cache and config stay in the repository's git-ignored .tmp.
export HELM_CACHE_HOME="$PWD/.tmp/helm-home/cache" HELM_CONFIG_HOME="$PWD/.tmp/helm-home/config" \
    HELM_DATA_HOME="$PWD/.tmp/helm-home/data"
echo "test-helm.sh: $("$HELM" version --short)"
# The equivalence test reads zkpod's flag defaults from the release binary.
if [ ! -x target/x86_64-unknown-linux-gnu/release/zkpod ]; then
    cargo build --release --quiet
fi

"$HELM" lint --strict "$CHART"
python3 -m pytest -q -rs -p no:cacheprovider tests/helm --ignore=tests/helm/test_helm_pods.py
t_static=$(date +%s)

mkdir -p "$ARTIFACTS"
out=$("$HELM" package "$CHART" --destination "$ARTIFACTS")
archive=${out##*: }
[ -f "$archive" ] || { echo "test-helm.sh: helm package printed '$out' but made no archive" >&2; exit 1; }
# The archive is what users install: it must render exactly as the directory,
# but for the generated superuser password, random on every render without a
# cluster (tests/helm checks its form).
mask_password() { sed -E 's/^(  password: )"[A-Za-z0-9+\/=]+"$/\1"<generated>"/'; }
for values in "" "$CHART/values-prod.yaml"; do
    if [ -n "$values" ]; then set -- -f "$values"; else set --; fi
    from_dir=$("$HELM" template zookeeper "$CHART" "$@" | mask_password)
    from_archive=$("$HELM" template zookeeper "$archive" "$@" | mask_password)
    if [ "$from_dir" != "$from_archive" ]; then
        echo "test-helm.sh: $archive renders differently from $CHART${values:+ with $values} (a file left out of the package? see .helmignore)" >&2
        exit 1
    fi
done
echo "test-helm.sh: chart archive: $PWD/$archive"
t_package=$(date +%s)

if [ "${ZKPOD_SKIP_CONTAINERS:-0}" = "1" ]; then
    echo "test-helm.sh: pods skipped (ZKPOD_SKIP_CONTAINERS=1)"
else
    image=${ZKPOD_IMAGE:-localhost/zkpod:dev}
    if ! podman image exists "$image" 2>/dev/null; then
        if [ "${SKIP_BUILD:-0}" = 1 ]; then
            echo "test-helm.sh: image $image missing and SKIP_BUILD=1; fix: ZKPOD_IMAGE=$image scripts/build-image.sh" >&2
            exit 1
        fi
        scripts/setup-podman.sh
        ZKPOD_IMAGE="$image" SKIP_CARGO=1 scripts/build-image.sh
    fi
    ZKPOD_IMAGE="$image" python3 -m pytest -q -rs -p no:cacheprovider tests/helm/test_helm_pods.py
fi
t_end=$(date +%s)
echo "test-helm.sh: lint+checks $((t_static - t0)) s, package $((t_package - t_static)) s, pods $((t_end - t_package)) s, total $((t_end - t0)) s"
