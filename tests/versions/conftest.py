"""Fixtures of the version matrix (tests/versions; helpers in matrix.py):
the machine-wide namespace-pod lock, a snapshot of the zkpod binary, and the
java ZooKeeper runs on (the image's jlink runtime, built by scripts/jre.sh).

Without root every test that starts a server is skipped with the reason;
scripts/test.sh turns a skip into a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lib import harness as h
from tests.lib import needs
from tests.lib.fourlw import CLIENT_PORT, port_open
from tests.versions.matrix import REPO


@pytest.fixture(scope="session")
def lock():
    """The machine-wide lock of the namespace suites (fixed addresses)."""
    reason = needs.root("unshare --uts --mount --pid, a bind-mounted /etc/hosts, chown to --user",
                        "sudo scripts/test-versions.sh")
    if reason:
        pytest.skip(reason)
    f = h.lock(block=False)
    if f is None:
        print(f"waiting for another namespace suite to release {h.LOCK_PATH} ...", file=sys.stderr)
        f = h.lock(block=True)
    taken = [ip for ip in h.ENSEMBLE_IPS if port_open(ip, CLIENT_PORT)]
    if taken:
        f.close()
        pytest.fail(f"port {CLIENT_PORT} is already in use on {', '.join(taken)}: stop that server first",
                    pytrace=False)
    yield
    f.close()


@pytest.fixture(scope="session")
def zkpod_bin(lock, zkpod_snapshot):
    """A snapshot of the zkpod binary under test (a cargo build meanwhile
    would replace the artifact under a running probe)."""
    return zkpod_snapshot


@pytest.fixture(scope="session")
def java(lock) -> Path:
    """The java ZooKeeper runs on: the image's jlink runtime, built here."""
    env = os.environ.get("ZKPOD_TEST_JAVA")
    if env:
        return Path(env)
    cp = subprocess.run([str(REPO / "scripts/jre.sh")], capture_output=True, text=True, timeout=600)
    if cp.returncode != 0:
        pytest.fail(f"scripts/jre.sh failed:\n{cp.stderr}", pytrace=False)
    return Path(cp.stdout.strip().splitlines()[-1]) / "bin" / "java"




def pytest_terminal_summary(terminalreporter):
    if h.FIGURES:
        terminalreporter.section("measured")
        for f in h.FIGURES:
            terminalreporter.write_line(f)
