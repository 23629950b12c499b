"""Fixtures of the Helm chart checks (issue 12).

The only import from other suites is the line below: the kustomize render and
the restricted-PSS checker (tests/k8s/k8slib.py) and, for test_helm_pods.py,
the podman pod harness (tests/containers). When the pytests branch moves them
to tests/lib/, this one line changes.
"""

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / d) for d in ("k8s", "containers")]
