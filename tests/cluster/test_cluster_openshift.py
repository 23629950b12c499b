"""OpenShift's restricted-v2 SCC, emulated (tests/cluster/overlays/openshift):
an arbitrary runAsUser with GID 0 and the SCC's fsGroup, in a namespace that
enforces the restricted Pod Security Standard. Admitted, Ready, serving."""

import time

from tests.cluster import kube
from tests.cluster.kube import figure, kubectl

NS = "zk-openshift"
SEL = "app.kubernetes.io/name=zookeeper,app.kubernetes.io/instance=zk"
UID = "1000770000"


def test_arbitrary_uid_with_gid_0():
    kube.create_namespace(NS, "restricted")
    try:
        # The production overlays expect the operator's Secret (README).
        kubectl("create", "secret", "generic", "zk-auth", "--from-literal=password=openshift-test-password", ns=NS)
        t0 = time.monotonic()
        r = kubectl("apply", "-k", kube.ROOT / "tests/cluster/overlays/openshift", ns=NS)
        assert "Warning" not in r.stderr, r.stderr
        kube.wait_ready(NS, SEL, 3, timeout=300)
        figure("openshift overlay: apply to 3 pods Ready", f"{time.monotonic() - t0:.1f} s")
        for i in range(3):
            pod = f"zk-{i}"
            ids = kube.ids(NS, pod)
            assert ids["uid"] == int(UID) and ids["gid"] == 0 and int(UID) in ids["groups"], ids
            st = kube.exec_(NS, pod, "stat", "-c", "%u %g %A", "/var/lib/zookeeper/data/myid").stdout.split()
            assert st[0] == UID, st
        stat = kube.exec_(NS, "zk-0", "stat", "-c", "%n %u %g %A", "/var/lib/zookeeper", "/var/lib/zookeeper/data",
                          "/var/lib/zookeeper/data/version-2").stdout.strip().splitlines()
        root = stat[0].split()
        assert root[2] == UID and root[3][6] == "s", root  # the kubelet applied the SCC's fsGroup
        figure("openshift overlay: volume (path uid gid mode)", " | ".join(stat))
        figure("openshift overlay: id", ids["text"])
        rc, out = kube.zkcli(NS, "zk-0", "create", "/openshift", "arbitrary-uid")
        assert rc == 0 and "Created /openshift" in out, out
        rc, out = kube.zkcli(NS, "zk-2", "get", "/openshift")
        assert rc == 0 and "arbitrary-uid" in out.splitlines(), out
    finally:
        kube.delete_namespace(NS)
