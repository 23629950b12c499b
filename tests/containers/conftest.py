"""Fixtures of the container end-to-end suite (issue 4): the rendered pod
template, three planned pods, and clean-up of every container and volume the
suite made, even when a test fails.

Environment:
  E2E_NET      loopback prefix; pod N gets <E2E_NET>N (default 127.0.0.1 -> .10-.12)
  E2E_PREFIX   name prefix of containers and volumes (default from E2E_NET)
  E2E_UID      the arbitrary uid the pods run as, with gid 0 (default 1000770000)
  E2E_OVERLAY  which overlay's StatefulSet to run (default dev)
  ZKPOD_IMAGE  image to run (default: the one the overlay names)
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.containers.podman_pod import Pod, sh
from tests.containers.podspec import PodPlan, pod_address
from tests.lib.k8s import ROOT, one, render

NET = os.environ.get("E2E_NET", "127.0.0.1")
PREFIX = os.environ.get("E2E_PREFIX", "zkpod-e2e-" + NET.replace(".", "-"))
UID = int(os.environ.get("E2E_UID", "1000770000"))
OVERLAY = os.environ.get("E2E_OVERLAY", "dev")
NAMESPACE = "default"

FIGURES = {}
REPORT = ROOT / ".tmp" / f"e2e-report-{PREFIX}.json"


def figure(name, value):
    """Records a measured figure for the summary and the JSON report."""
    FIGURES[name] = value


def _cleanup():
    """Removes every container and volume labelled with this run's prefix."""
    label = f"label=zkpod-e2e={PREFIX}"
    containers = sh(["podman", "ps", "-a", "-q", "--filter", label], check=False).stdout.split()
    if containers:
        sh(["podman", "rm", "--force", "--time", "0", *containers], check=False, timeout=120)
    volumes = sh(["podman", "volume", "ls", "-q", "--filter", label], check=False).stdout.split()
    if volumes:
        sh(["podman", "volume", "rm", "--force", *volumes], check=False, timeout=120)


@pytest.fixture(scope="session")
def sts():
    return one(render(OVERLAY), "StatefulSet")


@pytest.fixture(scope="session")
def image(sts):
    """The image under test; fails when it has not been built."""
    name = os.environ.get("ZKPOD_IMAGE") or sts["spec"]["template"]["spec"]["containers"][0]["image"]
    if sh(["podman", "image", "exists", name], check=False).returncode != 0:
        pytest.fail(f"image {name} not found: the suite runs the built image; fix: scripts/build-image.sh")
    return name


@pytest.fixture(scope="session")
def pods(sts, image):
    for i in range(sts["spec"]["replicas"]):
        pod_address(NET, i)  # fails early on a bad E2E_NET
    plans = [PodPlan(sts, i, net=NET, prefix=PREFIX, namespace=NAMESPACE, uid=UID, image=image)
             for i in range(sts["spec"]["replicas"])]
    _cleanup()  # leftovers of an interrupted run with the same prefix
    hosts_dir = tempfile.mkdtemp(prefix=f"{PREFIX}-hosts-")
    started = time.monotonic()
    try:
        ps = [Pod(p, hosts_dir) for p in plans]
        for p in ps:
            p.create_volumes()
        yield ps
    finally:
        for p in plans:
            log = sh(["podman", "logs", p.container_name], check=False)
            if log.returncode == 0:
                out = ROOT / ".tmp" / f"{p.container_name}.log"
                out.parent.mkdir(exist_ok=True)
                out.write_text(log.stdout + log.stderr)
        _cleanup()
        subprocess.run(["rm", "-rf", hosts_dir], check=False)
        figure("suite_seconds_without_build", round(time.monotonic() - started, 1))


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(FIGURES, indent=2) + "\n")
    terminalreporter.section("zkpod container e2e figures")
    for k, v in FIGURES.items():
        terminalreporter.write_line(f"{k}: {v}")
    terminalreporter.write_line(f"(also in {REPORT})")
