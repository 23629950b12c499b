"""The Helm render run as pods (issue 12), until the real-cluster suite
exists: `helm template` with the dev values and a separate transaction-log
claim, its StatefulSet run by the container suite's harness (podman, one
loopback address per pod), and the chart's own `helm test` pod run next to
it. Tests run in file order and share the pods.

Environment: E2E_NET (loopback prefix, default 127.0.0.5 -> .50-.52),
ZKPOD_IMAGE (default localhost/zkpod:dev), E2E_UID (default 1000770000).
"""

import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from kazoo.exceptions import KazooException

from tests.containers.podman_pod import Pod, sh, wait_for
from tests.containers.podspec import PodPlan, pod_address
from tests.helm.helm_pods import figure, helm_test_argv, helm_test_hosts
from tests.helm.helmlib import CHART, ROOT, one, render, servers
from tests.lib import needs
from tests.lib.clients import kazoo_client
from tests.lib.fourlw import server_mode

NET = os.environ.get("E2E_NET", "127.0.0.5")
PREFIX = "zkpod-helm-" + NET.replace(".", "-")
IMAGE = os.environ.get("ZKPOD_IMAGE", "localhost/zkpod:dev")
UID = int(os.environ.get("E2E_UID", "1000770000"))
NAMESPACE = "default"
RELEASE = "zookeeper"
VALUES = [CHART / "values-dev.yaml"]
SETS = ["persistence.dataLogDir.enabled=true"]
QUORUM_TIMEOUT = 120


def cleanup():
    label = f"label=zkpod-e2e={PREFIX}"
    ids = sh(["podman", "ps", "-a", "-q", "--filter", label], check=False).stdout.split()
    if ids:
        sh(["podman", "rm", "--force", "--time", "0", *ids], check=False, timeout=120)
    vols = sh(["podman", "volume", "ls", "-q", "--filter", label], check=False).stdout.split()
    if vols:
        sh(["podman", "volume", "rm", "--force", *vols], check=False, timeout=120)


@pytest.fixture(scope="module")
def docs():
    return render(VALUES, SETS, release=RELEASE, namespace=NAMESPACE)


@pytest.fixture(scope="module")
def hosts_dir():
    d = tempfile.mkdtemp(prefix=f"{PREFIX}-hosts-")
    yield Path(d)
    subprocess.run(["rm", "-rf", d], check=False)


def plans_for(sts):
    return [PodPlan(sts, i, net=NET, prefix=PREFIX, namespace=NAMESPACE, uid=UID, image=IMAGE)
            for i in range(sts["spec"]["replicas"])]


@pytest.fixture(scope="module")
def pods(docs, hosts_dir):
    reason = needs.tools({"podman": "scripts/setup-podman.sh installs it"}) or needs.root(
        "rootful podman: host-network pods on loopback, volumes read from the host, uid 1000770000",
        "sudo scripts/test-helm.sh")
    if reason:
        pytest.skip(reason)
    if sh(["podman", "image", "exists", IMAGE], check=False).returncode != 0:
        pytest.fail(f"image {IMAGE} not found: the suite runs the built image; fix: ZKPOD_IMAGE={IMAGE} scripts/build-image.sh")
    sts = servers(docs)
    for i in range(sts["spec"]["replicas"]):
        pod_address(NET, i)
    cleanup()
    started = time.monotonic()
    try:
        ps = [Pod(p, hosts_dir) for p in plans_for(sts)]
        for p in ps:
            p.create_volumes()
        yield ps
    finally:
        for p in ps:
            log = sh(["podman", "logs", p.name], check=False)
            if log.returncode == 0:
                out = ROOT / ".tmp" / f"{p.name}.log"
                out.parent.mkdir(exist_ok=True)
                out.write_text(log.stdout + log.stderr)
        cleanup()
        figure("suite_seconds_without_build", round(time.monotonic() - started, 1))


def probes_pass(pod):
    return pod.probe("startupProbe")[0] == 0 and pod.probe("readinessProbe")[0] == 0


def wait_ready(pods, timeout=QUORUM_TIMEOUT):
    wait_for("ready: " + ", ".join(p.plan.name for p in pods),
             lambda: all(probes_pass(p) for p in pods), timeout, interval=1)


def leaders(pods):
    return [p.plan.name for p in pods if server_mode(p.plan.address) == "leader"]


def run_helm_test(docs, pods, hosts_dir, name):
    """Runs the chart's test Pod as `helm test` would; (exit code, output, seconds)."""
    test_pod = one(docs, "Pod")
    sts = servers(docs)
    env = {e["name"]: e["value"] for e in test_pod["spec"]["containers"][0]["env"]}
    client_host = env["CLIENT_SERVICE"].rsplit(":", 1)[0]
    hosts = hosts_dir / f"{name}.hosts"
    hosts.write_text(helm_test_hosts(sts["spec"]["replicas"], NET, sts["metadata"]["name"],
                                     pods[0].plan.domain, client_host))
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


def test_1_the_helm_render_forms_an_ensemble(pods):
    t0 = time.monotonic()
    for p in pods:  # podManagementPolicy: Parallel
        p.run()
    wait_ready(pods)
    figure("s1_seconds_to_all_ready", round(time.monotonic() - t0, 1))
    modes = sorted(p.mode() for p in pods)
    assert modes == ["follower", "follower", "leader"], modes
    for p in pods:
        assert p.plan.name.startswith("zookeeper-") and p.plan.domain.startswith("zookeeper-hs.")
        assert p.myid_on_volume() == str(p.plan.ordinal + 1)
        pid = p.pid()
        status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status").read().splitlines())
        assert status["NSpid"].split()[-1] == "1" and "java" in open(f"/proc/{pid}/comm").read()
        # heapSize=auto with the dev values' 512Mi limit: one -Xmx of 256m.
        xmx = [a for a in open(f"/proc/{pid}/cmdline").read().split("\0") if a.startswith("-Xmx")]
        assert xmx == ["-Xmx256m"], xmx


def test_2_transaction_log_on_its_own_volume(pods):
    # persistence.dataLogDir.enabled: the log claim is mounted at --data_log_dir.
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


def test_3_helm_test_pod_passes(docs, pods, hosts_dir):
    leader = next(p for p in pods if p.mode() == "leader")
    before = zxid(leader)
    code, out, secs = run_helm_test(docs, pods, hosts_dir, "test-ok")
    figure("s3_helm_test_seconds", secs)
    assert code == 0, out
    for p in pods:
        assert f"--- zkpod status --host {p.plan.name}.{p.plan.domain}" in out, out
        assert f"read back through {p.plan.name}.{p.plan.domain}: written-by-zookeeper-test-at-" in out, out
    assert "zkpod helm test: passed: 3 member(s) serving, 1 leader, a write read back through every member" in out
    # The round trip really went through the ensemble: a create and a delete.
    assert zxid(leader) - before >= 2, (before, zxid(leader))
    figure("s3_helm_test_output_tail", out.strip().splitlines()[-1])


def test_4_rolling_upgrade_keeps_every_acknowledged_write_and_one_leader(docs, pods, hosts_dir):
    # What `helm upgrade --set logLevel=WARN` does to the StatefulSet: a new
    # pod template, rolled out highest ordinal first, each pod Ready before
    # the next; meanwhile a client writes without pause.
    new_sts = servers(render(VALUES, SETS + ["logLevel=WARN"], release=RELEASE, namespace=NAMESPACE))
    assert "--log_level=WARN" in new_sts["spec"]["template"]["spec"]["containers"][0]["args"]
    acked, failed = {}, [0]
    max_leaders, samples = [0], [0]
    stop = threading.Event()

    def writer():
        c = kazoo_client([p.endpoint for p in pods], start_timeout=30)
        i = 0
        try:
            while not stop.is_set():
                path, value = f"/rolling/w{i:05d}", f"v{i}"
                i += 1
                try:
                    c.create(path, value.encode(), makepath=True)
                    acked[path] = value
                except KazooException:
                    failed[0] += 1  # not acknowledged: may or may not exist
                    time.sleep(0.2)
        finally:
            c.stop()
            c.close()

    def watcher():
        while not stop.is_set():
            max_leaders[0] = max(max_leaders[0], len(leaders(pods)))
            samples[0] += 1
            time.sleep(0.2)

    threads = [threading.Thread(target=writer, daemon=True), threading.Thread(target=watcher, daemon=True)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    time.sleep(2)
    for new in reversed(plans_for(new_sts)):
        p = next(q for q in pods if q.plan.ordinal == new.ordinal)
        p.stop()
        p.remove()
        p.plan = new
        p.run()
        wait_ready([p])
        time.sleep(1)
    wait_ready(pods)
    time.sleep(2)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    figure("s4_rolling_upgrade_seconds", round(time.monotonic() - t0, 1))
    figure("s4_writes_acknowledged", len(acked))
    figure("s4_writes_not_acknowledged", failed[0])
    figure("s4_leader_samples", samples[0])
    figure("s4_max_simultaneous_leaders", max_leaders[0])
    assert len(acked) > 50, (len(acked), failed[0])
    assert max_leaders[0] == 1, f"{max_leaders[0]} leaders at once"
    for p in pods:
        assert "--log_level=WARN" in sh(["podman", "inspect", "--format", "{{json .Args}}", p.name]).stdout
        c = kazoo_client([p.endpoint])
        try:
            c.sync("/")
            missing = [path for path, value in acked.items()
                       if not c.exists(path) or c.get(path)[0].decode() != value]
        finally:
            c.stop()
            c.close()
        assert missing == [], f"{p.plan.name} lost {len(missing)} acknowledged writes, e.g. {missing[:5]}"


def test_5_helm_test_fails_when_a_member_is_down(docs, pods, hosts_dir):
    # A follower, so the other two keep serving without an election; the
    # test pod must then fail on the stopped member alone.
    down = next(p for p in reversed(pods) if p.mode() == "follower")
    down.stop()
    wait_ready([p for p in pods if p is not down])
    code, out, _ = run_helm_test(docs, pods, hosts_dir, "test-down")
    assert code == 1, out
    target = f"{down.plan.name}.{down.plan.domain}:2181"
    assert f"zkpod: {target} refused the connection" in out, out
    assert f"zkpod helm test: FAILED: {target} did not answer (the line above says why)" in out, out
    assert "read back through" not in out
    figure("s5_helm_test_failure_line", out.strip().splitlines()[-1])


