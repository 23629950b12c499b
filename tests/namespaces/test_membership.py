"""Issue 9: membership changes of a real ZooKeeper ensemble (Debian's 3.8.0)
through `zkpod start`, `zkpod join` (postStart) and `zkpod leave` (preStop),
driven the way the StatefulSet controller and the kubelet drive them
(tests/lib/statefulset.py), while a client writes continuously.

Every test checks, at the end, that no moment had two leaders that could
commit, that every acknowledged write is readable through every member, and
that every member reports the same configuration; it prints the longest
write outage of each step and how long each step took.

Needs root (namespaces, bind mounts), Debian's zookeeper package and kazoo.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from tests.lib import harness as h
from tests.lib import load
from tests.lib.fourlw import four_letter, parse_srvr_mode
from tests.lib.statefulset import StatefulSet
from tests.lib.wait import wait_until

PASSWORD = "zkpod-membership-test-password"


def conf_of(pod: h.Pod) -> tuple[str | None, dict[int, str]]:
    try:
        version, members, _ = load.conf_membership(four_letter(pod.ip, 2181, "conf", timeout=1.0))
    except OSError:
        return None, {}
    return version, members


def serving(pod: h.Pod) -> bool:
    try:
        return parse_srvr_mode(four_letter(pod.ip, 2181, "srvr", timeout=1.0)) in h.SERVING_MODES
    except OSError:
        return False


def wait_members(sts: StatefulSet, n: int, timeout: float = 120.0) -> str:
    """Waits until pods zk-0..n-1 all serve and all report one configuration
    whose voters are exactly servers 1..n; returns its version."""
    want = {i + 1: "participant" for i in range(n)}

    def done():
        pods = [sts.pod(i) for i in range(n)]
        if not all(p.running() and serving(p) for p in pods):
            return None
        confs = [conf_of(p) for p in pods]
        versions = {v for v, _ in confs}
        if len(versions) == 1 and all(m == want for _, m in confs):
            return versions.pop()
        return None

    return wait_until(f"{n} voters (servers 1..{n}) on every member", done, timeout, interval=0.5, on_fail=sts.logs)


@pytest.fixture
def sts(lab):
    """A StatefulSet in the lab's dir, with a superuser password Secret."""
    made = []

    def make(initial: int, replicas: int, **kw) -> StatefulSet:
        base = lab.base / f"sts{len(made)}"
        base.mkdir()
        os.chmod(base, 0o755)
        pw = base / "password"
        pw.write_text(PASSWORD + "\n")
        os.chmod(pw, 0o644)
        s = StatefulSet(base, lab.zkpod, initial=initial, replicas=replicas, password_file=pw, **kw)
        made.append(s)
        lab.things.append(s)
        return s

    yield make


def three_under_load(sts) -> tuple[StatefulSet, "Run"]:
    """The usual start of a test: a first install of three servers, serving,
    with the writer and the poller running."""
    s = sts(initial=3, replicas=3)
    for i in range(3):
        s.start_pod(i)
    wait_members(s, 3)
    return s, Run(s)


class Run:
    """The writer, the poller, and the figures of one test."""

    def __init__(self, sts: StatefulSet):
        self.sts = sts
        self.poller = load.LeaderPoller(
            lambda: {p.name: (p.ip, 2181) for i, p in sts.pods.items() if p.running()}
        ).start()
        self.writer = load.Writer(sts.connect_string()).start()
        wait_until("the first acknowledged write", lambda: self.writer.acked, 60, on_fail=sts.logs)
        self.steps: list[str] = []
        self.t = time.monotonic()

    def step(self, name: str, action, check) -> None:
        t0 = time.monotonic()
        action()
        result = check()
        t1 = time.monotonic()
        time.sleep(1.0)  # writes after the change count towards this step
        outage = self.writer.longest_outage(t0, time.monotonic())
        line = f"membership {name}: {t1 - t0:.1f} s, longest write outage {outage:.2f} s ({result})"
        self.steps.append(line)
        h.FIGURES.append(line)

    def finish(self, members: list[h.Pod]) -> None:
        self.writer.stop()
        self.poller.stop()
        acked = self.writer.acked
        assert acked, "no write was acknowledged"
        assert not self.poller.split, (
            f"two leaders at once in {len(self.poller.split)} of {len(self.poller.samples)} samples; "
            f"first: {self.poller.split[0]}"
        )
        for p in members:
            missing = load.missing_on(p.connect, self.writer.root, acked)
            assert not missing, f"{p.name} lacks {len(missing)} acknowledged writes, e.g. {missing[:3]}"
        versions = {conf_of(p)[0] for p in members}
        assert len(versions) == 1, f"members report different configurations: {versions}"
        # The probes find each server although ZooKeeper dropped clientPort
        # from zoo.cfg once the committed line named the client endpoint.
        for p in members:
            cp = subprocess.run(
                [str(self.sts.zkpod), "probe", "ready", "--conf_dir", str(p.conf_dir)],
                capture_output=True,
                text=True,
                timeout=10,
            )
            assert cp.returncode == 0, f"{p.name}: probe ready: {cp.stderr}"
        h.FIGURES.append(
            f"membership: {len(acked)} acknowledged writes ({self.writer.failures} failed attempts), "
            f"{len(self.poller.samples)} leader samples, never two leaders; all on every member"
        )


def test_kubectl_scale_1_3_5_3_1_3_under_load(sts):
    s = sts(initial=1, replicas=1)
    s.start_pod(0)
    wait_members(s, 1)
    run = Run(s)
    for n in (3, 5, 3, 1, 3):
        run.step(f"scale to {n}", lambda n=n: s.scale(n), lambda n=n: wait_members(s, n))
    # Scaling down stopped the removed pods; the running ones are 0..2.
    assert s.running() == [0, 1, 2], s.running()
    run.finish([s.pod(i) for i in range(3)])
    # The removed pods' old volumes came back at the last scale to 3: their
    # data was set aside (never deleted) before they joined again.
    for i in (1, 2):
        aside = s.pod(i).data_dir / "zkpod-set-aside"
        assert aside.is_dir() and any(aside.iterdir()), f"zk-{i}: nothing set aside"
        assert "set aside" in s.pod(i).output()
    assert s.restarts == 0, "\n".join(f"{r.pod} {r.hook} {r.code}: {r.output}" for r in s.hook_runs if r.code)


def test_kill_9_of_the_leader_in_the_middle_of_a_scale(sts):
    s, run = three_under_load(sts)

    def scale_and_kill():
        s.scale(5)
        # As soon as the first joiner is a voter, kill the leader.
        wait_until("a 4th voter", lambda: len(conf_of(s.pod(0))[1]) >= 4 and "participant" in conf_of(s.pod(0))[1].values(), 120, on_fail=s.logs)
        leader = next(i for i in s.running() if parse_srvr_mode(four_letter(s.pod(i).ip, 2181, "srvr")) == "leader")
        s.kill9(leader)
        return leader

    run.step("scale 3 to 5 with kill -9 of the leader", scale_and_kill, lambda: wait_members(s, 5, timeout=180))
    run.finish([s.pod(i) for i in range(5)])


def test_scale_down_then_up_keeps_old_volumes_aside(sts):
    s, run = three_under_load(sts)
    run.step("scale to 5", lambda: s.scale(5), lambda: wait_members(s, 5))
    run.step("scale to 3", lambda: s.scale(3), lambda: wait_members(s, 3))
    old = {i: sorted(p.name for p in (s.pod(i).data_dir / "version-2").iterdir()) for i in (3, 4)}
    run.step("scale to 5 on the old volumes", lambda: s.scale(5), lambda: wait_members(s, 5))
    for i in (3, 4):
        asides = list((s.pod(i).data_dir / "zkpod-set-aside").iterdir())
        assert len(asides) == 1, asides
        kept = sorted(p.name for p in (asides[0] / "version-2").iterdir())
        assert kept == old[i], f"zk-{i}: set-aside {kept} != before {old[i]}"
    run.finish([s.pod(i) for i in range(5)])


def test_rolling_restart_of_every_pod_at_5_members(sts):
    s, run = three_under_load(sts)
    run.step("scale to 5", lambda: s.scale(5), lambda: wait_members(s, 5))
    version = conf_of(s.pod(0))[0]

    def rolling():
        for i in reversed(range(5)):  # the controller updates the highest ordinal first
            s.restart(i)
            wait_until(f"zk-{i} serving again", lambda i=i: serving(s.pod(i)), 120, on_fail=s.logs)
            s.wait_hooks()

    run.step("rolling restart of 5", rolling, lambda: wait_members(s, 5))
    assert conf_of(s.pod(0))[0] == version, "a restart changed the membership"
    run.finish([s.pod(i) for i in range(5)])


def test_the_why_scenario_servers_changed_with_replicas_rolling(sts):
    """Issue 9's 'Why': 3 servers with --servers=3; then replicas and
    --servers go to 5 together (Parallel): zk-3 and zk-4 start with
    --servers=5 while the rolling update restarts zk-2 first with
    --servers=5. With a static list this gave two leaders; now the new pods
    join and the restarted one keeps the committed membership."""
    s, run = three_under_load(sts)

    def new_template():
        s.initial = 5
        for p in s.pods.values():
            p.servers = 5
        s.replicas = 5
        s.api.replicas = 5
        s.start_pod(3)
        s.start_pod(4)
        s.restart(2)

    run.step("replicas and --servers to 5, zk-2 rolled first", new_template, lambda: wait_members(s, 5, timeout=180))
    run.finish([s.pod(i) for i in range(5)])


def test_a_rolling_update_from_a_static_ensemble_to_dynamic_membership(sts):
    """Upgrading a running ensemble of the previous zkpod (a static server
    list, reconfigEnabled off) with a rolling update: each restarted pod
    adopts the ensemble's configuration, and its postStart hook must not fail
    while the leader is still a static one (the kubelet would kill the
    container and stall the rollout)."""
    s = sts(initial=3, replicas=3, extra_args=["--membership=static"])
    for i in range(3):
        s.start_pod(i)
    wait_until("a static quorum", lambda: all(serving(s.pod(i)) for i in range(3)), 120, on_fail=s.logs)
    run = Run(s)

    def roll():
        for i in reversed(range(3)):
            s.pod(i).extra_args = [a for a in s.pod(i).extra_args if a != "--membership=static"]
            s.restart(i)
            wait_until(f"zk-{i} serving again", lambda i=i: serving(s.pod(i)), 120, on_fail=s.logs)
            s.wait_hooks()

    run.step("rolling update from static to dynamic", roll, lambda: wait_members(s, 3, timeout=120))
    failed = [r for r in s.hook_runs if r.code != 0]
    assert not failed and s.restarts == 0, "\n".join(f"{r.pod} {r.hook} {r.code}: {r.output}" for r in failed)
    for i in range(3):
        assert (s.pod(i).conf_dir / "zoo.cfg").is_symlink(), f"zk-{i} still runs a static zoo.cfg"
    run.finish([s.pod(i) for i in range(3)])
