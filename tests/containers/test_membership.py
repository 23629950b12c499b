"""Issue 9's membership sequences with the shipped image (ZooKeeper 3.9.4 by
default) as pods of the rendered overlay, driven the way the StatefulSet
controller (Parallel) and the kubelet drive them (statefulset.py): new pods
start with the template's argv and environment, postStart is `zkpod join`
and preStop `zkpod leave`, both run with `podman exec` as the template says,
and `zkpod leave` asks a stand-in for the API server for the replicas.

The pod template is the overlay's, unchanged (only podspec.py's and
statefulset.py's documented deviations); a test that needs another template
renders it the way a user would, with a kustomize overlay on top of it, and
checks that only replicas and --servers differ.

Every sequence runs its steps under a continuous writer (kazoo) and a poller that
asks every pod for `srvr` and `conf` every 100 ms (tests/lib/load.py), and
ends by checking that there were never two leaders that could commit, that
every acknowledged write is readable through every member, that every member
reports the same configuration, and that the template's readiness probe
(`zkpod probe ready`, podman exec) passes in every pod. The time of each step
and its longest write outage go into the suite's figures. The last test is a
negative control: these checks fail on the split brain that a static server
list makes.

Each test has its own pods and volumes (named with its tag) and removes them.
Needs root, podman, the built image, kubectl and kazoo (__init__.py).
"""

import copy
import hashlib
import re
import time
from pathlib import Path

import pytest

from tests.containers import statefulset as kube
from tests.containers.podman_pod import sh
from tests.containers.podspec import pod_address, secret_names
from tests.containers.settings import NAMESPACE, NET, PREFIX, UID, figure
from tests.lib import load
from tests.lib.digest import changes, tree_digest
from tests.lib.fourlw import SERVING_MODES, four_letter, parse_srvr_mode, port_open

# The sizes are 1..9: E2E_NET must give nine pod addresses, and the
# clients are given all of them (a member may be any of them).
MAX_PODS = 9
TIMEOUT = 240  # a step's wait: five JVMs starting on two shared cores
# The leader poller asks every pod every 100 ms; a pause longer than this
# between two of its samples (each four-letter word may take up to 0.5 s
# when a server hangs) would leave a split brain of that length unseen.
MAX_SAMPLE_GAP = 5.0
# The tests' StatefulSets (their pods are <prefix>-<tag>-zk-N).
TAGS = ("seq", "kill", "volumes", "rolling", "why", "control")


# --- fixtures -------------------------------------------------------------------

@pytest.fixture(scope="module")
def settings(image, secret_dirs, sts):
    """What every pod plan needs; fails early on an E2E_NET without nine
    addresses, or when another run's server holds one of them."""
    addresses = [pod_address(NET, i) for i in range(MAX_PODS)]
    kube.remove_leftovers(PREFIX, TAGS)
    busy = [a for a in addresses if port_open(a, 2181)]
    assert not busy, (f"{', '.join(busy)}: something already listens on port 2181 there; the membership tests "
                      f"need {addresses[0]}-{addresses[-1]} to themselves (set E2E_NET to a free prefix)")
    assert set(secret_names(sts)) <= set(secret_dirs)
    return dict(net=NET, prefix=PREFIX, namespace=NAMESPACE, uid=UID, image=image, secrets=secret_dirs)


@pytest.fixture
def statefulset(settings):
    """make(template, tag) -> a StatefulSet of pods `<prefix>-<tag>-zk-N`,
    removed (containers and volumes) at the end of the test."""
    made = []

    def make(template, tag):
        assert tag in TAGS, tag
        s = kube.StatefulSet(template, tag, **settings)
        made.append(s)
        kube.ACTIVE.append(s)
        return s

    yield make
    for s in made:
        kube.ACTIVE.remove(s)
        s.close()


# --- what the tests look at --------------------------------------------------------

def conf_of(address):
    """(version, {id: role}) of the configuration a server serves; (None, {})
    when it does not answer."""
    try:
        version, members, _ = load.conf_membership(four_letter(address, 2181, "conf", timeout=1.0))
    except OSError:
        return None, {}
    return version, members


def mode_of(address):
    try:
        return parse_srvr_mode(four_letter(address, 2181, "srvr", timeout=1.0))
    except OSError:
        return None


def wait_members(s, n, timeout=TIMEOUT):
    """Until exactly pods zk-0..n-1 exist, each has passed its postStart
    hook, serves, and reports one configuration whose voters are exactly
    servers 1..n; returns its version."""
    want = {i + 1: "participant" for i in range(n)}

    def done():
        if sorted(s.pods) != list(range(n)) or not all(p.started.is_set() for p in s.pods.values()):
            return None
        addresses = [s.pods[i].plan.address for i in range(n)]
        if not all(mode_of(a) in SERVING_MODES for a in addresses):
            return None
        confs = [conf_of(a) for a in addresses]
        versions = {v for v, _ in confs}
        return versions.pop() if len(versions) == 1 and all(m == want for _, m in confs) else None

    return kube.wait_until_logged(s, f"{n} voters (servers 1..{n}) on every member", done, timeout)


def voting_leaders(s):
    """Pods whose server leads and votes in its own configuration."""
    out = []
    for i, p in sorted(s.pods.items()):
        if mode_of(p.plan.address) == "leader":
            _, members = conf_of(p.plan.address)
            if members.get(i + 1) == "participant":
                out.append(i)
    return out


def one_leader(s):
    """[the pod that leads], or None while there is not exactly one."""
    leaders = voting_leaders(s)
    return leaders if len(leaders) == 1 else None


def poller_figures(samples):
    """What the leader poller saw: its samples, the most voting leaders in
    one sample, the samples with exactly one, and the longest time between
    two samples (a split shorter than that could go unseen). Pure."""
    times = [x.at for x in samples]
    return {
        "leader_samples": len(samples),
        "max_leaders_in_a_sample": max((len(x.leaders) for x in samples), default=0),
        "samples_with_one_leader": sum(len(x.leaders) == 1 for x in samples),
        "longest_gap_between_samples_s": round(max((b - a for a, b in zip(times, times[1:])), default=0.0), 2),
    }


def slug(text):
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def file_digests(directory, pattern):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.glob(pattern))}


def data_dir(s, i):
    """Pod i's data dir on its claim's volume (the pod may be deleted)."""
    vol = s.plan(i).volumes["data"]
    return Path(sh(["podman", "volume", "inspect", "--format", "{{.Mountpoint}}", vol]).stdout.strip()) / "data"


def old_data(data):
    """What a removed member's volume holds that zkpod sets aside: the data
    and log dirs' version-2 trees, and the zoo.cfg files."""
    return {"version-2": tree_digest(data / "version-2"), "log/version-2": tree_digest(data / "log" / "version-2"),
            "zoo.cfg": file_digests(data, "zoo.cfg*")}


def assert_set_aside(s, i, before):
    """Pod i's old data is in data/zkpod-set-aside/<time>-server<id>/ (and
    data/log/zkpod-set-aside/...), byte for byte, and its log says so."""
    data = data_dir(s, i)
    sid = i + 1
    found = {}
    for root, key in ((data, "version-2"), (data / "log", "log/version-2")):
        asides = sorted((root / "zkpod-set-aside").glob(f"*-server{sid}*"))
        assert len(asides) == 1, f"zk-{i}: set-aside dirs in {root}: {asides}"
        found[key] = asides[0]
        kept = tree_digest(asides[0] / "version-2")
        was = dict(before[key])
        kept.pop("."), was.pop(".")  # the moved dir itself: a new parent
        assert was, f"zk-{i}: the old {key} was empty: nothing to set aside"
        assert kept == was, f"zk-{i}: {key} set aside differs: {changes(was, kept)}"
    assert file_digests(found["version-2"], "zoo.cfg*") == before["zoo.cfg"], f"zk-{i}: zoo.cfg files"
    lines = [ln for ln in s.pods[i].logs().splitlines() if "set aside" in ln]
    for target in found.values():
        path = "/var/lib/zookeeper/data/" + str(target.relative_to(data))
        assert any(path in ln and f"server {sid} was removed from the ensemble; nothing was deleted" in ln
                   for ln in lines), f"zk-{i}: no line names {path}: {lines}"
    figure(f"{s.tag}_zk_{i}_set_aside", [str(t.relative_to(data)) for t in found.values()])


class Run:
    """The writer, the poller, the steps and their figures of one test."""

    def __init__(self, s):
        self.s = s
        self.t = time.monotonic()
        self.poller = load.LeaderPoller(s.addresses).start()
        self.writer = load.Writer(",".join(f"{pod_address(NET, i)}:2181" for i in range(MAX_PODS)),
                                  root=f"/zkpod-load-{s.tag}").start()
        kube.wait_until_logged(s, "the first acknowledged write", lambda: self.writer.acked, 60)
        self.pre_stop = []

    def step(self, name, action, check):
        """Runs `action`, then `check` (a wait that the step is complete);
        records the step's time and its longest write outage (writes up to
        1 s after it count towards it). Returns `check`'s result."""
        t0 = time.monotonic()
        runs = action()
        self.pre_stop += [r for r in runs or [] if r is not None and r.hook == "preStop"]
        result = check()
        t1 = time.monotonic()
        time.sleep(1.0)
        outage = self.writer.longest_outage(t0, time.monotonic())
        key = f"{self.s.tag}_{slug(name)}"
        figure(f"{key}_seconds", round(t1 - t0, 1))
        figure(f"{key}_longest_write_outage_s", round(outage, 2))
        print(f"{self.s.tag}: {name}: {t1 - t0:.1f} s, longest write outage {outage:.2f} s")
        return result

    def finish(self, members, killed=(), may_wait=()):
        """The pass conditions, for pods `members` (ordinals); `killed`: the
        pods whose container the test killed (each restarted once);
        `may_wait`: pods whose `zkpod start` may have found no ensemble to
        join (exit 9, nothing changed; the kubelet starts them again)."""
        s = self.s
        self.writer.stop()
        self.poller.stop()
        acked = self.writer.acked
        figure(f"{s.tag}_writes_acknowledged", len(acked))
        figure(f"{s.tag}_write_attempts_failed", self.writer.failures)
        figure(f"{s.tag}_test_seconds", round(time.monotonic() - self.t, 1))
        assert len(acked) > 50, f"only {len(acked)} writes acknowledged ({self.writer.failures} failed)"
        seen = poller_figures(self.poller.samples)
        for k, v in seen.items():
            figure(f"{s.tag}_{k}", v)
        assert not self.poller.split, (
            f"two leaders at once in {len(self.poller.split)} of {len(self.poller.samples)} samples; "
            f"first: {self.poller.split[0]}")
        # The poller could have seen two leaders: it saw one most of the
        # time, and it never paused long enough to miss a split.
        assert seen["samples_with_one_leader"] >= seen["leader_samples"] / 2, seen
        assert seen["longest_gap_between_samples_s"] < MAX_SAMPLE_GAP, seen
        assert sorted(s.pods) == sorted(members), sorted(s.pods)
        pods = [s.pods[i] for i in members]
        for p in pods:
            missing = load.missing_on(p.endpoint, self.writer.root, acked)
            assert not missing, f"{p.plan.name} lacks {len(missing)} of {len(acked)} acknowledged writes: {missing[:5]}"
        figure(f"{s.tag}_writes_verified", f"{len(acked)} on each of {len(pods)} members")
        confs = {p.plan.name: conf_of(p.plan.address) for p in pods}
        assert len({(v, tuple(sorted(m.items()))) for v, m in confs.values()}) == 1, (
            f"members report different configurations: {confs}")
        version, voters = next(iter(confs.values()))
        assert voters == {i + 1: "participant" for i in members}, voters
        leaders = voting_leaders(s)
        assert len(leaders) == 1, f"voting leaders at the end: {leaders}"
        for p in pods:
            code, err, secs, limit = p.timed_probe("readinessProbe")
            assert code == 0, f"{p.plan.name}: the readiness probe (zkpod probe ready) exited {code}: {err}"
        # Every hook passed, but a postStart whose container was killed under it.
        failed = [r for r in s.hook_runs if r.code != 0]
        died_under = sum(p.hook_killed for p in [*s.gone, *s.pods.values()])
        assert len(failed) == died_under and all(r.hook == "postStart" for r in failed), (
            "\n".join(f"{r.pod} {r.hook} exited {r.code}: {r.output}" for r in failed))
        assert not any(p.failed_post_start for p in [*s.gone, *s.pods.values()])
        # No container exited by itself (zkpod start waiting, a crash).
        exits = {p.plan.name: p.exits for p in [*s.gone, *s.pods.values()] if p.exits}
        waited = {n: e for n, e in exits.items() if int(n[3:]) in may_wait and set(e) == {9}}
        if waited:
            figure(f"{s.tag}_exited_9_waiting", waited)
        exits = {n: e for n, e in exits.items() if n not in waited}
        assert exits == {f"zk-{i}": [137] for i in killed}, f"containers that exited: {exits}"
        # Each deleted pod's JVM ended on its SIGTERM (143), not on the SIGKILL after the grace period.
        assert all(p.terminated == 143 for p in s.gone), {p.name: p.terminated for p in s.gone}
        figure(f"{s.tag}_configuration", version)
        return version


def write_through(endpoint, path, timeout=60):
    """Creates `path` through the server at `endpoint` only, retrying until
    it is acknowledged; returns it."""
    from kazoo.client import KazooClient
    from kazoo.exceptions import KazooException
    from kazoo.handlers.threading import KazooTimeoutError

    deadline = time.monotonic() + timeout
    while True:
        zk = KazooClient(hosts=endpoint, timeout=4.0)
        try:
            zk.start(timeout=10)
            zk.create(path, b"x")
            return path
        except (KazooException, KazooTimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
        finally:
            zk.stop()
            zk.close()


def assert_log(s, i, text):
    """Pod i's current container logged `text`."""
    assert text in s.pods[i].logs(), f"zk-{i} did not log {text!r}"


def assert_left(runs, ordinals):
    """The preStop hooks of the pods a scale-down deleted removed them."""
    for r in runs:
        assert r.code == 0 and "left the ensemble" in r.output, f"{r.pod}: preStop: {r.output}"
    assert sorted(int(r.pod.rsplit("-", 1)[1]) for r in runs) == sorted(ordinals), [r.pod for r in runs]


def assert_stayed(runs):
    """The preStop hooks of restarted pods left the membership alone."""
    for r in runs:
        assert r.code == 0 and "(a restart, not a scale-down)" in r.output, f"{r.pod}: preStop: {r.output}"


def start(s, n):
    """A first install of `n` pods (Parallel: all at once)."""
    for i in range(n):
        s.create(i)
    version = wait_members(s, n)
    s.wait_ready(range(n))
    return version


def test_poller_figures_count_leaders_per_sample_and_the_longest_gap():
    def at(t, *leaders):
        return load.Sample(t, {}, list(leaders), {})

    got = poller_figures([at(0.0, "zk-0"), at(0.1), at(0.3, "zk-0", "zk-1"), at(2.3, "zk-1")])
    assert got == {"leader_samples": 4, "max_leaders_in_a_sample": 2, "samples_with_one_leader": 2,
                   "longest_gap_between_samples_s": 2.0}
    assert poller_figures([])["max_leaders_in_a_sample"] == 0


# --- the sequences ------------------------------------------------------------------

def test_kubectl_scale_1_3_5_3_1_3_under_load(statefulset, sts):
    # Starting at 1 as a user's first install of one server does: the
    # overlay with replicas 1 and --servers=1 (the README: --servers is the
    # first install's replicas; a first install of 1 with --servers=3 would
    # wait for a quorum that never comes). Starting at 3 instead would skip
    # growing from a lone bootstrapped server, the step that lost all data
    # elsewhere (bitnami/charts#32542). After that only replicas changes:
    # every pod, old or new, runs this same template.
    s = statefulset(kube.user_overlay(sts, 1, 1), "seq")
    start(s, 1)
    run = Run(s)
    sizes = [1, 3, 5, 3, 1]  # then 1 to 3 below
    for before, n in zip(sizes, sizes[1:]):
        run.step(f"scale {before} to {n}", lambda n=n: s.scale(n), lambda n=n: wait_members(s, n))
    assert_left(run.pre_stop, [4, 3, 2, 1])
    # zk-1 and zk-2 come back on their old volumes: a removed member's data
    # is set aside, never deleted, and the pod joins fresh.
    old = {i: old_data(data_dir(s, i)) for i in (1, 2)}
    run.step("scale 1 to 3 on the old volumes", lambda: s.scale(3), lambda: wait_members(s, 3))
    for i in (1, 2):
        assert_set_aside(s, i, old[i])
    run.finish([0, 1, 2])


def test_kill_9_of_the_leader_in_the_middle_of_a_scale(statefulset, sts):
    s = statefulset(sts, "kill")
    start(s, sts["spec"]["replicas"])
    run = Run(s)
    seen = {}

    def scale_and_kill():
        s.scale(5)

        # As soon as the first joiner votes, while the other still joins.
        def fourth_voter():
            for p in list(s.pods.values()):
                _, members = conf_of(p.plan.address)
                if sum(role == "participant" for role in members.values()) >= 4:
                    return members
            return None

        kube.wait_until_logged(s, "a 4th voter", fourth_voter, TIMEOUT, interval=0.05)
        (leader,) = kube.wait_until_logged(s, "one voting leader", lambda: one_leader(s), 30, interval=0.05)
        # What the leader commits, and which joiners' postStart still runs, just before the kill.
        _, members = conf_of(s.pods[leader].plan.address)
        seen["voters"] = sorted(sid for sid, role in members.items() if role == "participant")
        seen["joining"] = [f"zk-{i}" for i in (3, 4) if not s.pods[i].started.is_set()]
        seen["leader"] = f"zk-{leader}"
        seen["exe"] = s.kill9(leader)

    run.step("scale 3 to 5 with kill -9 of the leader", scale_and_kill, lambda: wait_members(s, 5))
    figure("kill_at_the_kill", {k: v for k, v in seen.items() if k != "exe"})
    assert seen["exe"] == "java", f"PID 1 of {seen['leader']} was {seen['exe']}, not the JVM"
    # The kill fell in the middle of the scale: a joiner had not finished
    # joining (its postStart still ran).
    assert len(seen["voters"]) >= 4 and seen["joining"], seen
    # The killed container ended on SIGKILL (137) and the kubelet started it again.
    # A joiner that starts while the ensemble elects may find no ensemble
    # to join (its start waits up to --peer-wait for a serving peer): then
    # it exits 9 and the kubelet starts it again.
    run.finish(range(5), killed=[int(seen["leader"][3:])], may_wait=(3, 4))


def test_scale_down_then_up_again_on_the_old_volumes(statefulset, sts):
    s = statefulset(sts, "volumes")
    start(s, sts["spec"]["replicas"])
    run = Run(s)
    run.step("scale 3 to 5", lambda: s.scale(5), lambda: wait_members(s, 5))
    run.step("scale 5 to 3", lambda: s.scale(3), lambda: wait_members(s, 3))
    assert_left(run.pre_stop, [4, 3])
    # The StatefulSet keeps zk-3's and zk-4's claims: their volumes hold the
    # data of servers the ensemble has removed.
    old = {i: old_data(data_dir(s, i)) for i in (3, 4)}
    run.step("scale 3 to 5 on the old volumes", lambda: s.scale(5), lambda: wait_members(s, 5))
    for i in (3, 4):
        assert_set_aside(s, i, old[i])
    run.finish(range(5))


def test_rolling_restart_of_every_pod_at_5_members(statefulset, sts):
    s = statefulset(sts, "rolling")
    start(s, sts["spec"]["replicas"])
    run = Run(s)
    version = run.step("scale 3 to 5", lambda: s.scale(5), lambda: wait_members(s, 5))

    def rolling():
        # A template change such as `kubectl rollout restart` makes (an
        # annotation): the same container; highest ordinal first, each pod
        # Running and Ready before the next.
        return [s.roll(i) for i in reversed(range(5))]

    run.step("rolling restart of 5", rolling, lambda: wait_members(s, 5))
    assert_stayed(run.pre_stop)
    assert len(run.pre_stop) == 5
    assert wait_members(s, 5) == version, "a restart changed the membership"
    assert run.finish(range(5)) == version


def test_the_why_scenario_servers_changed_with_replicas_rolling(statefulset, sts):
    """Issue 9's "Why": three pods with --servers=3; then the template's
    --servers and the replicas go to 5 together. zk-3 and zk-4 start with
    --servers=5 while the rolling update restarts zk-2 with --servers=5,
    then zk-1 and zk-0. With a static server list this gave two leaders and
    diverged writes; now the new pods join and the restarted ones keep the
    committed membership.

    A real controller creates zk-3 and zk-4 at once (Parallel) but deletes
    zk-2 only once they are Running and Ready (the rolling update waits for
    every pod of the new revision above it); the issue's order, zk-2
    restarting while zk-3 and zk-4 start, is the harder one, and the one
    driven here."""
    s = statefulset(sts, "why")
    start(s, sts["spec"]["replicas"])
    run = Run(s)
    new = kube.user_overlay(sts, 5, 5)

    def new_template():
        s.template = new
        s.replicas = s.api.replicas = 5
        s.create(3)
        s.create(4)
        left = s.delete(2)
        s.create(2)
        return [left]

    run.step("replicas and --servers to 5, zk-3 and zk-4 start while zk-2 rolls", new_template,
             lambda: wait_members(s, 5))
    s.wait_ready([2])
    version = run.step("the rolling update goes on: zk-1, zk-0", lambda: [s.roll(1), s.roll(0)],
                       lambda: wait_members(s, 5))
    assert_stayed(run.pre_stop)
    assert len(run.pre_stop) == 3
    # How: the new pods joined as observers of the committed configuration
    # (made voters by their postStart), and the restarted ones kept it; no
    # pod bootstrapped from --servers=5.
    for i in (3, 4):
        assert_log(s, i, f"membership: server {i + 1} joins the ensemble (configuration version ")
        assert_log(s, i, "as an observer; `zkpod join` makes it a voter")
    for i in (0, 1, 2):
        # Its volume's configuration, or a newer one a serving peer has
        # (zk-2 may restart after zk-3 or zk-4 joined): one that lists it.
        said = re.search(rf"membership: server {i + 1} starts with (its|the ensemble's newer) committed "
                         r"configuration \(version 0x[0-9a-f]+, [345] voters\)", s.pods[i].logs())
        assert said, f"zk-{i} did not start with the committed configuration:\n{s.logs()}"
        figure(f"why_zk_{i}_started_with", said.group(0))
    for i in range(5):
        assert "bootstraps" not in s.pods[i].logs(), f"zk-{i} bootstrapped with the new template"
    for i, p in sorted(s.pods.items()):
        args = sh(["podman", "inspect", "--format", "{{json .Args}}", p.name]).stdout
        assert "--servers=5" in args, f"zk-{i} does not run the new template: {args}"
    assert run.finish(range(5)) == version


def test_control_the_checks_catch_the_split_brain_of_a_static_ensemble(statefulset, sts):
    """The negative control: the "Why" scenario above with every pod's
    membership static (`--membership=static`, the fixed server list of every
    zkpod before issue 9) splits the brain, and this suite's checks say so:
    `Run.finish` fails on two leaders, and a write acknowledged on one side
    is missing on the other. Without this, "never two leaders" and "no
    acknowledged write lost" could pass because the instruments saw nothing."""

    def static(template):
        template = copy.deepcopy(template)
        template["spec"]["template"]["spec"]["containers"][0]["args"].append("--membership=static")
        return template

    s = statefulset(static(sts), "control")
    for i in range(3):
        s.create(i)
    s.wait_ready(range(3))
    run = Run(s)
    s.template = static(kube.user_overlay(sts, 5, 5))
    s.replicas = s.api.replicas = 5
    s.create(3)
    s.create(4)
    s.delete(2)
    s.create(2)
    kube.wait_until_logged(s, "two leaders (the split the static list makes)", lambda: run.poller.split, TIMEOUT)
    # zk-0 and zk-1 keep the old list's quorum; zk-2, zk-3 and zk-4 make one of the new list.
    old_side, new_side = [s.pods[i].endpoint for i in (0, 4)]
    acked = {side: write_through(side, f"/zkpod-control-{n}") for n, side in enumerate((old_side, new_side))}
    for side, other in ((old_side, new_side), (new_side, old_side)):
        path = acked[side]
        assert load.missing_on(other, "/", [(0.0, path)]) == [path], f"{path}, written via {side}, is on {other} too"
    with pytest.raises(AssertionError, match="two leaders at once in"):
        run.finish(range(5))
    figure("control_split_samples", f"{len(run.poller.split)} of {len(run.poller.samples)}")

