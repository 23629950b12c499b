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
4. zoo.cfg holds exactly the keys the release reads: zkpod's decisions
   (electionPortBindRetry=0; fips-mode=false from 3.8.2; the AdminServer on
   the pod's address, with 3.9's snapshot/restore commands off) only where
   the release has them; ZooKeeper's AdminServer answers on the pod's
   address, and where it can list its system properties (the
   `system_properties` command), those decisions are in effect in the JVM;
5. ZooKeeper's own Prometheus endpoint (`--metrics-port`, `--metrics-host`)
   on the +prometheus releases, scraped over HTTP and parsed by
   prometheus_client; on the others `--metrics-port` is refused (exit 4
   before 3.6, 7 without the provider's jar) with nothing written;
6. SIGTERM to the PID-1 JVM stops it; the other two keep serving;
7. a stale myid on the volume is refused (exit 5, one line, nothing changed);
8. `--log_level DEBUG` then `--log_level WARN` change what is logged.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
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
    ADMIN_PORT,
    NO_CONFIG_SIGNS,
    PROMETHEUS_PORT,
    NsPod,
    children,
    ensemble,
    ns_pid,
    parse_properties,
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
        # ZooKeeper's superuser, so that a server can join (reconfig).
        self.password = base / "password"
        self.password.write_text("zkpod-matrix-superuser\n")
        os.chmod(self.password, 0o644)
        for pod in self.ens.pods:
            pod.env = {"ZOO_SUPERUSER_PASSWORD_FILE": str(self.password)}
        # Every pod's AdminServer on its own address (they share the host's
        # network here, as containers of one pod would).
        if layout.jetty:
            for pod in self.ens.pods:
                pod.extra_args += ["--admin-server", f"--admin-address={pod.ip}", f"--admin-port={ADMIN_PORT}"]
        self.scraped: list[NsPod] = []
        if layout.prometheus:
            # Before 3.8.1 the endpoint binds all addresses: one pod only.
            bind_one = layout.release >= (3, 8, 1)
            for pod in self.ens.pods if bind_one else self.ens.pods[:1]:
                pod.extra_args.append(f"--metrics-port={PROMETHEUS_PORT}")
                if bind_one:
                    pod.extra_args.append(f"--metrics-host={pod.ip}")
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
        # Dynamic membership (3.5.3+): ZooKeeper runs with the zoo.cfg on the
        # volume, where it keeps its committed configuration; the conf dir's
        # zoo.cfg links to it.
        assert cmd[-2:] == [h.MAIN_CLASS, str(pod.data_dir / "zoo.cfg")], cmd
        assert (pod.conf_dir / "zoo.cfg").resolve() == pod.data_dir / "zoo.cfg"
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
        # --prefix zk: mntr's own names, as the popular mntr exporters use.
        cp = zkpod_run(zk.zkpod, "metrics", "--format", "prometheus", "--prefix", "zk", *conf)
        assert cp.returncode == 0, cp.stderr
        zk_families = {f.name: f for f in text_string_to_metric_families(cp.stdout)}
        assert zk_families["zk_znode_count"].samples[0].value == float(mntr["zk_znode_count"])
        assert not [n for n in zk_families if n.startswith("zookeeper_")], sorted(zk_families)[:10]


# 3 -------------------------------------------------------------------------


def test_a_fourth_server_joins_and_leaves_through_reconfig(zk):
    """Dynamic membership on this release: zk-3 starts beyond --servers=3,
    joins as an observer, `zkpod join` (run inside the pod, as the kubelet
    runs a postStart hook) makes it the fourth voter, and `zkpod leave
    --force` takes it out again."""
    template = zk.ens.pods[0]
    base = template.base
    peers = [*template.peers, ("zk-3", h.ensemble_ip(3))]
    pod = NsPod(base, 3, h.ensemble_ip(3), 3, template.zkpod, peers=peers,
                extra_args=list(template.extra_args), env=dict(template.env))
    pod.extra_args = [a for a in pod.extra_args if not a.startswith(("--metrics", "--admin"))]
    pod.start()
    try:
        jvm = pod.init_pid()

        def hook(*args):
            return subprocess.run(
                ["nsenter", "-t", str(jvm), "--pid", "--mount", "--uts", "--",
                 str(template.zkpod), *args, "--conf_dir", str(pod.conf_dir)],
                capture_output=True, text=True, timeout=120,
                env={**os.environ, **pod.env},
            )

        t0 = time.monotonic()
        j = hook("join")
        assert j.returncode == 0, j.stdout + j.stderr
        assert "server 4 is a voter" in j.stderr, j.stderr
        voters = lambda ip: sum(  # noqa: E731
            1 for line in four_letter(ip, CLIENT_PORT, "conf").splitlines()
            if line.startswith("server.") and ":observer" not in line
        )
        assert voters(zk.ens.pods[1].ip) == 4
        joined = time.monotonic() - t0
        lv = hook("leave", "--force")
        assert lv.returncode == 0, lv.stdout + lv.stderr
        assert "server 4 left the ensemble" in lv.stderr, lv.stderr
        wait_until("3 voters again", lambda: voters(zk.ens.pods[1].ip) == 3, 30, on_fail=zk.ens.logs)
        h.FIGURES.append(f"{zk.layout.version}: zk-3 joined in {joined:.1f} s and left again")
    finally:
        pod.stop()


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


def expected_decisions(zk, pod) -> dict[str, str]:
    """The keys zkpod decides for this release (and the pod), with values."""
    r = zk.layout.release
    admin = zk.layout.jetty
    want = {"admin.enableServer": str(admin).lower(), "electionPortBindRetry": "0"}
    if admin:
        want["admin.serverAddress"] = pod.ip
    if r >= (3, 8, 2):
        want["fips-mode"] = "false"
    if admin and r >= (3, 9, 0):
        want["admin.snapshot.enabled"] = "false"
        want["admin.restore.enabled"] = "false"
    return want


def test_zoo_cfg_holds_only_the_keys_the_release_reads(zk):
    decided = {"fips-mode", "admin.snapshot.enabled", "admin.restore.enabled", "electionPortBindRetry",
               "admin.serverAddress", "admin.enableServer"}
    for pod in zk.ens.pods:
        cfg = parse_properties((pod.conf_dir / "zoo.cfg").read_text())
        want = expected_decisions(zk, pod)
        got = {k: v for k, v in cfg.items() if k in decided}
        assert got == want, f"{pod.name} ({zk.layout.version}): {got}"
        metrics = {k for k in cfg if k.startswith("metricsProvider.")}
        if pod in zk.scraped:
            assert metrics == ({"metricsProvider.className", "metricsProvider.httpPort"}
                               | ({"metricsProvider.httpHost"} if zk.layout.release >= (3, 8, 1) else set())), metrics
        else:
            assert not metrics, metrics


def test_admin_server_answers_on_the_pod_address_with_zkpods_decisions_in_effect(zk, tmp_path):
    if not zk.layout.jetty:
        refused(zk, tmp_path, ["--admin-server"], 7, [
            "--admin-server (ZOO_ADMIN_SERVER) asks for ZooKeeper's AdminServer, but the installation has no jetty"])
        return
    for pod in zk.ens.pods:
        ruok = json.loads(_http(f"http://{pod.ip}:{ADMIN_PORT}/commands/ruok"))
        assert ruok["command"] == "ruok" and ruok["error"] is None, ruok
        props = json.loads(_http(f"http://{pod.ip}:{ADMIN_PORT}/commands/system_properties"))
        if (props.get("error") or "").startswith("Unknown command"):
            continue  # this release cannot list its system properties
        # ZooKeeper turns the zoo.cfg keys it has no field for into zookeeper.*
        # system properties, which is where it reads these from.
        for k, v in expected_decisions(zk, pod).items():
            if not k.startswith("admin.enableServer"):
                assert props.get(f"zookeeper.{k}") == v, (k, {p: x for p, x in props.items() if "zookeeper." in p})
        h.FIGURES.append(f"{zk.layout.name}: {pod.name}'s JVM has zkpod's decisions as system properties")


def _http(url: str) -> str:
    req = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.read().decode()
    except urllib.error.HTTPError as e:
        return e.read().decode()


# 5 -------------------------------------------------------------------------


def test_prometheus_endpoint_or_a_clear_refusal(zk, tmp_path):
    """+prometheus releases serve ZooKeeper's own endpoint; on the others
    `--metrics-port` is refused before anything is written."""
    if zk.layout.name not in versions("prometheus"):
        refused_without_a_provider(zk, tmp_path)
        return
    assert zk.layout.prometheus, f"ZooKeeper {zk.layout.name}'s lib/ has no Prometheus provider"
    assert zk.scraped
    for pod in zk.scraped:
        host = pod.ip if zk.layout.release >= (3, 8, 1) else "127.0.0.1"
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


def refused_without_a_provider(zk, tmp_path):
    """zk-0's start with --metrics-port: exit 4 before 3.6, 7 without the
    provider's jar."""
    if zk.layout.release < (3, 6, 0):
        refused(zk, tmp_path, [f"--metrics-port={PROMETHEUS_PORT}"], 4, [
            f"--metrics-port (ZOO_METRICS_PORT) {PROMETHEUS_PORT} asks for ZooKeeper's own Prometheus endpoint, "
            f"which ZooKeeper {zk.layout.release_text} does not have (it came in 3.6.0)"])
    else:
        refused(zk, tmp_path, [f"--metrics-port={PROMETHEUS_PORT}"], 7, [
            "needs ZooKeeper's Prometheus provider, but the installation has no zookeeper-prometheus-metrics jar",
            "Fix: use an image or layout that ships the provider"])


def refused(zk, tmp_path, args, code, phrases):
    """zk-0's start with `args` on a scratch volume is refused with `code`
    and one line holding `phrases`; zkpod writes nothing (no data, log or
    conf dir appears)."""
    scratch = tmp_path / "pod"
    scratch.mkdir()
    os.chmod(tmp_path, 0o755)
    template = zk.ens.pods[0]
    pod = NsPod(scratch, 0, template.ip, 3, template.zkpod, peers=list(template.peers),
                extra_args=[*template.extra_args, *args])
    got, out = pod.run_to_exit(timeout=30)
    lines = [ln for ln in out.splitlines() if ln.startswith("zkpod:")]
    assert got == code and len(lines) == 1, out
    messages.assert_says(lines[0], phrases, pod.name)
    for d in (pod.data_dir, pod.data_log_dir, pod.conf_dir):
        assert not d.exists(), f"a refused start made {d}"


def _scrape(url: str):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.read().decode()
    except OSError:
        return None


# 6 -------------------------------------------------------------------------


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


# 7 -------------------------------------------------------------------------



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


# 8 -------------------------------------------------------------------------


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
