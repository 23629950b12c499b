"""Everything tests/helm takes from the other suites, imported here and only
here: the kustomize render and the restricted-PSS and selector checkers
(tests/k8s/k8slib.py), and the podman pod harness (tests/containers). When the
pytests branch moves them (tests/lib/k8s.py, tests/containers/podman_pod.py),
this file is the one to change.
"""

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / d) for d in ("k8s", "containers")]

from k8slib import (  # noqa: E402
    anti_affinity_terms, covering_mount, flag_value, map_selector_matches,
    restricted_violations, selector_matches,
)
from k8slib import render as kustomize  # noqa: E402
from podspec import PodPlan, memory_to_podman, pod_address, size_limit  # noqa: E402
from ensemble import Pod, kazoo, sh, wait_for  # noqa: E402

__all__ = [
    "Pod", "PodPlan", "anti_affinity_terms", "covering_mount", "flag_value", "kazoo", "kustomize",
    "map_selector_matches", "memory_to_podman", "pod_address", "restricted_violations",
    "selector_matches", "sh", "size_limit", "wait_for",
]
