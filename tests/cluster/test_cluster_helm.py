"""The Helm chart (docker/helm/zookeeper) on the real cluster (issue 11 item
5): `helm install` with the chart's dev values and the cluster's image in a
namespace that enforces `restricted`, the chart's own `helm test`, `helm
upgrade --set replicaCount=5` and back to 3 under a continuous writer and a
poller counting voting leaders (tests/lib/load.py), and `helm uninstall`,
which leaves the claims."""

import time

from tests.cluster import kube
from tests.cluster.kube import figure
from tests.cluster.test_cluster_membership import wait_voters
from tests.helm.helmlib import helm
from tests.lib import load

NS = "zk-helm"
RELEASE = "zookeeper"
SEL = f"app.kubernetes.io/name=zookeeper,app.kubernetes.io/instance={RELEASE}"
CHART = kube.ROOT / "docker/helm/zookeeper"


def _helm(*args, timeout=600):
    import subprocess
    r = subprocess.run([helm(), "--kubeconfig", kube.KUBECONFIG, "-n", NS, *map(str, args)],
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"helm {' '.join(map(str, args))} exited {r.returncode}: {r.stdout[-2000:]}{r.stderr[-2000:]}"
    return r


def test_install_test_upgrade_5_3_uninstall():
    kube.create_namespace(NS, "restricted")
    writer = poller = None
    try:
        t0 = time.monotonic()
        r = _helm("install", RELEASE, CHART, "-f", CHART / "values-dev.yaml", "--set", "image.tag=cluster",
                  "--wait", "--timeout", "300s")
        assert "Warning" not in r.stderr, r.stderr
        version = wait_voters(NS, 3, sel=SEL, sts=RELEASE)
        figure("helm: install to 3 voters", f"{time.monotonic() - t0:.1f} s (config version {version})")
        t1 = time.monotonic()
        r = _helm("test", RELEASE, "--logs", "--timeout", "180s")
        assert "Phase:          Succeeded" in r.stdout, r.stdout
        figure("helm: helm test", f"{time.monotonic() - t1:.1f} s")
        poller, writer = kube.load_on(NS, SEL, [f"{RELEASE}-{i}" for i in range(3)])
        for n in (5, 3):
            s0 = time.monotonic()
            _helm("upgrade", RELEASE, CHART, "--reuse-values", "--set", f"replicaCount={n}", "--wait", "--timeout", "300s")
            version = wait_voters(NS, n, sel=SEL, sts=RELEASE)
            s1 = time.monotonic()
            time.sleep(2.0)
            outage = writer.longest_outage(s0, time.monotonic())
            figure(f"helm: upgrade to replicaCount={n}",
                   f"{s1 - s0:.1f} s to {n} voters on every pod, longest write outage {outage:.2f} s (version {version})")
        writer.stop()
        poller.stop()
        acked = writer.acked
        assert len(acked) > 100, f"only {len(acked)} writes acknowledged ({writer.failures} failed attempts)"
        assert not poller.split, f"two voting leaders at once: {poller.split[0]}"
        for name, ip in sorted(kube.Endpoints(NS, SEL).get(fresh=True).items()):
            missing = load.missing_on(f"{ip}:2181", writer.root, acked)
            assert not missing, f"{name} lacks {len(missing)} acknowledged writes, e.g. {missing[:3]}"
        for p in kube.pods(NS, SEL):
            assert p["status"]["containerStatuses"][0]["restartCount"] == 0, p["metadata"]["name"]
        figure("helm: acknowledged writes, all on every server",
               f"{len(acked)} ({writer.failures} failed attempts); {len(poller.samples)} leader samples, never two voting leaders")
        _helm("uninstall", RELEASE, "--wait", "--timeout", "180s")
        kube.wait_for("the release's pods to be gone", lambda: not kube.pods(NS, SEL), 180, 1)
        claims = sorted(c["metadata"]["name"] for c in kube.get("pvc", ns=NS)["items"])
        assert claims == [f"data-{RELEASE}-{i}" for i in range(5)], claims
    finally:
        if writer:
            writer.stop()
        if poller:
            poller.stop()
        kube.delete_namespace(NS)
