"""pytest fixtures of the namespace-pod suite (tests/namespaces).

Every server a test starts is registered with a `Lab`; the lab stops them all
(process-group kill) when the test or module ends, even on failure, and a
failing test gets the tail of every server's output in its report.

Needs root (namespaces, bind mounts): without it every test that starts a
server (every test using the `zkpod_bin` fixture, through `lab`, `module_lab`
or `zkpod`) is skipped with a reason saying so, not passed. Missing packages
as root fail the run, naming the package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.lib import harness as h
from tests.lib import needs
from tests.lib.fourlw import CLIENT_PORT, port_open

# Labs alive right now (their servers' logs go into failure reports).
_ACTIVE: list["Lab"] = []

NEEDS = {
    "unshare": "util-linux",
    "setpriv": "util-linux",
    "java": "openjdk-17-jre-headless",
}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and _ACTIVE:
        parts = []
        for lab in _ACTIVE:
            parts.append(lab.logs())
        rep.sections.append(("ZooKeeper server output (last lines)", "\n".join(parts)))


def pytest_terminal_summary(terminalreporter):
    if h.FIGURES:
        terminalreporter.section("measured")
        for f in h.FIGURES:
            terminalreporter.write_line(f)


@pytest.fixture(scope="session")
def zkpod_bin(ns_lock, zkpod_snapshot):
    """The zkpod binary under test ($ZKPOD_BIN, else the debug build), copied
    to a scratch dir for the session."""
    missing = [f"{tool} (apt-get install {pkg})" for tool, pkg in NEEDS.items() if not shutil.which(tool)]
    if not Path("/usr/share/java/zookeeper.jar").exists():
        missing.append("/usr/share/java/zookeeper.jar (apt-get install zookeeper)")
    if missing:
        pytest.fail("missing for the namespace-pod tests: " + ", ".join(missing), pytrace=False)
    return zkpod_snapshot


@pytest.fixture(scope="session")
def ns_lock():
    """Skips without root; then one namespace-pod run at a time: the addresses
    are fixed. Also refuses to run over a local ensemble that is up on the
    same addresses."""
    reason = needs.root(
        "unshare --uts --mount, a bind-mounted /etc/hosts, chown to --user",
        "sudo python3 -m pytest tests/namespaces",
    )
    if reason:
        pytest.skip(reason)
    f = h.lock(block=False)
    if f is None:
        print(f"waiting for another namespace-pod run to release {h.LOCK_PATH} ...", file=sys.stderr)
        f = h.lock(block=True)
    taken = [ip for ip in h.ENSEMBLE_IPS + ["127.0.0.20", "127.0.0.21"] if port_open(ip, CLIENT_PORT)]
    if taken:
        f.close()
        pytest.fail(
            f"port {CLIENT_PORT} is already in use on {', '.join(taken)}: a local ensemble "
            f"(scripts/local-ensemble.sh down) or a leftover server holds the test addresses",
            pytrace=False,
        )
    yield
    f.close()


class Lab:
    """A scratch directory plus every server started in it; `close()` stops
    them all and removes the directory (kept when a test failed)."""

    def __init__(self, zkpod: Path, label: str):
        self.zkpod = zkpod
        self.base = Path(tempfile.mkdtemp(prefix=f"zkpod-ns-{label}-", dir="/tmp"))
        # The JVM runs as uid 1000 or an arbitrary uid: it must traverse this.
        os.chmod(self.base, 0o755)
        self.things: list = []
        self.failed = False

    def ensemble(self, size: int = 3, **kw) -> h.Ensemble:
        e = h.Ensemble(self.base / f"ens{len(self.things)}", self.zkpod, size=size, **kw)
        e.base.mkdir()
        os.chmod(e.base, 0o755)
        self.things.append(e)
        return e

    def pod(self, ip: str, servers: int = 1, index: int = 0, **kw) -> h.Pod:
        base = self.base / f"pod{len(self.things)}"
        base.mkdir()
        os.chmod(base, 0o755)
        p = h.Pod(base, index, ip, servers, self.zkpod, **kw)
        self.things.append(p)
        return p

    def java(self, ip: str, cfg_lines: list[str]) -> h.JavaServer:
        s = h.JavaServer(self.base / f"java{len(self.things)}", ip, cfg_lines)
        self.things.append(s)
        return s

    def logs(self) -> str:
        out = []
        for t in self.things:
            if hasattr(t, "logs"):  # an Ensemble or a StatefulSet
                out.append(t.logs())
            else:
                name = getattr(t, "name", None) or getattr(t, "ip", "?")
                log = t.proc.log if t.proc else None
                body = t.proc.tail(80) if t.proc else "(never started)"
                out.append(f"----- {name} ({log}) -----\n{body}")
        return "\n".join(out)

    def close(self) -> None:
        for t in self.things:
            t.stop()
        if self.failed:
            print(f"\nkept {self.base} for inspection", file=sys.stderr)
        else:
            shutil.rmtree(self.base, ignore_errors=True)


def _open_lab(request, zkpod_bin, label):
    lab = Lab(zkpod_bin, label)
    _ACTIVE.append(lab)
    return lab


def _close_lab(request, lab, failed):
    lab.failed = failed
    _ACTIVE.remove(lab)
    lab.close()


@pytest.fixture
def lab(request, zkpod_bin):
    """A per-test lab: servers started in it are stopped after the test."""
    lab = _open_lab(request, zkpod_bin, request.node.name[:20].replace("[", "_").replace("]", ""))
    failed_before = request.session.testsfailed
    yield lab
    _close_lab(request, lab, request.session.testsfailed > failed_before)


@pytest.fixture(scope="module")
def module_lab(request, zkpod_bin):
    """A lab shared by the tests of one module (a server they all probe)."""
    lab = _open_lab(request, zkpod_bin, request.module.__name__.split(".")[-1][:20])
    failed_before = request.session.testsfailed
    yield lab
    _close_lab(request, lab, request.session.testsfailed > failed_before)


@pytest.fixture(scope="session")
def zkpod(zkpod_bin):
    """Runs zkpod with a wall-clock limit; returns (CompletedProcess, seconds)."""

    def run(*args, timeout: float = 20.0):
        t0 = time.monotonic()
        cp = subprocess.run([str(zkpod_bin), *map(str, args)], capture_output=True, text=True, timeout=timeout)
        return cp, time.monotonic() - t0

    return run
