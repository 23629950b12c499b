"""Drop-in proof: the users' own manifests (seed 001's zookeeper.yaml and the
tutorial's, seed 004), applied as they wrote them with only the changes a
single-node cluster without a registry forces (seeds.py), run on the zkpod
image: `sh -c "start.sh ..."` / `start-zookeeper`, the `sh -c` probes,
OrderedReady, runAsUser/fsGroup 1000. Both come up Ready and serve a write
through one pod and a read through another."""

import time
from pathlib import Path

import pytest
import yaml

from tests.cluster import kube
from tests.cluster.kube import figure, kubectl
from tests.cluster.seeds import adapt

SEEDS = Path(__file__).resolve().parent / "seeds"
CASES = {
    # file: (StatefulSet, label selector, expected changes)
    "seed001-zookeeper.yaml": ("zookeeper", "app=zookeeper", [
        "PodDisruptionBudget/zookeeper-pdb: apiVersion policy/v1beta1 -> policy/v1 (v1beta1 was removed in 1.25)",
        "StatefulSet/zookeeper: required pod anti-affinity on kubernetes.io/hostname removed (one node)",
        f"StatefulSet/zookeeper: container kubernetes-zookeeper: image cloudurable/kube-zookeeper:0.0.1 -> {kube.IMAGE}",
        "StatefulSet/zookeeper: container kubernetes-zookeeper: imagePullPolicy Always -> IfNotPresent (no registry)",
    ]),
    "seed004-tutorial-zookeeper.yaml": ("zk", "app.kubernetes.io/name=zk", [
        f"StatefulSet/zk: container kubernetes-zookeeper: image registry.k8s.io/kubernetes-zookeeper:1.0-3.4.10 -> {kube.IMAGE}",
        "StatefulSet/zk: container kubernetes-zookeeper: imagePullPolicy Always -> IfNotPresent (no registry)",
    ]),
}


@pytest.mark.parametrize("seed", sorted(CASES))
def test_seed_manifest_runs_unchanged(seed):
    sts, sel, expected = CASES[seed]
    docs, changes = adapt(list(yaml.safe_load_all((SEEDS / seed).read_text())), kube.IMAGE)
    assert changes == expected
    ns = "seed" + seed[4:7]
    # As their users ran them: a namespace without Pod Security labels.
    kube.create_namespace(ns, enforce=None)
    try:
        t0 = time.monotonic()
        r = kubectl("apply", "-f", "-", ns=ns, stdin=yaml.safe_dump_all(docs))
        assert f"statefulset.apps/{sts} created" in r.stdout, r.stdout
        kube.wait_ready(ns, sel, 3, timeout=420)
        figure(f"{seed}: apply to 3 pods Ready (OrderedReady)", f"{time.monotonic() - t0:.1f} s")
        pods = kube.pods(ns, sel)
        names = [p["metadata"]["name"] for p in pods]
        # Their readiness probe is ruok (process up), not "serving": the quorum
        # forms after the last pod starts. Wait for it the way a client would.
        t1 = time.monotonic()
        kube.wait_for("a serving ensemble", lambda: sorted(kube.mode(kube.pod_ip(ns, n)) or "-" for n in names)
                      == ["follower", "follower", "leader"], 120, 0.5)
        figure(f"{seed}: 3 Ready (ruok) to quorum serving", f"{time.monotonic() - t1:.1f} s")
        assert names == [f"{sts}-{i}" for i in range(3)]
        # OrderedReady: each pod was created only after the one before it was Ready.
        created = [p["metadata"]["creationTimestamp"] for p in pods]
        assert created == sorted(created), created
        for i, name in enumerate(names):
            assert kube.exec_(ns, name, "cat", "/var/lib/zookeeper/data/myid").stdout.strip() == str(i + 1)
        # The seed's `sh -c "start.sh ..."` is the image's busybox sh, which
        # execs the last command of -c: zkpod replaced it and exec'd the JVM,
        # so the JVM is PID 1 (with Debian's dash, sh would stay PID 1).
        pid1 = kube.exec_(ns, names[0], "cat", "/proc/1/cmdline").stdout.split("\0")
        assert pid1[0].endswith("/java") and "org.apache.zookeeper.server.quorum.QuorumPeerMain" in pid1, pid1
        ids = kube.ids(ns, names[0])
        # runAsUser 1000 and no runAsGroup: the image's primary group (0), plus fsGroup 1000.
        assert ids["uid"] == 1000 and ids["gid"] == 0 and 1000 in ids["groups"], ids
        rc, out = kube.zkcli(ns, names[0], "create", "/seed", seed)
        assert rc == 0 and "Created /seed" in out, out
        rc, out = kube.zkcli(ns, names[1], "get", "/seed")
        assert rc == 0 and seed in out.splitlines(), out
        figure(f"{seed}: PID 1, id", f"{pid1[0]} ... | {ids['text']}")
        # The JVM as PID 1 gets the kubelet's SIGTERM: a pod deletion takes
        # seconds, not the whole grace period (30 s by default, then SIGKILL).
        t1 = time.monotonic()
        kubectl("delete", "pod", names[2], "--wait=true", ns=ns, timeout=120)
        took = time.monotonic() - t1
        figure(f"{seed}: kubectl delete pod (the JVM is PID 1 under sh -c)", f"{took:.1f} s (grace period 30 s)")
        assert took < 20, f"deleting {names[2]} took {took:.1f} s: SIGTERM did not reach the JVM"
    finally:
        kube.delete_namespace(ns)
