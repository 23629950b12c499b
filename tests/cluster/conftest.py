"""Fixtures of the real-Kubernetes suite (issue 11). The cluster must be up
(scripts/local-cluster.sh up; scripts/e2e-cluster.sh does it). Each test
module works in namespaces of its own and deletes them, volumes included.

Environment: KUBECONFIG (default /var/lib/zkpod-cluster/admin.kubeconfig),
KUBECTL. The image is localhost/zkpod:cluster (local-cluster.sh imports it).
"""

import json

import pytest

from tests.cluster import kube


@pytest.fixture(scope="session", autouse=True)
def cluster():
    """The cluster answers and its node is Ready; else every test errors
    with the command that starts it."""
    r = kube.kubectl("get", "nodes", "-o", "json", check=False, timeout=30)
    if r.returncode != 0:
        pytest.fail(f"no test cluster at {kube.KUBECONFIG}: {r.stderr.strip()[-300:]}; fix: scripts/local-cluster.sh up")
    nodes = json.loads(r.stdout)["items"]
    assert nodes and all(kube.is_ready(n) or any(c["type"] == "Ready" and c["status"] == "True"
                                                 for c in n["status"]["conditions"]) for n in nodes), "the node is not Ready"
    version = json.loads(kube.kubectl("version", "-o", "json").stdout)["serverVersion"]["gitVersion"]
    kube.figure("kubernetes version", version)
    return nodes[0]["metadata"]["name"]


def pytest_terminal_summary(terminalreporter):
    if kube.FIGURES:
        terminalreporter.section("real-cluster figures")
        for name, value in kube.FIGURES:
            terminalreporter.write_line(f"{name}: {value}")
