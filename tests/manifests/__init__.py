"""The Kubernetes manifests in docker/k8s checked without a cluster: rendering,
schemas, the restricted Pod Security Standard, selectors, probes, volumes.

Needs kubectl (scripts/install-kubectl.sh fetches one; or set KUBECTL), pyyaml
and kubernetes-validate; no root. Without kubectl the tests are skipped, saying so.
Run alone: scripts/test-manifests.sh (or python3 -m pytest -q tests/manifests).
"""
