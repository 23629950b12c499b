"""The version matrix (issue 10): for each release in versions.txt, one real
3-server ensemble started through `zkpod start`, shared by these checks, in
this order:

1. the ensemble forms (one leader, two followers), it runs the release we
   asked for, and each pod's JVM is PID 1 of its PID namespace, as uid 1000;
2. `probe live|ready|startup`, `status` and `metrics` (text, and Prometheus
   text parsed by prometheus_client) pass on every server;
3. ZooKeeper reads the logging config zkpod wrote: the JVM is pointed at the
   file its binding reads, lines appear in that file's layout at INFO and
   none at DEBUG, and no "no configuration" warning of any binding appears;
4. ZooKeeper's own Prometheus endpoint, where the release's provider jar is
   in lib/: scraped over HTTP and parsed by prometheus_client;
5. SIGTERM to the PID-1 JVM stops it; the other two keep serving;
6. a stale myid on the volume is refused (exit 5, one line, nothing changed);
7. `--log_level DEBUG` then `--log_level WARN` change what is logged.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.lib import harness as h
from tests.lib import messages
from tests.lib.digest import tree_digest
from tests.lib.fourlw import CLIENT_PORT, four_letter, parse_mntr, server_mode
from tests.lib.procs import proc_cmdline, proc_exe, proc_status
from tests.lib.wait import wait_until
from tests.versions.matrix import (
    NO_CONFIG_SIGNS,
    PROMETHEUS_CLASS,
    PROMETHEUS_PORT,
    NsPod,
    children,
    ensemble,
    ns_pid,
    resolve_layout,
    versions,
    zkpod_run,
)

# One ZooKeeper log line in the layout of zkpod's config (both bindings):
# `2026-11-28 06:02:32,923 [myid:1] - INFO  [thread:Class@123] - message`.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[myid:\d*\] - (TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\s")


def levels(text: str) -> dict[str, int]:
    """How many ZooKeeper log lines of each level `text` holds."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        m = LOG_LINE.match(line)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + 1
    return out


class Matrix:
    """One release's ensemble and what the checks share."""

    def __init__(self, layout, base: Path, zkpod: Path, java: Path):
        self.layout = layout
        self.zkpod = zkpod
        self.java = java
        args = ["--java", str(java)]
        if layout.home is not None:
            args += ["--zk-home", str(layout.home)]
        self.ens = ensemble(base, zkpod, args)
        self.scraped: list[NsPod] = []
        if layout.prometheus:
            # Before 3.8 the endpoint binds all addresses: one pod only.
            for pod in self.ens.pods if layout.minor >= (3, 8) else self.ens.pods[:1]:
                pod.extra_args += [f"--set=metricsProvider.className={PROMETHEUS_CLASS}",
                                   f"--set=metricsProvider.httpPort={PROMETHEUS_PORT}"]
                if layout.minor >= (3, 8):
                    pod.extra_args.append(f"--set=metricsProvider.httpHost={pod.ip}")
                self.scraped.append(pod)


@pytest.fixture(scope="module", params=versions())
def zk(request, zkpod_bin, java):
    try:
        layout = resolve_layout(request.param)
    except LookupError as e:
        pytest.fail(str(e), pytrace=False)
    base = Path(tempfile.mkdtemp(prefix=f"zkpod-versions-{request.param}-", dir="/tmp"))
    os.chmod(base, 0o755)
    m = Matrix(layout, base, zkpod_bin, java)
    failed = request.session.testsfailed
    t0 = time.monotonic()
    m.ens.start()
    try:
        m.ens.wait_quorum()
        h.FIGURES.append(f"{request.param}: quorum {time.monotonic() - t0:.1f} s after start")
        yield m
    finally:
        m.ens.stop()
        if request.session.testsfailed > failed:
            print(f"\n{request.param}: kept {base} for inspection\n{m.ens.logs(40)}")
        else:
            shutil.rmtree(base, ignore_errors=True)
        h.FIGURES.append(f"{request.param}: {time.monotonic() - t0:.1f} s for all checks")


def since(pod: h.Pod, offset: int) -> str:
    return pod.output()[offset:]


# 1 -------------------------------------------------------------------------


def test_ensemble_forms_and_each_jvm_is_pid_1(zk):
    modes = zk.ens.modes()
    assert sorted(modes.values()) == ["follower", "follower", "leader"], modes
    for pod in zk.ens.pods:
        srvr = four_letter(pod.ip, CLIENT_PORT, "srvr")
        assert re.search(rf"^Zookeeper version: {re.escape(zk.layout.version)}[-,]", srvr, re.M), srvr
        jvm = pod.init_pid()
        assert ns_pid(jvm)[-1] == 1, f"{pod.name}: the JVM is {ns_pid(jvm)} in its namespaces, not PID 1"
        assert children(pod.proc.pid) == [jvm]
        assert proc_exe(jvm) == os.path.realpath(zk.java), proc_exe(jvm)
        cmd = proc_cmdline(jvm)
        assert cmd[-2:] == [h.MAIN_CLASS, str(pod.conf_dir / "zoo.cfg")], cmd
        assert set(proc_status(jvm)["Uid"].split()) == {"1000"}, proc_status(jvm)["Uid"]


# 2 -------------------------------------------------------------------------


def test_probes_status_and_metrics_pass(zk):
    for pod in zk.ens.pods:
        conf = ["--conf_dir", pod.conf_dir]
        for kind in ("live", "ready", "startup"):
            cp = zkpod_run(zk.zkpod, "probe", kind, *conf)
            assert cp.returncode == 0, f"{pod.name} probe {kind}: {cp.returncode} {cp.stderr.strip()}"
        mode = server_mode(pod.ip)
        cp = zkpod_run(zk.zkpod, "status", "--json", *conf)
        assert cp.returncode == 0, cp.stderr
        doc = json.loads(cp.stdout)
        assert doc["mode"] == mode and doc["version"].startswith(zk.layout.version), doc
        cp = zkpod_run(zk.zkpod, "metrics", *conf)
        assert cp.returncode == 0, cp.stderr
        mntr = parse_mntr(cp.stdout)
        assert mntr["zk_server_state"] == mode and mntr["zk_version"].startswith(zk.layout.version), mntr
        cp = zkpod_run(zk.zkpod, "metrics", "--format", "prometheus", *conf)
        assert cp.returncode == 0, cp.stderr
        families = {f.name: f for f in text_string_to_metric_families(cp.stdout)}
        state = families["zookeeper_server_state"].samples[0]
        assert state.labels == {"state": mode} and state.value == 1, state
        assert families["zookeeper_znode_count"].samples[0].value == float(mntr["zk_znode_count"])


# 3 -------------------------------------------------------------------------


def test_zookeeper_reads_the_logging_config_zkpod_wrote(zk):
    for pod in zk.ens.pods:
        cfg = pod.conf_dir / zk.layout.config_file
        assert cfg.is_file(), f"{pod.name}: zkpod wrote no {cfg.name} for a {zk.layout.logging} release"
        flag = {"logback.xml": f"-Dlogback.configurationFile={cfg}",
                "log4j.properties": f"-Dlog4j.configuration=file:{cfg}"}[cfg.name]
        assert flag in proc_cmdline(pod.init_pid()), proc_cmdline(pod.init_pid())
        out = pod.output()
        seen = levels(out)
        assert seen.get("INFO", 0) >= 20, f"{pod.name}: {seen} ZooKeeper lines in zkpod's layout:\n{out[-3000:]}"
        assert "DEBUG" not in seen and "TRACE" not in seen, seen
        bad = [s for s in NO_CONFIG_SIGNS if s in out]
        assert not bad, f"{pod.name}: {bad}"


# 4 -------------------------------------------------------------------------


# Only the releases versions.txt marks +prometheus: the others have no
# provider jar here (before 3.6, or not served by the Maven repository).
@pytest.mark.parametrize("zk", versions("prometheus"), indirect=True)
def test_zookeeper_prometheus_endpoint_parses(zk):
    assert zk.layout.prometheus, f"ZooKeeper {zk.layout.name}'s lib/ has no Prometheus provider"
    assert zk.scraped
    for pod in zk.scraped:
        host = pod.ip if zk.layout.minor >= (3, 8) else "127.0.0.1"
        body = wait_until(
            f"{pod.name}'s Prometheus endpoint",
            lambda: _scrape(f"http://{host}:{PROMETHEUS_PORT}/metrics"), 30, interval=0.5)
        families = {f.name: f for f in text_string_to_metric_families(body)}
        mntr = parse_mntr(four_letter(pod.ip, CLIENT_PORT, "mntr"))
        # Names without a prefix (ZooKeeper's own), the same figures as mntr.
        assert families["znode_count"].type == "gauge", families["znode_count"]
        assert families["znode_count"].samples[0].value == float(mntr["zk_znode_count"])
        assert "jvm_memory_bytes_used" in families or "jvm_memory_used_bytes" in families, sorted(families)[:40]
        assert families["quorum_size"].samples[0].value == 3
        h.FIGURES.append(f"{zk.layout.name}: {pod.name} /metrics has {len(families)} families")


def _scrape(url: str):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.read().decode()
    except OSError:
        return None


# 5 -------------------------------------------------------------------------


def test_sigterm_to_the_pid_1_jvm_stops_it(zk):
    pod = zk.ens.pods[0]
    jvm = pod.init_pid()
    os.kill(jvm, signal.SIGTERM)
    code = pod.proc.wait(30)
    # unshare --fork exits with its child's status: the JVM's 128+15 after
    # its shutdown hooks (or 0 on releases that exit cleanly).
    assert code in (0, 143), f"{pod.name}: exit {code}\n{pod.proc.tail()}"
    # The other two keep (or re-elect) a leader between them; right after the
    # stop both may still answer as followers of a leader that is gone.
    wait_until("a leader and a follower among zk-1 and zk-2",
               lambda: sorted(v or "-" for v in zk.ens.modes(which=[1, 2]).values()) == ["follower", "leader"], 60,
               on_fail=zk.ens.logs)


# 6 -------------------------------------------------------------------------


def test_stale_myid_is_refused_and_nothing_changes(zk):
    pod = zk.ens.pods[0]
    assert not pod.running()
    myid = pod.data_dir / "myid"
    myid.write_text("2\n")  # server 2's volume on pod zk-0
    before = (tree_digest(pod.data_dir), tree_digest(pod.data_log_dir))
    code, out = pod.run_to_exit(timeout=30)
    assert code == 5, f"exit {code}, expected 5 (data guard):\n{out}"
    lines = [ln for ln in out.splitlines() if ln.startswith("zkpod:")]
    assert len(lines) == 1, out
    messages.assert_says(lines[0], messages.stale_myid(str(myid), 2, 1, "zk-0"), pod.name)
    assert (tree_digest(pod.data_dir), tree_digest(pod.data_log_dir)) == before
    myid.write_text("1\n")


# 7 -------------------------------------------------------------------------


def test_log_level_changes_what_is_logged(zk):
    pod = zk.ens.pods[0]
    base_args = list(pod.extra_args)
    seen = {}
    for level in ("DEBUG", "WARN"):
        pod.extra_args = base_args + [f"--log_level={level}"]
        offset = len(pod.output())
        pod.start()
        zk.ens.wait_quorum()
        out = since(pod, offset)
        seen[level] = levels(out)
        pod.stop()
    assert seen["DEBUG"].get("DEBUG", 0) > 0 and seen["DEBUG"].get("INFO", 0) > 0, seen
    assert not {"INFO", "DEBUG", "TRACE"} & set(seen["WARN"]), seen
    pod.extra_args = base_args
