"""The shipped image run as the three pods of the rendered StatefulSet, in
real containers (podman), through scenarios 1-7 of issue 4. The tests run in
file order and share three pods; each first brings the ensemble to the state
it needs, so one failure does not cascade into the rest.

Needs root, podman, the built image, kubectl, zkCli.sh and kazoo (see
tests/containers/__init__.py).
"""

import time

import pytest
from kazoo.exceptions import NoNodeError
from kazoo.handlers.threading import KazooTimeoutError

from tests.containers.podman_pod import wait_for
from tests.containers.podspec import memory_to_podman
from tests.containers.settings import UID, figure
from tests.lib import messages
from tests.lib.clients import kazoo_read, kazoo_session, zkcli
from tests.lib.digest import changes, tree_digest
from tests.lib.procs import proc_status

QUORUM_TIMEOUT = 120  # generous: two cores shared with other test suites
ACKED = {}  # path -> value of every write a server acknowledged


def java_size(text):
    """A JVM size such as 256m, 1g or 262144k, in bytes."""
    scale = {"k": 2**10, "m": 2**20, "g": 2**30}.get(text[-1].lower(), 1)
    return int(text[:-1] if scale != 1 else text) * scale


def probes_pass(pod):
    """The kubelet's view: the startup probe has passed, and readiness passes."""
    return pod.probe("startupProbe")[0] == 0 and pod.probe("readinessProbe")[0] == 0


def wait_ready(pods, timeout=QUORUM_TIMEOUT):
    t0 = time.monotonic()
    wait_for("all pods ready: " + ", ".join(p.plan.name for p in pods),
             lambda: all(probes_pass(p) for p in pods), timeout, interval=1)
    return time.monotonic() - t0


def ensure_up(pods):
    """Every pod running and ready (creating or restarting containers as needed)."""
    for p in pods:
        state = p.state()
        if state == "absent":
            p.run()
        elif state != "running":
            p.start()
    wait_ready(pods)


def modes(pods):
    return {p.plan.name: p.mode() for p in pods}


def leader_of(pods):
    def one_leader():
        m = modes(pods)
        return m if sorted(m.values()) == ["follower", "follower", "leader"] else None

    m = wait_for("exactly one leader", one_leader, 30)
    return next(p for p in pods if m[p.plan.name] == "leader")


def assert_not_ready_without_quorum(pod):
    """The readiness probe fails (exit 1) and says why: no quorum."""
    code, err = pod.probe("readinessProbe")
    assert code == 1, f"{pod.plan.name} readiness: exit {code}: {err}"
    messages.assert_says(err, messages.not_serving_without_quorum(pod.endpoint), pod.plan.name)


def read_back(pod, expected):
    """Reads every expected znode through `pod` alone, after a sync."""
    got = {path: data.decode() for path, data in kazoo_read([pod.endpoint], expected).items()}
    assert got == expected, f"{pod.plan.name} lost or changed data"


def write(endpoints, items):
    with kazoo_session(endpoints) as c:
        for path, value in items.items():
            c.create(path, value.encode(), makepath=True)
            ACKED[path] = value


def test_1_ensemble_forms_and_probes_pass(pods):
    t0 = time.monotonic()
    for p in pods:  # podManagementPolicy: Parallel
        p.run()
    wait_ready(pods)
    figure("s1_seconds_to_all_ready", round(time.monotonic() - t0, 1))
    slowest = 0.0
    for p in pods:
        # As the kubelet runs them: podman exec, within the manifest's timeoutSeconds.
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            code, err, secs, limit = p.timed_probe(kind)
            assert code == 0, f"{p.plan.name} {kind}: exit {code}: {err}"
            assert secs < limit, f"{p.plan.name} {kind} took {secs:.2f} s, timeoutSeconds is {limit}"
            slowest = max(slowest, secs)
        # The id comes from the hostname's ordinal; the JVM is PID 1 and runs
        # as the arbitrary uid with gid 0.
        assert p.myid_on_volume() == str(p.plan.ordinal + 1)
        # The domain came from the kubelet-style hosts file, not the env fallback.
        assert f"domain {p.plan.domain} (from /etc/hosts)" in p.logs()
        pid = p.pid()
        status = proc_status(pid)
        assert status["NSpid"].split()[-1] == "1", status["NSpid"]
        assert "java" in open(f"/proc/{pid}/comm").read()
        assert status["Uid"].split() == [str(UID)] * 4
        assert status["Gid"].split()[0] == "0"
        # --heap=auto: exactly one -Xmx, half of the manifest's memory limit.
        cmdline = open(f"/proc/{pid}/cmdline").read().split("\0")
        xmx = [a for a in cmdline if a.startswith("-Xmx")]
        assert len(xmx) == 1, cmdline
        limit = int(memory_to_podman(p.plan.container["resources"]["limits"]["memory"]))
        assert java_size(xmx[0][4:]) == limit // 2, (xmx, limit)
    figure("s1_slowest_exec_probe_seconds", round(slowest, 2))
    leader_of(pods)


def test_1b_zookeepers_prometheus_endpoint_in_every_pod(pods, sts):
    """The manifests' --metrics-port: ZooKeeper's own endpoint on each pod,
    where the annotations say, parsed by the prometheus_client parser."""
    from prometheus_client.parser import text_string_to_metric_families

    ensure_up(pods)
    ann = sts["spec"]["template"]["metadata"]["annotations"]
    assert ann["prometheus.io/scrape"] == "true", ann
    port, path = int(ann["prometheus.io/port"]), ann["prometheus.io/path"]
    for p in pods:
        url = f"http://{p.plan.address}:{port}{path}"
        body = wait_for(f"{url} to answer", lambda: _get(url), 60, interval=1)
        families = {f.name: f for f in text_string_to_metric_families(body)}
        assert families["quorum_size"].samples[0].value == 3, sorted(families)[:20]
        assert families["znode_count"].samples[0].value >= 4
        figure(f"s1b_{p.plan.name}_metric_families", len(families))


def _get(url):
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.read().decode()
    except OSError:
        return None


def test_2_write_through_zk0_read_through_zk2(pods):
    ensure_up(pods)
    code, out = zkcli(pods[0].endpoint, "create", "/e2e", "written-through-zk-0")
    assert code == 0 and "Created /e2e" in out, out
    ACKED["/e2e"] = "written-through-zk-0"
    read_back(pods[2], {"/e2e": "written-through-zk-0"})


def test_3_kill_9_the_leader(pods):
    ensure_up(pods)
    victim = leader_of(pods)
    survivors = [p for p in pods if p is not victim]
    t0 = time.monotonic()
    exe = victim.kill_pid1()
    assert exe == "java", f"PID 1 of {victim.plan.name} is {exe}, not the JVM"
    assert victim.wait_exit(30) == 137
    wait_for("a new leader among " + ", ".join(p.plan.name for p in survivors),
             lambda: sorted(modes(survivors).values()) == ["follower", "leader"], QUORUM_TIMEOUT)
    figure("s3_seconds_to_new_leader_after_kill", round(time.monotonic() - t0, 1))
    write([p.endpoint for p in survivors], {f"/s3/w{i}": f"acked-{i}" for i in range(25)})
    # The kubelet restarts the container of the same pod.
    t1 = time.monotonic()
    victim.start()
    wait_ready([victim])
    figure("s3_seconds_restarted_pod_ready", round(time.monotonic() - t1, 1))
    assert victim.mode() in ("follower", "leader")
    read_back(victim, dict(ACKED))


def test_4_two_pods_down_refuse_writes_then_recover(pods):
    ensure_up(pods)
    alone, down = pods[0], pods[1:]
    for p in down:
        p.stop()
    wait_for(f"{alone.plan.name} to stop serving", lambda: alone.probe("readinessProbe")[0] == 1, 60)
    code, err = alone.probe("livenessProbe")
    assert code == 0, f"live probe failed on a running server without quorum: {err}"
    assert_not_ready_without_quorum(alone)
    # A server without quorum closes every new connection, so the client
    # never gets a session to write through: kazoo's start() times out.
    with pytest.raises(KazooTimeoutError, match="Connection time-out") as refused:
        write([alone.endpoint], {"/s4/refused": "must-not-exist"})
    figure("s4_write_without_quorum", f"{type(refused.value).__name__}: {refused.value}")
    ACKED.pop("/s4/refused", None)
    t0 = time.monotonic()
    for p in down:
        p.start()
    wait_ready(pods)
    figure("s4_seconds_to_recover", round(time.monotonic() - t0, 1))
    for p in pods:
        read_back(p, dict(ACKED))
    with kazoo_session([pods[1].endpoint]) as c:
        c.sync("/")
        with pytest.raises(NoNodeError):
            c.get("/s4/refused")
    write([alone.endpoint], {"/s4/after": "recovered"})


def test_5_recreate_all_containers_on_the_same_volumes(pods):
    ensure_up(pods)
    for p in pods:
        p.stop()
        p.remove()
    t0 = time.monotonic()
    for p in pods:
        p.run()
    wait_ready(pods)
    figure("s5_seconds_recreated_to_ready", round(time.monotonic() - t0, 1))
    for p in pods:
        assert p.myid_on_volume() == str(p.plan.ordinal + 1)
        read_back(p, dict(ACKED))


def test_6_stale_volumes_with_foreign_myids_are_refused_untouched(pods):
    ensure_up(pods)
    for p in pods:
        p.stop()
        p.remove()
    zk0, zk1, zk2 = pods
    before = {p.plan.name: tree_digest(p.volume_path()) for p in (zk0, zk1)}
    # A reinstall whose claims got bound the wrong way round (seed 000).
    zk0.run(volumes=zk1.plan.volumes)
    zk1.run(volumes=zk0.plan.volumes)
    zk2.run()
    for p, theirs in ((zk0, 2), (zk1, 1)):
        code = p.wait_exit(60)
        assert code == 5, f"{p.plan.name} exited {code}:\n{p.logs()[-3000:]}"
        # The kubelet restarts it (CrashLoopBackOff): it refuses again.
        p.start()
        assert p.wait_exit(60) == 5
        lines = [line for line in p.logs().splitlines() if line.startswith("zkpod:") and "accept-new-id" in line]
        assert lines, p.logs()[-3000:]
        line = lines[-1]
        mine = p.plan.ordinal + 1
        messages.assert_says(line, messages.stale_myid("/var/lib/zookeeper/data/myid", theirs, mine, p.plan.name),
                             p.plan.name)
        figure(f"s6_{p.plan.name}_message", line)
    after = {p.plan.name: tree_digest(p.volume_path()) for p in (zk0, zk1)}
    changed = {n: changes(before[n], after[n]) for n in before if after[n] != before[n]}
    assert not changed, f"a refused pod modified a volume: {changed}"
    # The pod that got its own volume runs but cannot be ready alone.
    wait_for(f"{zk2.plan.name} to pass its liveness probe", lambda: zk2.probe("livenessProbe")[0] == 0, 60)
    assert_not_ready_without_quorum(zk2)
    # Binding the claims correctly brings everything back.
    for p in (zk0, zk1):
        p.remove()
        p.run()
    wait_ready(pods)
    for p in pods:
        read_back(p, dict(ACKED))


def test_7_sigterm_stops_the_jvm_within_the_grace_period(pods):
    ensure_up(pods)
    for p in pods:
        seconds, code = p.stop()
        figure(f"s7_{p.plan.name}_stop_seconds", round(seconds, 2))
        figure(f"s7_{p.plan.name}_exit_code", code)
        # 143 = the JVM ended on SIGTERM; 137 would be the SIGKILL after the grace.
        assert code == 143, f"{p.plan.name} exited {code}"
        assert seconds < p.plan.grace / 3, f"{p.plan.name} took {seconds:.1f}s of a {p.plan.grace}s grace period"
