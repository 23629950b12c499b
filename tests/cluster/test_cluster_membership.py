"""Dynamic membership on the real cluster (issue 9 and issue 11 item 4): the
shipped dev overlay (postStart `zkpod join`, preStop `zkpod leave`, the
ServiceAccount and Role that read the StatefulSet, the Secret zk-auth), and
`kubectl scale statefulset zk --replicas=N` for 3 -> 5 -> 3 -> 1 -> 3,
as a user types it, while a client writes continuously.

1 -> 3 in one step is the case a real kubelet makes hard (found here; the
emulation cannot show it): the kubelet publishes a pod's address, and so its
name in the headless Service, only once its postStart hook has returned, and
`zkpod join` returns only once its server votes. Had zk-2 (server 3) been
promoted first, voters {1, 3} could not hear from zk-1 (server 3 makes the
election connection to server 2 by a name not yet published) and zk-1's
hook waited until ZOO_JOIN_TIMEOUT. `zkpod join` therefore adds voters in
ordinal order (membership::reconcile::participant_step): server 3 waits
until server 2 votes, whose hook has then returned.

The instruments are tests/lib/load.py's: the Writer (kazoo, connected to the
first three pods' addresses) records every acknowledged write; the
LeaderPoller asks every pod for srvr and conf every 100 ms and counts the
voting leaders (a leader a reconfig removed is not one). After each step
every pod's `zkpod status` serves and its `zkpod 4lw conf` (the committed
membership, as each server sees it) lists exactly servers 1..N as voters,
one version on all. At the end every acknowledged write is readable through
every server, there was never more than one voting leader, no container
restarted (a failed postStart hook restarts it), and the volumes zk-1 and
zk-2 came back to at the last step had their old data set aside."""

import json
import time

from tests.cluster import kube
from tests.cluster.kube import figure, kubectl
from tests.lib import load

NS = "zk-scale"
SEL = "app.kubernetes.io/name=zookeeper,app.kubernetes.io/instance=zk"
OVERLAY = kube.ROOT / "tests/cluster/overlays/dev"
DATA = "/var/lib/zookeeper/data"


def _members(ns, pod):
    """(version, {id: role}) of the committed membership as `pod` sees it,
    through zkpod in the pod (it finds the client address as the probes do)."""
    r = kube.exec_(ns, pod, "/usr/local/bin/zkpod", "4lw", "conf", check=False, timeout=30)
    if r.returncode != 0:
        return None, {}
    version, members, _ = load.conf_membership(r.stdout)
    return version, members


def _serving(ns, pod):
    r = kube.exec_(ns, pod, "/usr/local/bin/zkpod", "status", "--json", check=False, timeout=30)
    return r.returncode == 0 and json.loads(r.stdout).get("serving") is True


def wait_voters(ns, n, timeout=300, sel=SEL, sts="zk"):
    """Waits until exactly <sts>-0..<sts>-(n-1) exist and are Ready, and each
    one's zkpod status serves and its conf lists servers 1..n as voters, one
    version on all; returns that version."""
    want = {i + 1: "participant" for i in range(n)}
    names = [f"{sts}-{i}" for i in range(n)]

    def done():
        pods = kube.pods(ns, sel)
        if [p["metadata"]["name"] for p in pods] != names:
            return None
        if not all(kube.is_ready(p) and not p["metadata"].get("deletionTimestamp") for p in pods):
            return None
        if not all(_serving(ns, name) for name in names):
            return None
        confs = [_members(ns, name) for name in names]
        versions = {v for v, _ in confs}
        if len(versions) == 1 and all(m == want for _, m in confs):
            return versions.pop()
        return None

    try:
        return kube.wait_for(f"exactly {names} Ready, each with voters 1..{n}", done, timeout, 1.0)
    except AssertionError as e:
        pods = kubectl("get", "pods", "-o", "wide", ns=ns, check=False).stdout
        confs = {p["metadata"]["name"]: _members(ns, p["metadata"]["name"]) for p in kube.pods(ns, sel)}
        raise AssertionError(f"{e}\n{pods}\nconf of each pod: {confs}") from None


def test_kubectl_scale_3_5_3_1_3_under_load():
    kube.create_namespace(NS, "restricted")
    writer = poller = None
    try:
        t0 = time.monotonic()
        r = kubectl("apply", "-k", OVERLAY, ns=NS)
        assert "Warning" not in r.stderr, r.stderr
        first = wait_voters(NS, 3)
        figure("membership: apply to 3 voters", f"{time.monotonic() - t0:.1f} s (config version {first})")
        poller, writer = kube.load_on(NS, SEL, [f"zk-{i}" for i in range(3)])
        steps = []
        for n in (5, 3, 1, 3):
            s0 = time.monotonic()
            kubectl("scale", "statefulset", "zk", f"--replicas={n}", ns=NS)
            version = wait_voters(NS, n)
            s1 = time.monotonic()
            time.sleep(2.0)  # writes after the change count towards this step
            outage = writer.longest_outage(s0, time.monotonic())
            line = f"{s1 - s0:.1f} s to {n} voters on every pod, longest write outage {outage:.2f} s (version {version})"
            steps.append(line)
            figure(f"membership: kubectl scale to {n}", line)
        writer.stop()
        poller.stop()
        acked = writer.acked
        assert len(acked) > 100, f"only {len(acked)} writes acknowledged ({writer.failures} failed attempts)"
        assert len(poller.samples) > 100, len(poller.samples)
        assert not poller.split, (f"two voting leaders at once in {len(poller.split)} of {len(poller.samples)} "
                                  f"samples; first: {poller.split[0]}")
        final = kube.Endpoints(NS, SEL).get(fresh=True)
        assert sorted(final) == ["zk-0", "zk-1", "zk-2"], final
        for name, ip in sorted(final.items()):
            missing = load.missing_on(f"{ip}:2181", writer.root, acked)
            assert not missing, f"{name} lacks {len(missing)} acknowledged writes, e.g. {missing[:3]}"
        for p in kube.pods(NS, SEL):
            cs = p["status"]["containerStatuses"][0]
            assert cs["restartCount"] == 0, f"{p['metadata']['name']} restarted: {cs.get('lastState')}"
        events = json.loads(kubectl("get", "events", "-o", "json", ns=NS).stdout)["items"]
        hook_failures = [e["message"] for e in events if e.get("reason") in ("FailedPostStartHook", "FailedPreStopHook")]
        assert not hook_failures, hook_failures
        # zk-1 and zk-2 left at the scale to 1; their claims stayed, and when
        # they came back their old data was set aside before they joined.
        for pod in ("zk-1", "zk-2"):
            aside = kube.exec_(NS, pod, "ls", f"{DATA}/zkpod-set-aside").stdout.split()
            assert aside, f"{pod}: nothing set aside in {DATA}/zkpod-set-aside"
        claims = sorted(c["metadata"]["name"] for c in kube.get("pvc", ns=NS)["items"])
        assert claims == [f"data-zk-{i}" for i in range(5)], claims
        figure("membership: acknowledged writes, all on every server",
               f"{len(acked)} ({writer.failures} failed attempts); {len(poller.samples)} leader samples, never two voting leaders")
    finally:
        if writer:
            writer.stop()
        if poller:
            poller.stop()
        kube.delete_namespace(NS)
