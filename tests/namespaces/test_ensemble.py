"""Issue 2: a real 3-server ensemble started through `zkpod start`.

Each server is a "pod" (own hostname zk-N, own kubelet-style /etc/hosts,
own loopback address 127.0.0.1N). We write a znode with Debian's zkCli.sh
through one server, read it with kazoo through another, restart everything on
the same data dirs, then swap two data dirs and check that zkpod refuses to
start those servers without touching a byte. A second ensemble runs as an
arbitrary non-root UID with GID 0 (OpenShift's restricted SCC).

Needs root, zookeeper, a JRE and kazoo (see tests/namespaces/__init__.py).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.lib import harness as h
from tests.lib import messages
from tests.lib.clients import kazoo_read, zkcli_ok
from tests.lib.digest import changes, tree_digest
from tests.lib.fourlw import server_mode
from tests.lib.hosts import DOMAIN
from tests.lib.procs import group_members, proc_cmdline, proc_exe, proc_ids

ARBITRARY_UID = 1000770000


def kazoo_get(server: str, path: str) -> bytes:
    """`path`'s data, read through `server` alone after a sync."""
    return kazoo_read(server, [path], start_timeout=30)[path]


def swap(a: Path, b: Path) -> None:
    tmp = a.with_name(a.name + ".swap")
    a.rename(tmp)
    b.rename(a)
    tmp.rename(b)


def assert_jvm_was_execd(pod: h.Pod, uid: int, gid: int) -> None:
    """The PID we started (unshare -> sh -> zkpod) is now java, nothing else
    is left in its process group, and it runs as uid:gid with no root group."""
    pid = pod.java_pid()
    assert group_members(pid) == [pid], (
        f"{pod.name}: process group {pid} holds {group_members(pid)}: something besides "
        f"the JVM stayed resident ({[proc_exe(p) for p in group_members(pid)]})"
    )
    assert h.MAIN_CLASS in proc_cmdline(pid), proc_cmdline(pid)
    uids, gids, groups = proc_ids(pid)
    assert set(uids) == {uid}, f"{pod.name}: JVM uids {uids}, expected {uid}"
    assert set(gids) == {gid}, f"{pod.name}: JVM gids {gids}, expected {gid}"
    assert set(groups) <= {gid}, f"{pod.name}: JVM supplementary groups {groups}"


# --------------------------------------------------------------------------
# Root start, default --user 1000:1000. One ensemble, steps in order.


@pytest.fixture(scope="module")
def ensemble(module_lab) -> h.Ensemble:
    ens = module_lab.ensemble(3)
    ens.start()
    ens.wait_quorum()
    return ens


def test_quorum_forms_and_each_pid_became_the_jvm_as_user_1000(ensemble):
    modes = sorted(ensemble.modes().values())
    assert modes == ["follower", "follower", "leader"], modes
    for pod in ensemble.pods:
        assert_jvm_was_execd(pod, 1000, 1000)


def test_pod_identity_and_config_come_from_the_namespace(ensemble):
    for pod in ensemble.pods:
        assert (pod.data_dir / "myid").read_text().strip() == str(pod.index + 1)
        # Dynamic membership: the conf dir's zoo.cfg links to the one on the
        # volume, which ZooKeeper points at its committed server list.
        link = pod.conf_dir / "zoo.cfg"
        assert link.is_symlink() and link.resolve() == pod.data_dir / "zoo.cfg", link
        cfg = link.read_text()
        m = re.search(r"^dynamicConfigFile=(.+)$", cfg, re.M)
        assert m, cfg
        members = Path(m.group(1).strip()).read_text()
        for i in range(3):
            assert re.search(
                rf"^server\.{i + 1}=zk-{i}\.{re.escape(DOMAIN)}:2888:3888:participant(;.*)?$", members, re.M
            ), members
        assert re.search(rf"^clientPortAddress={re.escape(pod.ip)}\s*$", cfg, re.M), cfg
        assert re.search(r"^autopurge\.purgeInterval=", cfg, re.M), cfg


def test_data_dirs_are_owned_by_the_user(ensemble):
    for pod in ensemble.pods:
        for d in (pod.data_dir, pod.data_log_dir):
            st = d.stat()
            assert (st.st_uid, st.st_gid) == (1000, 1000), f"{d} is owned by {st.st_uid}:{st.st_gid}"
            for root, dirs, files in os.walk(d):
                for n in dirs + files:
                    st = Path(root, n).lstat()
                    assert st.st_uid == 1000, f"{Path(root, n)} is owned by uid {st.st_uid}"


def test_write_through_one_server_read_through_another(ensemble):
    a, b, c = ensemble.pods
    out = zkcli_ok(a.connect, "create", "/x", "y")
    assert "Created /x" in out, out
    assert kazoo_get(b.connect, "/x") == b"y"
    assert kazoo_get(c.connect, "/x") == b"y"


def test_restart_on_the_same_data_dirs_keeps_the_data(ensemble):
    ensemble.stop()
    assert all(not p.running() for p in ensemble.pods)
    assert all(server_mode(p.ip) is None for p in ensemble.pods)
    ensemble.start()
    ensemble.wait_quorum()
    assert kazoo_get(ensemble.pods[2].connect, "/x") == b"y"
    for pod in ensemble.pods:
        assert_jvm_was_execd(pod, 1000, 1000)


def test_swapped_data_dirs_refuse_to_start_and_stay_untouched(ensemble):
    ensemble.stop()
    p0, p1, _ = ensemble.pods
    swap(p0.data_dir, p1.data_dir)
    swap(p0.data_log_dir, p1.data_log_dir)
    assert (p0.data_dir / "myid").read_text().strip() == "2"
    dirs = {f"{p.name} {d.name}": d for p in (p0, p1) for d in (p.data_dir, p.data_log_dir)}
    before = {k: tree_digest(d) for k, d in dirs.items()}

    for pod, own, found in ((p0, 1, 2), (p1, 2, 1)):
        code, out = pod.run_to_exit(timeout=30)
        assert code == 5, f"{pod.name}: exit {code}, expected 5 (data guard):\n{out}"
        lines = [ln for ln in out.splitlines() if ln.startswith("zkpod:")]
        assert len(lines) == 1, f"{pod.name}: expected one `zkpod:` line:\n{out}"
        # What is wrong (which file, whose volume it is, who this pod is),
        # that nothing changed, and both fixes: the right volume, or the flag.
        messages.assert_says(lines[0], messages.stale_myid(pod.data_dir / "myid", found, own, pod.name), pod.name)
        assert proc_exe(pod.proc.pid) == "", "the refused start left a process behind"

    after = {k: tree_digest(d) for k, d in dirs.items()}
    changed = {k: changes(before[k], after[k]) for k in dirs if after[k] != before[k]}
    assert not changed, f"a refused start changed the data dirs: {changed}"


# --------------------------------------------------------------------------
# Non-root: an arbitrary UID with GID 0 and group-writable dirs (OpenShift).


def test_ensemble_as_arbitrary_uid_with_gid_0(lab):
    ens = lab.ensemble(3, run_as=f"{ARBITRARY_UID}:0")
    for pod in ens.pods:
        # As OpenShift provides them: root-owned, group 0, group-writable, setgid.
        for d in (pod.home, pod.data_dir, pod.data_log_dir, pod.conf_dir):
            d.mkdir(parents=True, exist_ok=True)
            os.chown(d, 0, 0)
            os.chmod(d, 0o2770)
    ens.start()
    ens.wait_quorum()
    for pod in ens.pods:
        assert_jvm_was_execd(pod, ARBITRARY_UID, 0)
        myid = pod.data_dir / "myid"
        assert myid.read_text().strip() == str(pod.index + 1)
        assert myid.stat().st_uid == ARBITRARY_UID
        for d in (pod.data_dir, pod.data_log_dir, pod.conf_dir):
            st = d.stat()
            assert (st.st_uid, st.st_gid) == (0, 0), f"{d} was chowned to {st.st_uid}:{st.st_gid}"
    out = zkcli_ok(ens.pods[1].connect, "create", "/openshift", "ok")
    assert "Created /openshift" in out, out
    assert kazoo_get(ens.pods[0].connect, "/openshift") == b"ok"
    # The JVM wrote its transaction log as the arbitrary uid.
    logs = list((ens.pods[0].data_log_dir).rglob("log.*"))
    assert logs and all(p.stat().st_uid == ARBITRARY_UID for p in logs), logs
