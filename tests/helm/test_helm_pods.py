"""The Helm render run as pods (issue 12), until the real-cluster suite
exists: `helm template` with the dev values and a separate transaction-log
claim, its StatefulSet run by the container suite's harness (podman, one
loopback address per pod), the chart's own `helm test` pod run next to it,
and scaling the Helm way (issue 12 item 4, with issue 9's membership):
`helm upgrade --set replicaCount=N` from 3 to 5 and back to 3 under a
continuous writer, and an upgrade rendered without a cluster, which changes
--servers and so rolls every pod. Tests run in file order and share the pods.

What stands in for the cluster, beyond tests/containers/podspec.py's
deviations:
- the kubelet's hooks: the rendered postStart command is run with `podman
  exec` as soon as a container starts, beside it, and the preStop command
  before `podman stop` (SIGTERM, then SIGKILL after the grace period);
- the StatefulSet controller (podManagementPolicy Parallel): new ordinals
  start together with the same template; on a scale-down the highest
  ordinals terminate together; a rolling update goes highest ordinal first,
  each pod ready before the next;
- the API server's answer to zkpod's one question (the StatefulSet's
  spec.replicas): tests/lib/statefulset.py's ApiStandIn, reached through
  ZKPOD_KUBE_API in the container's environment (a kubelet gives every
  container KUBERNETES_SERVICE_HOST and the service account token instead).
  It answers for the StatefulSet `zk` in `default`, so the release is
  rendered with fullnameOverride=zk;
- the API server Helm's lookups ask: an upgrade is rendered with `helm
  template --dry-run=server` against helmlib's LookupApi, which holds what
  the previous install or upgrade applied; the Secret projected into the pods
  is the one the install made (the upgrades' lookups keep its password, which
  each test checks);
- the cluster DNS: each pod's hosts file lists the pods that exist, and is
  rewritten in place when pods are added, as the headless Service's records
  appear;
- the probes and `zkpod status` are pointed at the pod's own address
  (--host): the harness binds each client port to one loopback address
  (ZOO_CLIENT_ADDRESS), where a real pod binds all of its addresses and
  127.0.0.1 reaches it. Once a server's line carries its client address
  (zkpod join puts it there), ZooKeeper drops clientPortAddress from zoo.cfg,
  so zkpod can no longer find the address there.

Environment: E2E_NET (loopback prefix, default 127.0.0.5 -> .50-.54),
ZKPOD_IMAGE (default localhost/zkpod:dev), E2E_UID (default 1000770000).
"""

import difflib
import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml

from tests.containers.podman_pod import Pod, remove_labelled, sh, wait_for
from tests.containers.podspec import MASK_SHELLS, PodPlan, hosts_file, pod_address, secret_files, secret_names
from tests.helm.helm_pods import (
    api_env, figure, helm_test_argv, helm_test_hosts, hook_argv, lifecycle_command, project_secret,
)
from tests.helm.helmlib import (
    CHART, ROOT, LookupApi, lookup_args, servers, statefulset_text, template_text, without_replicas,
)
from tests.lib import load, needs
from tests.lib.k8s import one
from tests.lib import statefulset as kube
from tests.lib.statefulset import HookRun
from tests.lib.clients import kazoo_client
from tests.lib.fourlw import four_letter, server_mode

NET = os.environ.get("E2E_NET", "127.0.0.5")
PREFIX = "zkpod-helm-" + NET.replace(".", "-")
IMAGE = os.environ.get("ZKPOD_IMAGE", "localhost/zkpod:dev")
UID = int(os.environ.get("E2E_UID", "1000770000"))
NAMESPACE = kube.NAMESPACE
RELEASE = "zookeeper"
VALUES = [CHART / "values-dev.yaml"]
# fullnameOverride: the name the API stand-in answers for (see the module doc).
SETS = ["persistence.dataLogDir.enabled=true", f"fullnameOverride={kube.NAME}"]
QUORUM_TIMEOUT = 120
# The most pods a scenario runs (addresses NET0..NET4).
MAX_PODS = 5


def cleanup():
    remove_labelled(PREFIX)


def helm(sets=(), upgrade=False, api=None):
    """`helm template` of the release with the suite's values and `sets`:
    (text, resources). `upgrade` renders as `helm upgrade` does
    (--is-upgrade); with `api` (a LookupApi) the chart's lookups ask it,
    without one they find nothing, as with no cluster."""
    extra = (["--is-upgrade"] if upgrade else []) + (lookup_args(api) if api else [])
    text = template_text(VALUES, [*SETS, *sets], release=RELEASE, namespace=NAMESPACE, extra=extra)
    return text, [d for d in yaml.safe_load_all(text) if d]


class HostNetworkPlan(PodPlan):
    """A PodPlan whose probes ask the pod's own loopback address (see the
    module doc)."""

    def probe(self, kind):
        argv, timeout = super().probe(kind)
        return [*argv, "--host", self.address], timeout


class ServerPod(Pod):
    """A server pod with what the kubelet adds: the API's address in the
    container's environment, and the template's lifecycle hooks."""

    def __init__(self, plan, hosts_dir, api_url):
        super().__init__(plan, hosts_dir)
        self.api_url = api_url

    def run(self, volumes=None):
        sh(self.plan.run_argv(str(self.hosts_path), volumes, extra=(*MASK_SHELLS, *api_env(self.api_url))))

    def status(self):
        r = sh(["podman", "exec", self.name, "/usr/local/bin/zkpod", "status", "--json", "--host", self.plan.address],
               check=False, timeout=15)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def hook(self, hook, timeout):
        """Runs the template's postStart or preStop command in the container."""
        t0 = time.monotonic()
        argv = hook_argv(self.name, lifecycle_command(self.plan.sts, hook))
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
            code, out = r.returncode, r.stdout + r.stderr
        except subprocess.TimeoutExpired as e:
            code, out = -1, f"{e.stdout or ''}{e.stderr or ''}\n(the kubelet would have killed the hook after {timeout} s)"
        run = HookRun(self.plan.name, hook, code, out, round(time.monotonic() - t0, 1))
        log = ROOT / ".tmp" / f"{self.name}.{hook}.log"
        log.parent.mkdir(exist_ok=True)
        with open(log, "a") as f:
            f.write(f"### {hook} exited {code} after {run.seconds} s\n{out}\n")
        return run


class Ensemble:
    """The release's pods, the API stand-in, the projected Secret and the
    hosts files: the cluster around the pods."""

    def __init__(self, text, docs, workdir):
        self.text, self.docs = text, docs
        self.sts = servers(docs)
        self.workdir = workdir
        self.api = kube.ApiStandIn(self.sts["spec"]["replicas"])
        # The generated password, which every upgrade must keep.
        self.password = one(docs, "Secret")["data"]
        # What Helm applied, for the next upgrade's lookups.
        self.cluster = LookupApi()
        self.cluster.apply(docs, release=RELEASE, namespace=NAMESPACE)
        # The Secret the chart made at install; an upgrade keeps it (lookup).
        self.secrets = {}
        for name in secret_names(self.sts):
            (secret,) = [d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == name]
            self.secrets[name] = project_secret(secret_files(secret), workdir, PREFIX)
        self.pods = {}

    def plan(self, ordinal, sts):
        return HostNetworkPlan(sts, ordinal, net=NET, prefix=PREFIX, namespace=NAMESPACE, uid=UID, image=IMAGE,
                       secrets=self.secrets)

    def publish_dns(self, n):
        """The headless Service's records for pods 0..n-1: every pod's hosts
        file rewritten in place (the bind mount keeps the inode)."""
        for p in self.pods.values():
            p.hosts_path.write_text(hosts_file(p.plan.ordinal, n, NET, p.plan.base, p.plan.domain))

    def start(self, ordinals, sts):
        """The controller creates pods `ordinals` from `sts` at once, and the
        kubelet runs each one's postStart hook beside its container. Returns
        the hook threads and their results (a list filled as they finish)."""
        results, threads = [], []
        for i in ordinals:
            p = self.pods.get(i)
            if p is None:
                p = self.pods[i] = ServerPod(self.plan(i, sts), self.workdir, self.api.url)
                p.create_volumes()
            else:
                p.plan = self.plan(i, sts)
                p.hosts_path.write_text(p.plan.hosts())
            p.run()
            t = threading.Thread(target=lambda p=p: results.append(p.hook("postStart", timeout=300)), daemon=True)
            t.start()
            threads.append(t)
        return threads, results

    def terminate(self, ordinal):
        """The kubelet's termination of a pod: its preStop hook, then SIGTERM
        (SIGKILL after the grace period); the container is removed."""
        p = self.pods[ordinal]
        run = p.hook("preStop", timeout=p.plan.grace)
        p.stop()
        p.remove()
        return run

    def endpoints(self):
        return ",".join(f"{pod_address(NET, i)}:2181" for i in range(MAX_PODS))


def wait_hooks(threads, results, timeout=300):
    for t in threads:
        t.join(timeout=timeout)
    assert len(results) == len(threads), "a postStart hook did not finish"
    return results


@pytest.fixture(scope="module")
def ens():
    reason = needs.tools({"podman": "scripts/setup-podman.sh installs it"}) or needs.root(
        "rootful podman: host-network pods on loopback, volumes read from the host, uid 1000770000",
        "sudo scripts/test-helm.sh")
    if reason:
        pytest.skip(reason)
    if sh(["podman", "image", "exists", IMAGE], check=False).returncode != 0:
        pytest.fail(f"image {IMAGE} not found: the suite runs the built image; fix: ZKPOD_IMAGE={IMAGE} scripts/build-image.sh")
    for i in range(MAX_PODS):
        pod_address(NET, i)
    cleanup()
    workdir = tempfile.mkdtemp(prefix=f"{PREFIX}-")
    os.chmod(workdir, 0o755)
    started = time.monotonic()
    e = None
    try:
        e = Ensemble(*helm(), Path(workdir))
        yield e
    finally:
        if e is not None:
            for p in e.pods.values():
                log = sh(["podman", "logs", p.name], check=False)
                if log.returncode == 0:
                    out = ROOT / ".tmp" / f"{p.name}.log"
                    out.parent.mkdir(exist_ok=True)
                    out.write_text(log.stdout + log.stderr)
            e.api.close()
            e.cluster.close()
        cleanup()
        subprocess.run(["rm", "-rf", workdir], check=False)
        figure("suite_seconds_without_build", round(time.monotonic() - started, 1))


def probes_pass(pod):
    return pod.probe("startupProbe")[0] == 0 and pod.probe("readinessProbe")[0] == 0


def wait_ready(pods, timeout=QUORUM_TIMEOUT):
    wait_for("ready: " + ", ".join(p.plan.name for p in pods),
             lambda: all(probes_pass(p) for p in pods), timeout, interval=1)


def leaders(pods):
    return [p.plan.name for p in pods if server_mode(p.plan.address) == "leader"]


def conf_of(pod):
    """(version, {id: role}) of the configuration a member serves."""
    version, members, _ = load.conf_membership(four_letter(pod.plan.address, 2181, "conf", timeout=1.0))
    return version, members


def settled(ens, step, n, tag):
    """The first `n` pods once they are exactly the voters: the step's load
    is checked and the configuration's version recorded as a figure."""
    members = [ens.pods[i] for i in range(n)]
    wait_voters(members)
    figure(f"{tag}_configuration", step.finish(members))
    return members


def wait_voters(pods, timeout=QUORUM_TIMEOUT):
    """Waits until `pods` all serve one configuration whose voters are
    exactly their servers (ids ordinal+1); returns its version."""
    want = {p.plan.ordinal + 1: "participant" for p in pods}

    def done():
        if not all(server_mode(p.plan.address) in ("leader", "follower") for p in pods):
            return None
        confs = [conf_of(p) for p in pods]
        versions = {v for v, _ in confs}
        return versions.pop() if len(versions) == 1 and all(m == want for _, m in confs) else None

    return wait_for(f"{len(pods)} voters {sorted(want)} on every member", done, timeout)


class Load:
    """A continuous writer and the 100 ms leader poller (tests/lib/load.py)
    around one step; `finish` checks the data-safety conditions."""

    def __init__(self, ens, name):
        self.ens, self.name = ens, name
        # Every pod there is (a stopped one refuses at once): no podman call per poll.
        self.poller = load.LeaderPoller(
            lambda: {p.plan.name: (p.plan.address, 2181) for p in list(ens.pods.values())}
        ).start()
        self.writer = load.Writer(ens.endpoints(), root=f"/helm-{name}").start()
        wait_for("the first acknowledged write", lambda: self.writer.acked, 60)
        self.t0 = time.monotonic()

    def finish(self, members):
        t1 = time.monotonic()
        time.sleep(1.0)  # writes after the change count towards this step
        outage = self.writer.longest_outage(self.t0, time.monotonic())
        self.writer.stop()
        self.poller.stop()
        acked = self.writer.acked
        figure(f"{self.name}_seconds", round(t1 - self.t0, 1))
        figure(f"{self.name}_longest_write_outage_s", round(outage, 2))
        figure(f"{self.name}_writes_acknowledged", len(acked))
        figure(f"{self.name}_write_attempts_failed", self.writer.failures)
        figure(f"{self.name}_leader_samples", len(self.poller.samples))
        assert len(acked) > 50, (len(acked), self.writer.failures)
        assert not self.poller.split, (
            f"two leaders at once in {len(self.poller.split)} of {len(self.poller.samples)} samples; "
            f"first: {self.poller.split[0]}")
        for p in members:
            missing = load.missing_on(p.endpoint, self.writer.root, acked)
            assert missing == [], f"{p.plan.name} lacks {len(missing)} acknowledged writes, e.g. {missing[:5]}"
        assert len(leaders(members)) == 1, leaders(members)
        versions = {conf_of(p)[0] for p in members}
        assert len(versions) == 1, f"members report different configurations: {versions}"
        return versions.pop()


def run_helm_test(docs, ens, name):
    """Runs the chart's test Pod as `helm test` would; (exit code, output, seconds)."""
    test_pod = one(docs, "Pod")
    sts = servers(docs)
    env = {e["name"]: e["value"] for e in test_pod["spec"]["containers"][0]["env"]}
    client_host = env["CLIENT_SERVICE"].rsplit(":", 1)[0]
    hosts = ens.workdir / f"{name}.hosts"
    hosts.write_text(helm_test_hosts(sts["spec"]["replicas"], NET, sts["metadata"]["name"],
                                     ens.pods[0].plan.domain, client_host))
    argv = helm_test_argv(test_pod, name=f"{PREFIX}-{name}", hosts_path=hosts, uid=UID,
                          label=f"zkpod-e2e={PREFIX}", image=IMAGE)
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    secs = round(time.monotonic() - t0, 1)
    sh(["podman", "rm", "--force", "--time", "0", f"{PREFIX}-{name}"], check=False)
    (ROOT / ".tmp").mkdir(exist_ok=True)
    (ROOT / ".tmp" / f"{PREFIX}-{name}.log").write_text(r.stdout + r.stderr)
    return r.returncode, r.stdout + r.stderr, secs


def zxid(pod):
    return int(pod.status()["zxid"], 16)


def test_1_the_helm_render_forms_an_ensemble(ens):
    t0 = time.monotonic()
    threads, results = ens.start(range(ens.sts["spec"]["replicas"]), ens.sts)  # Parallel
    pods = list(ens.pods.values())
    wait_ready(pods)
    figure("s1_seconds_to_all_ready", round(time.monotonic() - t0, 1))
    for run in wait_hooks(threads, results):
        assert run.code == 0, f"{run.pod}: postStart (zkpod join) exited {run.code}:\n{run.output}"
    figure("s1_join_seconds", sorted(r.seconds for r in results))
    modes = sorted(p.mode() for p in pods)
    assert modes == ["follower", "follower", "leader"], modes
    # The initial members bootstrapped one configuration with all three as voters.
    version = wait_voters(pods)
    figure("s1_configuration", version)
    for p in pods:
        assert p.plan.name.startswith("zk-") and p.plan.domain.startswith("zk-hs.")
        assert p.myid_on_volume() == str(p.plan.ordinal + 1)
        pid = p.pid()
        status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status").read().splitlines())
        assert status["NSpid"].split()[-1] == "1" and "java" in open(f"/proc/{pid}/comm").read()
        # heapSize=auto with the dev values' 512Mi limit: one -Xmx of 256m.
        cmdline = open(f"/proc/{pid}/cmdline").read().split("\0")
        assert [a for a in cmdline if a.startswith("-Xmx")] == ["-Xmx256m"], cmdline
        # The superuser digest from the chart's Secret reached the JVM, not its command line.
        assert not any("superDigest" in a for a in cmdline), cmdline


def test_2_transaction_log_on_its_own_volume(ens):
    # persistence.dataLogDir.enabled: the log claim is mounted at --data_log_dir.
    pods = list(ens.pods.values())
    c = kazoo_client([p.endpoint for p in pods])
    try:
        c.create("/helm-datalog", b"x")
    finally:
        c.stop()
        c.close()
    for p in pods:
        logs = list((p.volume_path(claim="datalog") / "version-2").glob("log.*"))
        assert logs, f"{p.plan.name}: no transaction log on the datalog volume"
        data = p.volume_path(claim="data") / "data"
        assert (data / "myid").exists() and list((data / "version-2").glob("snapshot.*")), p.plan.name
        # On the data volume, data/log is only the mount point: no log there.
        assert not list(data.glob("log/version-2/log.*")), p.plan.name


def test_3_helm_test_pod_passes(ens):
    pods = list(ens.pods.values())
    leader = next(p for p in pods if p.mode() == "leader")
    before = zxid(leader)
    code, out, secs = run_helm_test(ens.docs, ens, "test-ok")
    figure("s3_helm_test_seconds", secs)
    assert code == 0, out
    for p in pods:
        assert f"--- zkpod status --host {p.plan.name}.{p.plan.domain}" in out, out
        assert f"read back through {p.plan.name}.{p.plan.domain}: written-by-zk-test-at-" in out, out
    assert "zkpod helm test: passed: 3 member(s) serving, 1 leader, a write read back through every member" in out
    # The round trip really went through the ensemble: a create and a delete.
    assert zxid(leader) - before >= 2, (before, zxid(leader))
    figure("s3_helm_test_output_tail", out.strip().splitlines()[-1])


def upgrade(ens, sets):
    """`helm upgrade` of the release: rendered with lookups against what the
    last install or upgrade applied, which it then applies in turn. The
    generated password must survive it."""
    text, docs = helm(sets, upgrade=True, api=ens.cluster)
    assert one(docs, "Secret")["data"] == ens.password, "the upgrade changed the generated password"
    ens.cluster.apply(docs, release=RELEASE, namespace=NAMESPACE)
    return text, docs


def test_4_helm_upgrade_scales_3_to_5_under_load(ens):
    # `helm upgrade --set replicaCount=5` of the release installed with 3: the
    # lookup finds --servers=3 and keeps it, so the StatefulSet differs in
    # spec.replicas alone, byte for byte, and no running pod restarts.
    text, docs = upgrade(ens, ["replicaCount=5"])
    assert without_replicas(statefulset_text(text)) == without_replicas(statefulset_text(ens.text))
    sts = servers(docs)
    assert sts["spec"]["replicas"] == 5
    step = Load(ens, "s4_scale_up_3_to_5")
    ens.api.replicas = 5  # what the API says once Helm has applied it
    ens.publish_dns(5)
    threads, results = ens.start([3, 4], sts)
    for run in wait_hooks(threads, results):
        assert run.code == 0, f"{run.pod}: postStart (zkpod join) exited {run.code}:\n{run.output}"
        assert "is a voter" in run.output, run.output
    figure("s4_join_seconds", sorted(r.seconds for r in results))
    members = settled(ens, step, 5, "s4")
    modes = sorted(p.mode() for p in members)
    assert modes == ["follower"] * 4 + ["leader"], modes
    # The three installed pods never restarted: the same containers serve.
    for p in members[:3]:
        assert sh(["podman", "inspect", "--format", "{{.RestartCount}}", p.name]).stdout.strip() == "0"
    ens.sts, ens.docs, ens.text = sts, docs, text


def test_5_helm_test_passes_with_five_members(ens):
    code, out, secs = run_helm_test(ens.docs, ens, "test-five")
    assert code == 0, out
    assert "zkpod helm test: passed: 5 member(s) serving, 1 leader, a write read back through every member" in out
    figure("s5_helm_test_seconds", secs)


def test_6_an_upgrade_rendered_without_a_cluster_rolls_every_pod_and_keeps_the_membership(ens):
    # The trade-off the README documents: rendered without a cluster (helm
    # template, GitOps) and without initialServers, --servers follows
    # replicaCount. That is a template change, so every pod restarts, highest
    # ordinal first; each restart's preStop (zkpod leave) must see a restart,
    # not a scale-down, and the committed configuration must stay exactly as
    # it was: --servers is not read once one exists.
    text, docs = helm(["replicaCount=5"], upgrade=True)
    # Applied but for its Secret: without a cluster each render makes a new
    # password, which is why the chart's README has GitOps set
    # auth.existingSecret; the pods keep the one they were given.
    ens.cluster.apply([d for d in docs if d["kind"] != "Secret"], release=RELEASE, namespace=NAMESPACE)
    changed = [line for line in difflib.unified_diff(statefulset_text(ens.text).splitlines(),
                                                     statefulset_text(text).splitlines(), n=0, lineterm="")
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-            - --servers=3", "+            - --servers=5"], changed
    sts = servers(docs)
    before = conf_of(ens.pods[0])[0]
    step = Load(ens, "s6_rolling_restart_servers_3_to_5")
    for i in reversed(range(5)):
        leave = ens.terminate(i)
        assert leave.code == 0, leave.output
        assert "(a restart, not a scale-down)" in leave.output, leave.output
        threads, results = ens.start([i], sts)
        wait_ready([ens.pods[i]])
        (join,) = wait_hooks(threads, results)
        assert join.code == 0, join.output
        time.sleep(1)
    members = [ens.pods[i] for i in range(5)]
    wait_ready(members)
    after = step.finish(members)
    assert after == before, f"the configuration changed from {before} to {after} in a restart"
    assert wait_voters(members) == before
    for p in members:
        assert "--servers=5" in sh(["podman", "inspect", "--format", "{{json .Args}}", p.name]).stdout
    ens.sts, ens.docs, ens.text = sts, docs, text


def test_7_helm_upgrade_scales_5_to_3_under_load(ens):
    # `helm upgrade --set replicaCount=3`: the installed --servers is now 5
    # (test 6), kept; the controller terminates zk-4 and zk-3 together, and
    # each one's preStop (zkpod leave) removes its server before SIGTERM.
    text, docs = upgrade(ens, ["replicaCount=3"])
    assert "- --servers=5\n" in statefulset_text(text)
    assert without_replicas(statefulset_text(text)) == without_replicas(statefulset_text(ens.text))
    step = Load(ens, "s7_scale_down_5_to_3")
    ens.api.replicas = 3
    runs = []
    threads = [threading.Thread(target=lambda i=i: runs.append(ens.terminate(i)), daemon=True) for i in (4, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=ens.pods[4].plan.grace + 60)
    assert len(runs) == 2, "a termination did not finish"
    for run in runs:
        assert run.code == 0, run.output
        assert "left the ensemble" in run.output, run.output
    figure("s7_leave_seconds", sorted(r.seconds for r in runs))
    settled(ens, step, 3, "s7")
    ens.sts, ens.docs, ens.text = servers(docs), docs, text


def test_8_helm_test_fails_when_a_member_is_down(ens):
    # A follower, so the other two keep serving without an election; the
    # test pod must then fail on the stopped member alone.
    pods = [ens.pods[i] for i in range(3)]
    down = next(p for p in reversed(pods) if p.mode() == "follower")
    down.stop()
    wait_ready([p for p in pods if p is not down])
    code, out, _ = run_helm_test(ens.docs, ens, "test-down")
    assert code == 1, out
    target = f"{down.plan.name}.{down.plan.domain}:2181"
    assert f"zkpod: {target} refused the connection" in out, out
    assert f"zkpod helm test: FAILED: {target} did not answer (the line above says why)" in out, out
    assert "read back through" not in out
    figure("s8_helm_test_failure_line", out.strip().splitlines()[-1])
