#!/bin/sh
# The manifest checks (tests/manifests): every overlay in docker/k8s renders
# with a current kubectl, validates against current Kubernetes schemas,
# passes the restricted Pod Security Standard, and selects its own pods. No
# cluster and no root needed; kubectl comes from scripts/install-kubectl.sh
# (or $KUBECTL). Extra arguments go to pytest.
set -eu
cd "$(dirname "$0")/.."
t0=$(date +%s.%N)
python3 -m pytest -q -rs -p no:cacheprovider tests/manifests "$@"
awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "test-manifests.sh: %.1f s\n", t1 - t0 }'
