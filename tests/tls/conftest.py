"""Fixtures of the TLS suite (issue 13): a test CA and per-pod certificates
in cert-manager's Secret layout (made with openssl at test time), and
three ZooKeeper pods started through `zkpod start --tls-dir`, each in its
own network namespace on a bridge with no route off the machine (so each
pod has its own 127.0.0.1, where zkpod keeps the plaintext client port).

Needs root (network namespaces, unshare, bind mounts), iproute2, openssl,
a JRE, kazoo, and ZooKeeper 3.9.4 from Maven Central (scripts/zk-dist.sh,
cached in /var/cache/zkpod/zk-dist). Takes the namespace suites' lock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from tests.lib import harness as h
from tests.lib import needs, pki
from tests.lib.fourlw import four_letter_tls, parse_srvr_mode
from tests.lib.hosts import DOMAIN
from tests.lib.netns import PodNet
from tests.lib.wait import wait_until

REPO = Path(__file__).resolve().parents[2]
ZK_VERSION = os.environ.get("ZKPOD_TLS_ZK", "3.9.4")
SUBNET = os.environ.get("ZKPOD_TLS_SUBNET", "10.213.13")
SECURE_PORT = 2281
SIZE = 3


@dataclass
class NetPod(h.Pod):
    """A harness pod in its own network namespace, with --tls-dir."""

    net: Optional[PodNet] = None

    def start_args(self) -> list[str]:
        args = super().start_args()
        i = args.index("--client_address")
        del args[i:i + 2]  # TLS-only: the plaintext port is zkpod's choice (127.0.0.1)
        return args

    def argv(self) -> list[str]:
        return [*self.net.exec(self.name), *super().argv()]

    @property
    def fqdn(self) -> str:
        return f"{self.name}.{DOMAIN}"

    @property
    def secret(self) -> Path:
        return self.home / "secret"

    def in_pod(self, *argv: str, timeout: float = 20) -> subprocess.CompletedProcess:
        """Runs a command in this pod's network namespace."""
        return subprocess.run([*self.net.exec(self.name), *argv], capture_output=True, text=True,
                              timeout=timeout)

    def run_zkpod(self, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
        """`zkpod ARGS --conf_dir <this pod's>` in the pod's network, as the
        kubelet runs an exec probe."""
        return self.in_pod(str(self.zkpod), *args, "--conf_dir", str(self.conf_dir), timeout=timeout)


@dataclass
class Tls:
    """The ensemble and what a test needs to talk to it."""

    base: Path
    zk_home: Path
    ca: pki.Ca
    client: Path  # a client certificate's Secret-layout dir
    net: PodNet
    pods: list[NetPod]
    joiner: Optional[NetPod] = None
    password: Optional[Path] = None

    def srvr(self, pod: NetPod, timeout: float = 3.0) -> str:
        return four_letter_tls(pod.ip, SECURE_PORT, "srvr", ca=str(self.ca.cert),
                               cert=str(self.client / "tls.crt"), key=str(self.client / "tls.key"),
                               server_hostname=pod.fqdn, timeout=timeout)

    def mode(self, pod: NetPod) -> Optional[str]:
        try:
            return parse_srvr_mode(self.srvr(pod))
        except OSError:
            return None

    def modes(self, pods=None) -> dict[str, Optional[str]]:
        return {p.name: self.mode(p) for p in (pods or self.pods)}

    def wait_quorum(self, pods=None, timeout: float = 90) -> dict[str, Optional[str]]:
        pods = pods or self.pods

        def ok():
            m = self.modes(pods)
            return m if sorted(m.values(), key=str).count("leader") == 1 and all(
                v in ("leader", "follower") for v in m.values()) else None

        return wait_until(f"one leader and {len(pods) - 1} followers over TLS", ok, timeout,
                          interval=1.0, on_fail=self.logs)

    def logs(self, n: int = 80) -> str:
        return "\n".join(f"----- {p.name} -----\n{p.proc.tail(n) if p.proc else '(never started)'}"
                         for p in self.pods)


def zk_dist(dest: Path) -> Path:
    r = subprocess.run([str(REPO / "scripts/zk-dist.sh"), ZK_VERSION, str(dest)], capture_output=True,
                       text=True, timeout=1800)
    if r.returncode != 0:
        pytest.fail(f"scripts/zk-dist.sh {ZK_VERSION} failed:\n{r.stdout}{r.stderr}", pytrace=False)
    return dest


@pytest.fixture(scope="session")
def zkpod_bin(zkpod_snapshot):
    """The binary under test (tests/conftest.py's snapshot), after the root
    check and the namespace suites' lock."""
    reason = needs.root("network namespaces, unshare, bind mounts", "sudo scripts/test-tls.sh")
    if reason:
        pytest.skip(reason)
    missing = [t for t in ("ip", "openssl", "unshare", "java") if not shutil.which(t)]
    if missing:
        pytest.fail(f"missing for the TLS suite: {', '.join(missing)} (scripts/install-deps.sh)", pytrace=False)
    f = h.lock(block=True)
    yield zkpod_snapshot
    f.close()


@pytest.fixture(scope="module")
def tls(zkpod_bin, request):
    base = Path(tempfile.mkdtemp(prefix="zkpod-tls-", dir="/tmp"))
    os.chmod(base, 0o755)
    zk_home = zk_dist(base / "zookeeper")
    ca = pki.make_ca(base / "ca")
    client = pki.issue(ca, base / "client", ["zkpod-test-client"], usages=("clientAuth",))
    net = PodNet("zkt", SUBNET).up()
    # The superuser password zkpod join/leave reconfigure with (the Secret zk-auth).
    password = base / "password"
    password.write_text("tls-suite-superuser\n")
    os.chmod(password, 0o444)
    pods: list[NetPod] = []
    # One more pod than the initial members: the joiner of test_a_fourth_server_joins.
    peers = [(f"zk-{i}", f"{SUBNET}.{10 + i}") for i in range(SIZE + 1)]
    for i in range(SIZE + 1):
        addr = net.add(f"zk-{i}", 10 + i)
        pod = NetPod(base, i, addr, SIZE, zkpod_bin, peers=peers, net=net,
                     extra_args=["--zk-home", str(zk_home), "--tls-dir", str(base / f"zk-{i}" / "secret")],
                     env={"ZOO_SUPERUSER_PASSWORD_FILE": str(password)})
        pod.home.mkdir()
        os.chmod(pod.home, 0o755)
        pki.issue(ca, pod.secret, [pod.fqdn])
        pods.append(pod)
    joiner = pods.pop()
    t = Tls(base, zk_home, ca, client, net, pods)
    t.joiner = joiner
    t.password = password
    failed_before = request.session.testsfailed
    try:
        for p in pods:
            p.start()
        yield t
    finally:
        failed = request.session.testsfailed > failed_before
        if failed:
            print("\n" + t.logs())
        for p in [*pods, joiner]:
            p.stop()
        net.down()
        if not failed:
            shutil.rmtree(base, ignore_errors=True)
