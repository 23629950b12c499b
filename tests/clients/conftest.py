"""Fixtures of the client checks (tests/clients): a real 3-server ensemble of
the image's default release (docker/Dockerfile ZK_VERSION), started through
`zkpod start` on the image's jlink runtime, per test module; and the Java
checks, built with Maven from tests/clients/java (scripts/test-clients.sh
builds them first; here they are built on demand).

The namespace-pod lock, the zkpod snapshot and the runtime come from the
version matrix's fixtures. Every JVM of a check runs in its own UTS+mount
namespace with a hosts file naming every peer, so no name lookup leaves the
machine; the Kafka broker listens on 127.0.0.30.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.lib import harness as h
from tests.versions.conftest import java, lock, zkpod_bin  # noqa: F401 (fixtures)
from tests.versions.matrix import REPO, image_default_version, resolve_layout

OUT = Path(os.environ.get("ZKPOD_CLIENTS_OUT", "/var/cache/zkpod/clients"))


@pytest.fixture(scope="session")
def checks(lock) -> Path:
    """The built Java checks: OUT/<module>/{classes,lib}."""
    cp = subprocess.run(
        ["mvn", "-B", "-q", "-ntp", "-f", str(REPO / "tests/clients/java/pom.xml"), f"-Dzkpod.clients.out={OUT}",
         "package"],
        capture_output=True, text=True, timeout=1200,
    )
    if cp.returncode != 0:
        pytest.fail(f"the Java checks did not build:\n{cp.stdout[-3000:]}{cp.stderr[-2000:]}", pytrace=False)
    return OUT


@pytest.fixture(scope="module")
def ensemble(request, zkpod_bin, java):  # noqa: F811 (fixtures by name)
    """Three servers of the image's default release, serving."""
    try:
        layout = resolve_layout(image_default_version())
    except LookupError as e:
        pytest.fail(str(e), pytrace=False)
    base = Path(tempfile.mkdtemp(prefix="zkpod-clients-", dir="/tmp"))
    os.chmod(base, 0o755)
    ens = h.Ensemble(base, zkpod_bin, size=3, extra_args=["--java", str(java), "--zk-home", str(layout.home)])
    failed = request.session.testsfailed
    t0 = time.monotonic()
    ens.start()
    try:
        ens.wait_quorum()
        h.FIGURES.append(f"{request.module.__name__}: ZooKeeper {layout.version} quorum in "
                         f"{time.monotonic() - t0:.1f} s")
        yield ens
    finally:
        ens.stop()
        if request.session.testsfailed > failed:
            print(f"\nkept {base} for inspection\n{ens.logs(40)}")
        else:
            shutil.rmtree(base, ignore_errors=True)


def pytest_terminal_summary(terminalreporter):
    if h.FIGURES:
        terminalreporter.section("measured")
        for f in h.FIGURES:
            terminalreporter.write_line(f)
