"""Issue 3: zkpod's probes and diagnostics against real ZooKeeper servers.

- a standalone server started through `zkpod start --servers 1`: live, ready,
  startup, status (text and JSON), metrics (text and Prometheus);
- a lone member of a 3-server ensemble: live but not ready; ready once a
  second member joins and a quorum forms;
- Debian's default config (only `srvr` whitelisted), started with plain java:
  `4lw ruok` and `metrics` name the whitelist line to add, `probe live` falls
  back to `srvr` and passes;
- a server under sustained client load: every probe passes within its timeout.

Needs root, zookeeper, a JRE and kazoo (see tests/namespaces/__init__.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.lib import harness as h
from tests.lib import messages
from tests.lib.clients import kazoo_client
from tests.lib.fourlw import CLIENT_PORT, four_letter, parse_mntr, port_open, server_mode
from tests.lib.harness import FIGURES
from tests.lib.wait import wait_until

STANDALONE_IP = "127.0.0.20"
DEBIAN_IP = "127.0.0.21"
# Kubernetes' default timeoutSeconds (zkpod's own deadline is 500 ms).
KUBELET_TIMEOUT = 1.0
# The timeoutSeconds our manifests give every probe (docker/k8s/base).
MANIFEST_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def standalone(module_lab) -> h.Pod:
    # A standalone server (Mode: standalone): a static server list. A
    # StatefulSet pod with dynamic membership runs as a one-voter ensemble
    # (Mode: leader) instead, so that it can grow; tests/namespaces/
    # test_membership.py covers that.
    pod = module_lab.pod(STANDALONE_IP, servers=1, extra_args=["--membership=static"])
    pod.start()
    wait_until(
        "the standalone server to serve",
        lambda: server_mode(pod.ip) == "standalone" or pod.proc.exited() is not None,
        h.QUORUM_TIMEOUT,
    )
    assert pod.proc.exited() is None, f"standalone server exited:\n{pod.proc.tail()}"
    return pod


def expect_ok(result, what: str) -> str:
    cp, secs = result
    assert cp.returncode == 0, f"{what}: exit {cp.returncode}, stderr: {cp.stderr.strip()!r}"
    return cp.stdout


# --------------------------------------------------------------------------
# Standalone server through zkpod start


def test_standalone_live_ready_startup(standalone, zkpod):
    conf = ["--conf_dir", standalone.conf_dir]
    explicit = ["--host", STANDALONE_IP, "--port", CLIENT_PORT]
    for kind in (["live"], ["ready"], ["ready", "--mode", "ruok"], ["startup"]):
        # Address and port found in the zoo.cfg zkpod start wrote, and given explicitly.
        for target in (conf, explicit):
            cp, secs = zkpod("probe", *kind, *target)
            assert cp.returncode == 0, f"probe {kind} {target}: exit {cp.returncode}: {cp.stderr.strip()!r}"
            assert secs < KUBELET_TIMEOUT, f"probe {kind} took {secs:.3f} s"


def test_standalone_status_text_and_json(standalone, zkpod):
    text = expect_ok(zkpod("status", "--conf_dir", standalone.conf_dir), "status")
    assert re.search(r"standalone", text, re.I), text
    assert re.search(r"zxid", text, re.I), text

    raw = expect_ok(zkpod("status", "--json", "--conf_dir", standalone.conf_dir), "status --json")
    doc = json.loads(raw)
    assert doc.get("mode") == "standalone", doc
    srvr = four_letter(STANDALONE_IP, CLIENT_PORT, "srvr")
    zxid = re.search(r"Zxid: (0x[0-9a-f]+)", srvr).group(1)
    # The zxid cannot move between the two calls: nobody writes to this server now.
    got = doc.get("zxid")
    assert got is not None and int(str(got), 0) == int(zxid, 16), (doc, srvr)
    conns = int(re.search(r"Connections: (\d+)", srvr).group(1))
    assert isinstance(doc.get("connections"), int) and doc["connections"] >= 1, doc
    assert abs(doc["connections"] - conns) <= 1, (doc, srvr)


def test_standalone_metrics_text_and_prometheus(standalone, zkpod):
    text = expect_ok(zkpod("metrics", "--conf_dir", standalone.conf_dir), "metrics")
    mntr = parse_mntr(text)
    assert mntr.get("zk_server_state") == "standalone", text
    assert int(mntr["zk_znode_count"]) >= 4, text

    prom = expect_ok(
        zkpod("metrics", "--format", "prometheus", "--conf_dir", standalone.conf_dir), "metrics prometheus"
    )
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", prom, re.M))
    samples = re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", prom, re.M)
    assert len(samples) >= 20, prom
    for name, _labels, value in samples:
        float(value)  # every sample value is a number
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or base in types, f"sample {name} has no # TYPE line"
    names = {s[0] for s in samples}
    znodes = [n for n in names if "znode_count" in n]
    assert znodes, f"no znode count metric among {sorted(names)}"
    assert all(t in ("gauge", "counter", "untyped", "summary", "histogram") for t in types.values()), types


def test_drop_in_script_names_against_the_real_server(standalone, zkpod_bin, tmp_path):
    env = {**os.environ, "ZOO_CONF_DIR": str(standalone.conf_dir)}
    for name in ("zookeeper-ready", "ready_live.sh", "metrics.sh"):
        link = tmp_path / name
        link.symlink_to(zkpod_bin)
        cp = subprocess.run([str(link), str(CLIENT_PORT)], capture_output=True, text=True, env=env, timeout=10)
        assert cp.returncode == 0, f"{name} {CLIENT_PORT}: exit {cp.returncode}: {cp.stderr!r}"
        if name == "metrics.sh":
            assert parse_mntr(cp.stdout).get("zk_server_state") == "standalone", cp.stdout
        # Nothing listens on this port of the server's address: unhealthy, exit 1 like the scripts.
        cp = subprocess.run([str(link), "2999"], capture_output=True, text=True, env=env, timeout=10)
        assert cp.returncode == 1, f"{name} 2999: exit {cp.returncode}: {cp.stderr!r}"
        # The address comes from the zoo.cfg zkpod start wrote; the port from argv.
        assert messages.refused(f"{STANDALONE_IP}:2999") in cp.stderr, f"{name} 2999: {cp.stderr!r}"
        assert len(cp.stderr.strip().splitlines()) == 1, cp.stderr


# --------------------------------------------------------------------------
# A lone ensemble member, then quorum


def test_lone_member_is_live_but_not_ready_until_quorum(lab, zkpod):
    ens = lab.ensemble(3)
    zk0 = ens.pods[0]
    ens.start([0])
    conf = ["--conf_dir", zk0.conf_dir]
    wait_until(
        "zk-0's client port",
        lambda: port_open(zk0.ip, CLIENT_PORT) or zk0.proc.exited() is not None,
        h.QUORUM_TIMEOUT,
    )
    assert zk0.proc.exited() is None, zk0.proc.tail()
    # Alone it can never serve: no quorum is possible with 1 of 3.
    expect_ok(zkpod("probe", "live", *conf), "probe live on a lone member")
    cp, secs = zkpod("probe", "ready", *conf)
    assert cp.returncode == 1, f"probe ready on a lone member: exit {cp.returncode}, stderr {cp.stderr!r}"
    messages.assert_says(cp.stderr, messages.not_serving_without_quorum(zk0.connect), "probe ready on a lone member")
    assert len(cp.stderr.strip().splitlines()) == 1, cp.stderr
    assert secs < KUBELET_TIMEOUT, secs
    # The OrderedReady mode only asks that the process answers.
    expect_ok(zkpod("probe", "ready", "--mode", "ruok", *conf), "probe ready --mode ruok on a lone member")

    ens.start([1])
    t0 = time.monotonic()
    wait_until(
        "`zkpod probe ready` to pass on zk-0 once zk-1 joined",
        lambda: zkpod("probe", "ready", *conf)[0].returncode == 0,
        h.QUORUM_TIMEOUT,
        interval=0.5,
        on_fail=ens.logs,
    )
    assert server_mode(zk0.ip) in ("leader", "follower")
    FIGURES.append(f"lone member -> ready after the 2nd member started: {time.monotonic() - t0:.1f} s")


# --------------------------------------------------------------------------
# Debian's default config: only srvr is whitelisted


def test_debian_default_config_gets_a_whitelist_diagnosis(lab, zkpod):
    data = lab.base / "debian-data"
    data.mkdir()
    srv = lab.java(DEBIAN_IP, h.debian_default_cfg(data, DEBIAN_IP))
    srv.start()
    wait_until(
        "the Debian-configured server to serve",
        lambda: server_mode(DEBIAN_IP) == "standalone" or srv.proc.exited() is not None,
        h.QUORUM_TIMEOUT,
    )
    assert srv.proc.exited() is None, srv.proc.tail()
    # Precondition: the real server refuses ruok with its whitelist reply.
    assert "not in the whitelist" in four_letter(DEBIAN_IP, CLIENT_PORT, "ruok")

    target = ["--host", DEBIAN_IP, "--port", CLIENT_PORT]
    for args, cmd in ((["4lw", "ruok"], "ruok"), (["metrics"], "mntr")):
        cp, _ = zkpod(*args, *target)
        assert cp.returncode == 1, f"zkpod {args}: exit {cp.returncode}, stdout {cp.stdout!r} stderr {cp.stderr!r}"
        assert "4lw.commands.whitelist=" in cp.stderr, cp.stderr
        line = re.search(r"4lw\.commands\.whitelist=([\w,*]+)", cp.stderr).group(1)
        assert cmd in line.split(","), f"the suggested whitelist line does not add {cmd}: {cp.stderr}"
        assert len(cp.stderr.strip().splitlines()) == 1, cp.stderr

    # live falls back to srvr (whitelisted) instead of failing forever.
    cp, secs = zkpod("probe", "live", *target)
    assert cp.returncode == 0, f"probe live on Debian's default config: {cp.stderr!r}"
    assert secs < KUBELET_TIMEOUT, secs
    expect_ok(zkpod("probe", "ready", *target), "probe ready (srvr) on Debian's default config")


# --------------------------------------------------------------------------
# Sustained client load


SESSIONS = 40
LOAD_SECONDS = 20.0
MAX_OPS_PER_SESSION = 5000
PROBE_EVERY = 0.2
BATCH = 10


def test_probes_pass_within_their_timeout_under_client_load(standalone, zkpod):
    stop = threading.Event()
    ops = [0] * SESSIONS
    errors: list[str] = []

    def writer(i: int, zk) -> None:
        # setData in pipelined batches: every write goes through the server's
        # transaction log (fsync), and memory stays bounded.
        path = f"/load/s{i}"
        payload = b"x" * 512
        try:
            zk.ensure_path(path)
            while not stop.is_set() and ops[i] < MAX_OPS_PER_SESSION:
                pending = [zk.set_async(path, payload) for _ in range(BATCH)]
                for r in pending:
                    r.get(timeout=30)
                ops[i] += BATCH
        except Exception as e:  # noqa: BLE001 - reported below
            if not stop.is_set():
                errors.append(f"session {i}: {e!r}")

    clients = []
    threads: list[threading.Thread] = []
    try:
        for _ in range(SESSIONS):
            clients.append(kazoo_client(standalone.connect, timeout=15, start_timeout=30))
        threads = [threading.Thread(target=writer, args=(i, c), daemon=True) for i, c in enumerate(clients)]
        for t in threads:
            t.start()

        latencies = {"live": [], "ready": []}
        failures = []
        max_conns = 0
        t_end = time.monotonic() + LOAD_SECONDS
        n = 0
        while time.monotonic() < t_end:
            kind = ("live", "ready")[n % 2]
            n += 1
            cp, secs = zkpod("probe", kind, "--conf_dir", standalone.conf_dir, timeout=10)
            latencies[kind].append(secs)
            # Exit 0 means the probe got its answer within its own 500 ms
            # deadline; the wall time, measured from this busy Python process,
            # must fit in the kubelet's timeoutSeconds from our manifests.
            if cp.returncode != 0 or secs >= MANIFEST_TIMEOUT:
                failures.append(f"probe {kind}: exit {cp.returncode} in {secs:.3f} s: {cp.stderr.strip()!r}")
            if n % 10 == 0:
                try:
                    mntr = parse_mntr(four_letter(standalone.ip, CLIENT_PORT, "mntr"))
                    max_conns = max(max_conns, int(mntr.get("zk_num_alive_connections", 0)))
                except OSError as e:
                    failures.append(f"our own mntr client: {e!r}")
            time.sleep(PROBE_EVERY)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=35)
        for c in clients:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001 - best-effort teardown
                pass

    total = sum(ops)
    every = latencies["live"] + latencies["ready"]
    FIGURES.append(
        f"probes under load: {len(every)} probes ({SESSIONS} sessions, {total} writes in "
        f"{LOAD_SECONDS:.0f} s, up to {max_conns} connections): max latency "
        f"live {max(latencies['live']) * 1000:.0f} ms, ready {max(latencies['ready']) * 1000:.0f} ms, "
        f"median {sorted(every)[len(every) // 2] * 1000:.0f} ms"
    )
    assert not errors, errors[:5]
    # The load was real: every session connected and wrote.
    assert max_conns >= SESSIONS, f"only {max_conns} connections seen"
    assert total >= SESSIONS * 20, f"only {total} writes"
    assert len(every) >= LOAD_SECONDS / (PROBE_EVERY + 0.5), len(every)
    assert not failures, failures
    Path(h.REPO / ".tmp").mkdir(exist_ok=True)
    (h.REPO / ".tmp" / "namespaces-probe-load.txt").write_text(FIGURES[-1] + "\n")
