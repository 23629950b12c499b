"""Seed 000's stale-volume reinstall on the real cluster: delete the
StatefulSet, swap the bindings of two claims (zk-0 gets zk-1's volume and the
other way round), recreate it. The two pods refuse with zkpod's message
(exit 5) and restart without end; their volumes stay byte for byte as they were."""

import json
import time

from tests.cluster import kube
from tests.cluster.kube import figure, kubectl
from tests.lib.digest import changes, tree_digest

NS = "zk-stale"
SEL = "app.kubernetes.io/name=zookeeper,app.kubernetes.io/instance=zk"
OVERLAY = kube.ROOT / "tests/cluster/overlays/dev"


def _claim(name, pv, template):
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "labels": template["metadata"].get("labels") or {}},
            "spec": {"accessModes": template["spec"]["accessModes"], "resources": template["spec"]["resources"],
                     "storageClassName": pv["spec"]["storageClassName"], "volumeName": pv["metadata"]["name"]}}


def test_swapped_volumes_are_refused_and_left_alone():
    kube.create_namespace(NS, "restricted")
    pvs = {}
    try:
        kubectl("apply", "-k", OVERLAY, ns=NS)
        kube.wait_ready(NS, SEL, 3, timeout=300)
        rc, out = kube.zkcli(NS, "zk-0", "create", "/before-reinstall", "x")
        assert rc == 0, out
        template = kube.get("statefulset", "zk", ns=NS)["spec"]["volumeClaimTemplates"][0]
        for i in (0, 1):
            claim = kube.get("pvc", f"data-zk-{i}", ns=NS)
            pvs[i] = kube.get("pv", claim["spec"]["volumeName"])
            kubectl("patch", "pv", pvs[i]["metadata"]["name"], "-p", '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}')
        kubectl("delete", "statefulset", "zk", "--wait=true", ns=NS, timeout=180)
        kube.wait_for("the pods to be gone", lambda: not kube.pods(NS, SEL), 120, 0.5)
        paths = {i: pvs[i]["spec"]["local"]["path"] for i in (0, 1)}
        before = {i: tree_digest(paths[i]) for i in (0, 1)}
        kubectl("delete", "pvc", "data-zk-0", "data-zk-1", "--wait=true", ns=NS, timeout=120)
        # Swap: zk-0's volume goes to data-zk-1 and zk-1's to data-zk-0.
        for i, other in ((0, 1), (1, 0)):
            name = pvs[i]["metadata"]["name"]
            ref = {"namespace": NS, "name": f"data-zk-{other}"}
            kubectl("patch", "pv", name, "--type=json", "-p", json.dumps([{"op": "replace", "path": "/spec/claimRef", "value": ref}]))
            kubectl("create", "-f", "-", ns=NS, stdin=json.dumps(_claim(f"data-zk-{other}", pvs[i], template)))
        kube.wait_for("the swapped claims to bind", lambda: all(
            kube.get("pvc", f"data-zk-{i}", ns=NS)["status"].get("phase") == "Bound" for i in (0, 1)), 60, 0.5)
        assert kube.get("pvc", "data-zk-0", ns=NS)["spec"]["volumeName"] == pvs[1]["metadata"]["name"]
        t0 = time.monotonic()
        kubectl("apply", "-k", OVERLAY, ns=NS)

        def refused(pod):
            cs = kube.container_status(NS, pod)
            return cs["restartCount"] >= 2 and (cs.get("lastState", {}).get("terminated") or {}).get("exitCode") == 5
        for pod in ("zk-0", "zk-1"):
            kube.wait_for(f"{pod} to be refused twice", lambda pod=pod: refused(pod), 240, 1)
        figure("stale volumes: recreate to two refusals each", f"{time.monotonic() - t0:.1f} s")
        for pod, own, found in (("zk-0", 1, 2), ("zk-1", 2, 1)):
            want = (f"/var/lib/zookeeper/data/myid says this volume belongs to server {found}, "
                    f"but this pod ({pod}) is server {own}")

            def log_of_a_refusal(pod=pod, want=want):
                # The crash loop replaces containers: read whichever one has its log.
                for args in (["--previous"], []):
                    r = kubectl("logs", pod, *args, ns=NS, check=False)
                    if want in r.stdout:
                        return r.stdout
                return None
            log = kube.wait_for(f"{pod}'s refusal in its log", log_of_a_refusal, 60, 0.5)
            assert "nothing was changed" in log, log
            cs = kube.container_status(NS, pod)
            assert cs["ready"] is False
            figure(f"stale volumes: {pod} says", [ln for ln in log.splitlines() if "belongs to server" in ln][0][:240])
        # Volumes unchanged, byte for byte, metadata included.
        for i in (0, 1):
            assert tree_digest(paths[i]) == before[i], changes(before[i], tree_digest(paths[i]))
        # The third pod keeps its own volume and, without a quorum, is not Ready.
        assert kube.exec_(NS, "zk-2", "cat", "/var/lib/zookeeper/data/myid").stdout.strip() == "3"
        assert "zk-2" not in kube.ready_names(NS, SEL)
    finally:
        for pv in pvs.values():
            kubectl("patch", "pv", pv["metadata"]["name"], "-p", '{"spec":{"persistentVolumeReclaimPolicy":"Delete"}}', check=False)
        kube.delete_namespace(NS)
