"""The Kubernetes "Running ZooKeeper" tutorial's steps (seed 004), with the
shipped manifests (docker/k8s/overlays/dev through tests/cluster/overlays/dev)
in a namespace that enforces the restricted Pod Security Standard, on the
real cluster. The tests run in file order on one ensemble."""

import json
import os
import re
import signal
import threading
import time

import pytest

from tests.cluster import kube
from tests.cluster.kube import figure, kubectl

NS = "zk-tutorial"
SEL = "app.kubernetes.io/name=zookeeper,app.kubernetes.io/instance=zk"
OVERLAY = kube.ROOT / "tests/cluster/overlays/dev"
PODS = ["zk-0", "zk-1", "zk-2"]


@pytest.fixture(scope="module")
def ensemble():
    kube.create_namespace(NS, "restricted")
    t0 = time.monotonic()
    r = kubectl("apply", "-k", OVERLAY, ns=NS)
    yield {"apply": r, "t0": t0}
    kube.delete_namespace(NS)


def test_admitted_at_restricted(ensemble):
    r = ensemble["apply"]
    # warn=restricted is set too: any violation would print "Warning: would violate PodSecurity".
    assert "Warning" not in r.stderr, r.stderr
    for obj in ("service/zk-hs", "service/zk-cs", "poddisruptionbudget.policy/zk-pdb", "statefulset.apps/zk"):
        assert f"{obj} created" in r.stdout, r.stdout
    ns = kube.get("namespace", NS)
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # Control: admission is really enforcing in this namespace.
    bad = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "privileged"},
           "spec": {"containers": [{"name": "c", "image": kube.IMAGE, "securityContext": {"privileged": True}}]}}
    r = kubectl("create", "-f", "-", ns=NS, stdin=json.dumps(bad), check=False)
    assert r.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in r.stderr and "privileged" in r.stderr, r.stderr


def test_pods_become_ready(ensemble):
    kube.wait_ready(NS, SEL, 3, timeout=300)
    figure("dev overlay: apply to 3 pods Ready", f"{time.monotonic() - ensemble['t0']:.1f} s")
    for p in kube.pods(NS, SEL):
        assert p["status"]["containerStatuses"][0]["restartCount"] == 0, f"{p['metadata']['name']} restarted before Ready"
        assert p["spec"]["nodeName"]
    names = [p["metadata"]["name"] for p in kube.pods(NS, SEL)]
    assert names == PODS


def test_hostnames_myid_and_fqdns(ensemble):
    for i, pod in enumerate(PODS):
        assert kube.exec_(NS, pod, "hostname").stdout.strip() == pod
        assert kube.exec_(NS, pod, "cat", "/var/lib/zookeeper/data/myid").stdout.strip() == str(i + 1)
        fqdn = kube.exec_(NS, pod, "hostname", "-f").stdout.strip()
        assert fqdn == f"{pod}.zk-hs.{NS}.svc.cluster.local"
    # The committed membership names the peers by those FQDNs (zoo.cfg is
    # on the data volume, with the dynamic config file beside it).
    cfg = kube.exec_(NS, "zk-0", "cat", "/opt/zookeeper/conf/zoo.cfg").stdout
    dyn = [ln.split("=", 1)[1] for ln in cfg.splitlines() if ln.startswith("dynamicConfigFile=")]
    members = kube.exec_(NS, "zk-0", "cat", dyn[0]).stdout if dyn else cfg
    for i, pod in enumerate(PODS):
        assert f"server.{i + 1}={pod}.zk-hs.{NS}.svc.cluster.local:2888:3888" in members, (cfg, members)


def test_hosts_file_is_what_the_imitation_assumes(ensemble):
    """The kubelet's /etc/hosts, as tests/containers/podspec.hosts_file writes
    it for the podman pods: the header, localhost lines and `IP\\tFQDN\\tshort`."""
    for pod in PODS:
        ip = kube.pod_ip(NS, pod)
        hosts = kube.exec_(NS, pod, "cat", "/etc/hosts").stdout
        lines = hosts.splitlines()
        assert lines[0] == "# Kubernetes-managed hosts file.", hosts
        assert "127.0.0.1\tlocalhost" in lines, hosts
        assert f"{ip}\t{pod}.zk-hs.{NS}.svc.cluster.local\t{pod}" in lines, hosts
        # The peers are not in it: they come from the cluster DNS.
        assert not [ln for ln in lines if re.search(r"zk-\d", ln) and pod not in ln], hosts


def test_dns_resolves_peers_and_nothing_outside(ensemble):
    """The image's nslookup asks the cluster DNS: a peer's name is its pod
    address; the pod's resolv.conf is the kubelet's, with no search domain
    or nameserver of the host's; a name outside the cluster's zones is
    REFUSED by the cluster DNS itself, at once (it has no upstream)."""
    r = kube.exec_(NS, "zk-0", "nslookup", f"zk-2.zk-hs.{NS}.svc.cluster.local")
    assert f"Address: {kube.pod_ip(NS, 'zk-2')}" in r.stdout.splitlines(), r.stdout
    resolv = kube.exec_(NS, "zk-0", "cat", "/etc/resolv.conf").stdout
    assert resolv.splitlines() == [f"search {NS}.svc.cluster.local svc.cluster.local cluster.local",
                                   "nameserver 10.244.0.1", "options ndots:5"], resolv
    t0 = time.monotonic()
    r = kube.exec_(NS, "zk-0", "nslookup", "example.com.", check=False)
    took = time.monotonic() - t0
    assert r.returncode != 0, r.stdout
    assert "REFUSED" in r.stdout + r.stderr, r.stdout + r.stderr
    figure("pod: lookup of an outside name", f"REFUSED by the cluster DNS in {took:.2f} s")


def test_fsgroup_applied_to_the_volume(ensemble):
    """The kubelet applies fsGroup 1000 to the local volume: group 1000, setgid,
    group-writable; the process has 1000 as a supplementary group."""
    ids = kube.ids(NS, "zk-0")
    assert ids["uid"] == 1000 and ids["gid"] == 1000 and 1000 in ids["groups"], ids
    st = kube.exec_(NS, "zk-0", "stat", "-c", "%u %g %A", "/var/lib/zookeeper", "/var/lib/zookeeper/data",
                    "/var/lib/zookeeper/data/version-2", "/var/lib/zookeeper/data/myid").stdout.split("\n")
    root, data, zkdir, myid = (s.split() for s in st[:4])
    # The volume's root: owned by root (the provisioner made it), group 1000 and setgid from the kubelet.
    assert root[0] == "0" and root[1] == "1000" and root[2][6] == "s" and root[2][5] == "w", root  # drwxrwsr-x
    assert data[0] == "1000" and data[1] == "1000", data
    # ZooKeeper's own files: group 1000 inherited (setgid), group-writable (zkpod's umask 007).
    assert zkdir[1] == "1000" and zkdir[2][5] == "w", zkdir
    assert myid[1] == "1000", myid
    figure("data volume: root, data, version-2, myid (uid gid mode)", " | ".join(" ".join(x) for x in (root, data, zkdir, myid)))


def test_write_in_zk0_read_in_zk1(ensemble):
    rc, out = kube.zkcli(NS, "zk-0", "create", "/hello", "world")
    assert rc == 0 and "Created /hello" in out, out
    rc, out = kube.zkcli(NS, "zk-1", "get", "/hello")
    assert rc == 0 and "world" in out.splitlines(), out


def _leader_count():
    return sum(1 for p in PODS if kube.mode(kube.pod_ip(NS, p)) == "leader")


def test_durable_storage_across_statefulset_delete(ensemble):
    claims = {p["metadata"]["name"]: p["metadata"]["uid"] for p in kube.get("pvc", ns=NS)["items"]}
    assert sorted(claims) == [f"data-{p}" for p in PODS]
    kubectl("delete", "statefulset", "zk", "--wait=true", ns=NS, timeout=180)
    kube.wait_for("the pods to be gone", lambda: not kube.pods(NS, SEL), 120, 0.5)
    t0 = time.monotonic()
    kubectl("apply", "-k", OVERLAY, ns=NS)
    kube.wait_ready(NS, SEL, 3, timeout=300)
    figure("durable storage: recreate to 3 Ready", f"{time.monotonic() - t0:.1f} s")
    assert {p["metadata"]["name"]: p["metadata"]["uid"] for p in kube.get("pvc", ns=NS)["items"]} == claims
    rc, out = kube.zkcli(NS, "zk-2", "get", "/hello")
    assert rc == 0 and "world" in out.splitlines(), out


def test_rolling_update_loses_no_write(ensemble):
    """`kubectl patch` of a resource request rolls the pods one at a time
    (zk-2, zk-1, zk-0) under a continuous writer: every acknowledged write is
    there at the end, and srvr of every pod, every 100 ms, never shows two leaders."""
    eps = kube.Endpoints(NS, SEL)
    poller = kube.LeaderPoller(eps)
    writer = kube.Writer(eps)
    poller.start()
    writer.start()
    time.sleep(3)
    old = {p["metadata"]["name"]: p["metadata"]["uid"] for p in kube.pods(NS, SEL)}
    t0 = time.monotonic()
    kubectl("patch", "statefulset", "zk", "--type=json",
            "-p", '[{"op": "replace", "path": "/spec/template/spec/containers/0/resources/requests/cpu", "value": "150m"}]',
            ns=NS)
    r = kubectl("rollout", "status", "statefulset/zk", "--timeout=600s", ns=NS, timeout=620)
    rollout = time.monotonic() - t0
    time.sleep(3)
    writer.stop()
    poller.stop()
    new = {p["metadata"]["name"]: p["metadata"]["uid"] for p in kube.pods(NS, SEL)}
    assert all(old[n] != new[n] for n in PODS), "not every pod was replaced"
    for p in kube.pods(NS, SEL):
        assert p["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "150m"
    assert "rolling update complete 3 pods" in r.stdout, r.stdout
    assert len(writer.acked) > 100, f"only {len(writer.acked)} writes acknowledged ({writer.error})"
    assert poller.rounds > 50
    assert poller.max_leaders <= 1, f"two leaders at once: {poller.multi[:5]}"
    checked = kube.check_acked(eps, writer.acked)
    figure("rolling update: rollout", f"{rollout:.1f} s")
    figure("rolling update: acknowledged writes, all present", f"{checked} ({writer.failures} failed attempts)")
    figure("rolling update: longest write outage", f"{writer.max_gap:.2f} s (gaps over 1 s: {writer.gaps})")
    figure("rolling update: srvr rounds, most leaders in one round", f"{poller.rounds}, {poller.max_leaders}")


def test_process_failure_restarts_and_rejoins(ensemble):
    """The tutorial's `pkill java`, done from the node with SIGKILL (the image
    has no pkill, and PID 1 cannot be SIGKILLed from inside its namespace)."""
    before = kube.container_status(NS, "zk-0")["restartCount"]
    pid = kube.host_pid(NS, "zk-0")
    assert "java" in open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[0].decode(), "PID 1 of zk-0 is not the JVM"
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    kube.wait_for("zk-0 to restart", lambda: kube.container_status(NS, "zk-0")["restartCount"] == before + 1, 120, 0.2)
    restarted = time.monotonic() - t0
    kube.wait_ready(NS, SEL, 3, timeout=180)
    ready = time.monotonic() - t0
    cs = kube.container_status(NS, "zk-0")
    assert cs["lastState"]["terminated"]["exitCode"] == 137, cs["lastState"]
    ip = kube.pod_ip(NS, "zk-0")
    assert kube.mode(ip) in ("leader", "follower")
    rc, out = kube.zkcli(NS, "zk-0", "get", "/hello")
    assert rc == 0 and "world" in out.splitlines(), out
    figure("process failure: SIGKILL to container restarted", f"{restarted:.1f} s")
    figure("process failure: SIGKILL to Ready (rejoined)", f"{ready:.1f} s")


def test_liveness_restarts_a_hung_jvm(ensemble):
    """A JVM that stops answering (SIGSTOP) fails `zkpod probe live`; after
    failureThreshold x periodSeconds the kubelet kills and restarts it. A
    stopped JVM never acts on SIGTERM: the kubelet sends SIGKILL after the
    probe's terminationGracePeriodSeconds (15 s), not the pod's (90 s)."""
    pod = "zk-1"
    before = kube.container_status(NS, pod)["restartCount"]
    pid = kube.host_pid(NS, pod)
    t0 = time.monotonic()
    os.kill(pid, signal.SIGSTOP)
    try:
        kube.wait_for(f"{pod} to be restarted by its liveness probe",
                      lambda: kube.container_status(NS, pod)["restartCount"] == before + 1, 240, 0.5)
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    restarted = time.monotonic() - t0
    spec = kube.get("pod", pod, ns=NS)["spec"]
    probe_grace = spec["containers"][0]["livenessProbe"]["terminationGracePeriodSeconds"]
    period, threshold = (spec["containers"][0]["livenessProbe"][k] for k in ("periodSeconds", "failureThreshold"))
    # Detection (at most failureThreshold x periodSeconds) plus the probe's
    # grace, with room for a loaded machine; the pod's grace would be >= 90 s.
    assert spec["terminationGracePeriodSeconds"] == 90 and probe_grace == 15
    assert restarted < period * threshold + probe_grace + 25, f"restart took {restarted:.1f} s: the pod's 90 s grace held it?"
    events = kubectl("get", "events", "--field-selector", f"involvedObject.name={pod}", "-o", "json", ns=NS).stdout
    msgs = [e["message"] for e in json.loads(events)["items"]]
    assert any("Liveness probe failed" in m for m in msgs), msgs
    assert any("failed liveness probe, will be restarted" in m for m in msgs), msgs
    kube.wait_ready(NS, SEL, 3, timeout=180)
    figure("liveness: SIGSTOP to container restarted", f"{restarted:.1f} s")
    figure("liveness: SIGSTOP to Ready", f"{time.monotonic() - t0:.1f} s")
    probe_msgs = sorted({m for m in msgs if "Liveness probe failed" in m})
    figure("liveness: probe failure message", probe_msgs[0][:200])


def test_drain_is_blocked_by_the_pdb(ensemble, cluster):
    """`kubectl drain` evicts one pod (maxUnavailable 1); the StatefulSet's
    replacement cannot schedule on the cordoned node, so the budget then
    refuses every further eviction until the node is uncordoned."""
    node = cluster
    seen_down = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            seen_down.append(3 - len(kube.ready_names(NS, SEL)))
            stop.wait(0.5)
    w = threading.Thread(target=watch, daemon=True)
    w.start()
    t0 = time.monotonic()
    try:
        r = kubectl("drain", node, "--pod-selector", SEL, "--delete-emptydir-data",
                    "--ignore-daemonsets", "--timeout=25s", check=False, timeout=120)
        drained_for = time.monotonic() - t0
        pending = [p["metadata"]["name"] for p in kube.pods(NS, SEL) if p["status"].get("phase") == "Pending"]
    finally:
        kubectl("uncordon", node)
        stop.set()
        w.join()
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "Cannot evict pod as it would violate the pod's disruption budget" in out, out
    evicted = re.findall(r"pod/(zk-\d) evicted", out)
    assert len(evicted) == 1, out
    assert pending == evicted, (pending, evicted)
    assert max(seen_down) == 1, f"more than one pod down at a time: {seen_down}"
    t1 = time.monotonic()
    kube.wait_ready(NS, SEL, 3, timeout=240)
    figure("drain: evicted before the budget blocked it", f"{evicted} in {drained_for:.1f} s (timeout 25 s)")
    figure("drain: uncordon to 3 Ready", f"{time.monotonic() - t1:.1f} s")
