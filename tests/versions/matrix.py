"""The version matrix's helpers (issue 10): which releases it runs
(versions.txt), where each one's installation is (scripts/zk-dist.sh), and
pods in PID namespaces. Imported by the suite's conftest and tests.

Every release in versions.txt runs as a real 3-server ensemble of namespace
"pods" (the harness of the real-ZooKeeper suites), started through
`zkpod start`, on the Java runtime the image ships (scripts/jre.sh: the
jlink runtime of docker/jre-modules.txt), so every release also proves that
module set. Releases come from scripts/zk-dist.sh's cache (scripts/test-versions.sh
resolves them first; here a missing one is resolved on demand).

Each pod runs in its own PID namespace as well (`unshare --pid --fork`), so
"the JVM is PID 1" is checked literally.

Environment:
  ZK_VERSIONS      releases to run instead of versions.txt (comma or space separated)
  ZKPOD_BIN        the zkpod binary (default: the debug build)
  ZKPOD_TEST_JAVA  the java to run ZooKeeper with (default: scripts/jre.sh's runtime)

Needs root (namespaces, bind mounts); without it the suite is skipped
(conftest.py), and under scripts/test.sh a skip fails the run.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from tests.lib import harness as h
from tests.lib.procs import proc_exe, proc_status

REPO = Path(__file__).resolve().parents[2]

PROMETHEUS_CLASS = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"
PROMETHEUS_PORT = 7000
ADMIN_PORT = 8080
# The config file each slf4j binding reads (zk-dist.txt's logging= word).
CONFIG_FILE = {"logback": "logback.xml", "reload4j": "log4j.properties", "log4j": "log4j.properties"}
# What each binding prints when it finds no config or no provider: seeing it
# means ZooKeeper did not read the file zkpod wrote.
NO_CONFIG_SIGNS = (
    "No SLF4J providers were found",
    "Failed to load class \"org.slf4j.impl.StaticLoggerBinder\"",
    "log4j:WARN No appenders could be found",
    "Defaulting to no-operation",
)


def image_default_version() -> str:
    """The release the image is built with by default (docker/Dockerfile's
    ZK_VERSION), which the client checks run against."""
    for line in (REPO / "docker/Dockerfile").read_text().splitlines():
        if line.startswith("ARG ZK_VERSION="):
            return line.split("=", 1)[1].strip()
    raise LookupError("docker/Dockerfile has no `ARG ZK_VERSION=` line")


def table() -> dict[str, set[str]]:
    """versions.txt: {release: its +flags}."""
    out = {}
    for line in (Path(__file__).parent / "versions.txt").read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            out[words[0]] = {w[1:] for w in words[1:] if w.startswith("+")}
    return out


def versions(flag: Optional[str] = None) -> list[str]:
    """The releases to run ($ZK_VERSIONS, else versions.txt), or only those
    versions.txt marks +flag."""
    env = os.environ.get("ZK_VERSIONS", "").replace(",", " ").split()
    t = table()
    names = env or list(t)
    return [n for n in names if flag is None or flag in t.get(n, set())]


@dataclass(frozen=True)
class Layout:
    """One ZooKeeper installation the matrix runs."""

    name: str  # as in versions.txt
    version: str  # what `srvr` should report
    home: Optional[Path]  # --zk-home (None: Debian's jars, found by zkpod)
    logging: str  # logback, reload4j or log4j
    prometheus: bool  # the Prometheus provider jar is in lib/
    jetty: bool = True  # the AdminServer can run (jetty and the servlet API)

    @property
    def minor(self) -> tuple[int, int]:
        return self.release[:2]

    @property
    def release(self) -> tuple[int, int, int]:
        """The version as numbers, (3, 8, 6): comparable with a tuple."""
        return tuple(int(x) for x in self.version.split(".")[:3])

    @property
    def release_text(self) -> str:
        return ".".join(str(x) for x in self.release)

    @property
    def config_file(self) -> str:
        return CONFIG_FILE[self.logging]


def parse_zk_dist(text: str) -> dict[str, str]:
    """zk-dist.txt's key=value lines (without the jar list)."""
    out = {}
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep and k != "jar":
            out[k] = v
    return out


def resolve_layout(name: str) -> Layout:
    """The installation for a versions.txt entry; resolves a release with
    scripts/zk-dist.sh (from its cache when already resolved). Raises
    LookupError when it cannot."""
    if name == "debian":
        jar = Path("/usr/share/java/zookeeper.jar")
        if not jar.exists():
            raise LookupError("Debian's ZooKeeper is missing: apt-get install zookeeper")
        versioned = sorted(Path("/usr/share/java").glob("zookeeper-3*.jar"))
        version = versioned[0].name[len("zookeeper-"):-len(".jar")] if versioned else "3.8.0"
        java = Path("/usr/share/java")
        jetty = (java / "jetty9-server.jar").exists() and (java / "servlet-api.jar").exists()
        return Layout(name, version, None, "log4j", False, jetty)
    cp = subprocess.run(
        [str(REPO / "scripts/zk-dist.sh"), "--cached", name],
        capture_output=True, text=True, env={**os.environ, "ZK_DIST_PROMETHEUS": "optional"}, timeout=900,
    )
    if cp.returncode != 0:
        raise LookupError(f"scripts/zk-dist.sh could not resolve ZooKeeper {name}:\n{cp.stderr}")
    home = Path(cp.stdout.strip().splitlines()[-1])
    dist = parse_zk_dist((home / "zk-dist.txt").read_text())
    return Layout(name, dist["version"], home, dist["logging"].split()[0], dist["prometheus"] == "included")


@dataclass
class NsPod(h.Pod):
    """A harness pod that also gets its own PID namespace: `unshare --pid
    --fork --mount-proc`, so the process zkpod execs into is PID 1 there,
    as in a container. The PID the harness tracks is unshare's; the pod's
    init is its only child."""

    def argv(self) -> list[str]:
        base = super().argv()
        assert base[:3] == ["unshare", "--uts", "--mount"], base
        return ["unshare", "--uts", "--mount", "--pid", "--fork", "--mount-proc", *base[3:]]

    def init_pid(self, timeout: float = 30.0) -> int:
        """The host PID of the pod's PID 1, once it has become the JVM."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.exited() is not None:
                raise h.HarnessError(f"{self.name} exited with {self.proc.exited()}:\n{self.proc.tail()}")
            kids = children(self.proc.pid)
            if len(kids) == 1 and os.path.basename(proc_exe(kids[0])) == "java":
                return kids[0]
            time.sleep(0.05)
        raise h.HarnessError(f"{self.name}: no JVM as the only child of {self.proc.pid} after {timeout:.0f} s")


def children(pid: int) -> list[int]:
    """PIDs whose parent is `pid`."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid:
                out.append(int(d))
    return sorted(out)


def ns_pid(pid: int) -> list[int]:
    """The PIDs of `pid` in each PID namespace it is in, outermost first."""
    return [int(x) for x in proc_status(pid).get("NSpid", "").split()]


def ensemble(base: Path, zkpod: Path, args: list[str]) -> h.Ensemble:
    """A 3-server harness ensemble whose pods run in PID namespaces."""
    ens = h.Ensemble(base, zkpod, size=3, extra_args=args)
    ens.pods = [NsPod(**{f.name: getattr(p, f.name) for f in dataclasses.fields(p)}) for p in ens.pods]
    return ens




def parse_properties(text: str) -> dict[str, str]:
    """zoo.cfg's key=value lines (later ones win), comments skipped."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")) and "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def zkpod_run(zkpod: Path, *args, timeout: float = 20.0) -> subprocess.CompletedProcess:
    """Runs zkpod with a wall-clock limit."""
    return subprocess.run([str(zkpod), *map(str, args)], capture_output=True, text=True, timeout=timeout)
