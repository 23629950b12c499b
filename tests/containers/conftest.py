"""Fixtures of the container suite (issue 4): the rendered pod template, three
planned pods, and clean-up of every container and volume the suite made, even
when a test fails. Settings come from the environment (settings.py).

Every test that runs a container goes through `rootful_podman`, which skips
it with a reason when not root or without podman; `sts` skips without kubectl.
"""

import json
import os
import subprocess
import tempfile
import time

import pytest

from tests.containers import statefulset
from tests.containers.podman_pod import Pod, remove_labelled, sh
from tests.containers.podspec import PodPlan, pod_address
from tests.containers.settings import FIGURES, NAMESPACE, NET, OVERLAY, PREFIX, REPORT, UID, figure
from tests.lib import needs
from tests.lib.k8s import ROOT, KubectlUnavailable, one, render


def _cleanup():
    """Removes every container and volume labelled with this run's prefix."""
    remove_labelled(PREFIX)


@pytest.fixture(scope="session")
def rendered():
    """Every resource of the overlay under test, rendered with kubectl."""
    try:
        return render(OVERLAY)
    except KubectlUnavailable as e:
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def sts(rendered):
    """The StatefulSet of the overlay under test."""
    return one(rendered, "StatefulSet")


@pytest.fixture(scope="session")
def secret_dirs(rendered, sts):
    """Host dirs standing in for the Secret volumes, as the kubelet projects
    them: each key a file, group 0, mode 0440 (the manifest's defaultMode).
    A Secret the overlay renders (dev) gives its own data; one it expects
    the operator to create gets a random password, as the README says."""
    import secrets as random

    from tests.containers.podspec import secret_files, secret_names

    made = {}
    for name in secret_names(sts):
        found = [d for d in rendered if d["kind"] == "Secret" and d["metadata"]["name"] == name]
        files = secret_files(found[0]) if found else {"password": random.token_urlsafe(24).encode()}
        d = tempfile.mkdtemp(prefix=f"{PREFIX}-secret-")
        os.chmod(d, 0o755)
        for key, value in files.items():
            path = os.path.join(d, key)
            with open(path, "wb") as f:
                f.write(value)
            os.chown(path, 0, 0)
            os.chmod(path, 0o440)
        made[name] = d
    yield made
    for d in made.values():
        subprocess.run(["rm", "-rf", d], check=False)


@pytest.fixture(scope="session")
def podman():
    """Skips without podman (the binary itself is enough)."""
    reason = needs.tools({"podman": "scripts/setup-podman.sh installs it"})
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def rootful_podman(podman):
    """Skips unless podman can run the suite's containers: as root. The pods
    share the host's loopback addresses (--network host), their volumes are
    read from the host, they run as uid 1000770000, and the image is built
    in root's storage (scripts/build-image.sh)."""
    reason = needs.root(
        "rootful podman: host-network pods on loopback, volumes read from the host, uid 1000770000",
        "sudo scripts/test-containers.sh",
    )
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def image(sts, rootful_podman):
    """The image under test; fails when it has not been built."""
    name = os.environ.get("ZKPOD_IMAGE") or sts["spec"]["template"]["spec"]["containers"][0]["image"]
    if sh(["podman", "image", "exists", name], check=False).returncode != 0:
        pytest.fail(f"image {name} not found: the suite runs the built image; fix: scripts/build-image.sh")
    return name


@pytest.fixture(scope="session")
def pods(sts, image, secret_dirs):
    for i in range(sts["spec"]["replicas"]):
        pod_address(NET, i)  # fails early on a bad E2E_NET
    plans = [PodPlan(sts, i, net=NET, prefix=PREFIX, namespace=NAMESPACE, uid=UID, image=image,
                     secrets=secret_dirs)
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing membership test's report ends with its pods' logs."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and statefulset.ACTIVE:
        rep.sections.append(("pods' logs (last lines)", "\n".join(s.logs() for s in statefulset.ACTIVE)))


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(FIGURES, indent=2) + "\n")
    terminalreporter.section("zkpod container suite figures")
    for k, v in FIGURES.items():
        terminalreporter.write_line(f"{k}: {v}")
    terminalreporter.write_line(f"(also in {REPORT})")
