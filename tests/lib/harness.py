#!/usr/bin/env python3
"""The namespace-pod harness: real ZooKeeper pods without a cluster.

Each ZooKeeper server runs as a "pod": its own UTS and mount namespace
(`unshare --uts --mount`), its own hostname (`zk-N`) and its own `/etc/hosts`
(bind-mounted, written the way the kubelet writes it), and its own loopback
address (zk-N -> 127.0.0.1N). Inside, `sh` execs `zkpod start`, which execs
the JVM, so the PID we started *is* the java process once it is up.

Used by the pytest suites (tests/namespaces/) and, through
tests/lib/statefulset.py and tests/lib/local_ensemble.py, by
scripts/local-ensemble.sh.

Needs root (namespaces, bind mounts), util-linux, a JRE and Debian's
zookeeper package; only the Python standard library (no pytest, no kazoo), so
the CLI runs on a machine set up for a local ensemble only. Traffic stays on
loopback. The pure parts are tested in test_helpers.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

REPO = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):  # run as a script: python3 tests/lib/harness.py
    sys.path.insert(0, str(REPO))

from tests.lib.fourlw import CLIENT_PORT, SERVING_MODES, server_mode  # noqa: E402
from tests.lib.hosts import kubelet_hosts, no_dns_resolv_conf  # noqa: E402
from tests.lib.procs import kill_group, proc_cmdline, proc_exe  # noqa: E402
from tests.lib.wait import wait_until  # noqa: E402

# zk-N -> 127.0.0.1N. 127.0.0.2x is for standalone and odd servers.
# Every pod address a StatefulSet of the harness may use (zk-0..zk-9).
ENSEMBLE_IPS = [f"127.0.0.1{i}" for i in range(10)]
QUORUM_TIMEOUT = 60.0
# The classpath that makes Debian's zookeeper 3.8.0 log through log4j 1.2.
DEBIAN_CLASSPATH = ":".join(
    [
        "/etc/zookeeper/conf",
        "/usr/share/java/zookeeper.jar",
        "/usr/share/java/slf4j-log4j12.jar",
        "/usr/share/java/log4j-1.2.jar",
    ]
)
MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
# One namespace-pod run at a time on this machine: the addresses above are
# fixed. (The file keeps its old name: every worktree on the machine takes it.)
LOCK_PATH = "/tmp/zkpod-e2e.lock"
# Figures the pytest suites measure, printed at the end of the run.
FIGURES: list[str] = []


class HarnessError(RuntimeError):
    """A harness step failed; the message says which pod and what happened."""


# --------------------------------------------------------------------------
# Locating things


def zkpod_binary(profile: str = "debug") -> Path:
    """The zkpod binary under test: $ZKPOD_BIN, else the cargo artifact."""
    env = os.environ.get("ZKPOD_BIN")
    path = Path(env) if env else REPO / "target/x86_64-unknown-linux-gnu" / profile / "zkpod"
    if not path.is_file() or not os.access(path, os.X_OK):
        raise HarnessError(
            f"zkpod binary {path} not found or not executable: build it with "
            f"`cargo build{' --release' if profile == 'release' else ''}` or set ZKPOD_BIN"
        )
    return path


@contextlib.contextmanager
def binary_snapshot(prefix: str, profile: str = "debug"):
    """A private copy of the zkpod binary under test for a session: a `cargo
    build` meanwhile in the same checkout replaces the artifact, and a probe
    exec'd at that moment would fail. Raises HarnessError without a binary."""
    built = zkpod_binary(profile)
    snap_dir = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        os.chmod(snap_dir, 0o755)
        snap = snap_dir / "zkpod"
        shutil.copy2(built, snap)
        os.chmod(snap, 0o755)
        yield snap
    finally:
        shutil.rmtree(snap_dir, ignore_errors=True)


def java_binary() -> str:
    """`java` from $JAVA_HOME, else from PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin/java"), os.X_OK):
        return os.path.join(home, "bin/java")
    for d in os.environ.get("PATH", "/usr/bin").split(":"):
        p = os.path.join(d, "java")
        if os.access(p, os.X_OK):
            return p
    raise HarnessError("java not found on PATH: apt-get install openjdk-17-jre-headless")


def ensemble_ip(index: int) -> str:
    """zk-N's loopback address (zk-0 = 127.0.0.10)."""
    if not 0 <= index <= 9:
        raise HarnessError(f"ordinal {index} has no 127.0.0.1N address (0..9 only)")
    return f"127.0.0.1{index}"


# --------------------------------------------------------------------------
# Processes


@dataclass
class Proc:
    """A started process in its own session (pid == pgid), output in a file."""

    name: str
    argv: list[str]
    log: Path
    popen: Optional[subprocess.Popen] = None
    pid: int = 0

    def start(self, env: Optional[dict] = None) -> "Proc":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            out.write(f"### {time.strftime('%H:%M:%S')} start: {shlex.join(self.argv)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
            )
        self.pid = self.popen.pid
        return self

    def exited(self) -> Optional[int]:
        """The exit status if the process has ended, else None."""
        if self.popen is not None:
            return self.popen.poll()
        return None if Path(f"/proc/{self.pid}").exists() else -1

    def wait(self, timeout: float) -> int:
        """Waits for the process to end; raises HarnessError on timeout."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"{self.name}: still running after {timeout:.0f} s") from None

    def stop(self) -> Optional[int]:
        kill_group(self.pid)
        if self.popen is not None:
            try:
                return self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                return None
        return None

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, n: int = 60) -> str:
        lines = self.output().splitlines()
        return "\n".join(lines[-n:])


# --------------------------------------------------------------------------
# Pods


@dataclass
class Pod:
    """One ZooKeeper server started through `zkpod start` in namespaces.

    Layout under `base`: zk-N/{data,datalog,conf}, zk-N/hosts (bind-mounted
    over /etc/hosts), zk-N/server.log (stdout+stderr of every start).
    """

    base: Path
    index: int
    ip: str
    servers: int
    zkpod: Path
    peers: list[tuple[str, str]] = field(default_factory=list)
    # "UID:GID" to drop to with setpriv before exec'ing zkpod (non-root pod).
    run_as: Optional[str] = None
    extra_args: list[str] = field(default_factory=list)
    heap: str = "128M"
    proc: Optional[Proc] = None
    # Environment variables for the container (the manifest's env), on top
    # of this process's.
    env: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"zk-{self.index}"

    @property
    def home(self) -> Path:
        return self.base / self.name

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def data_log_dir(self) -> Path:
        return self.home / "datalog"

    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    @property
    def hosts_file(self) -> Path:
        return self.home / "hosts"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    @property
    def connect(self) -> str:
        return f"{self.ip}:{CLIENT_PORT}"

    def start_args(self) -> list[str]:
        """The `zkpod start` flags for this pod."""
        return [
            "start",
            "--servers",
            str(self.servers),
            "--data_dir",
            str(self.data_dir),
            "--data_log_dir",
            str(self.data_log_dir),
            "--conf_dir",
            str(self.conf_dir),
            "--client_address",
            self.ip,
            "--heap",
            self.heap,
            *self.extra_args,
        ]

    def argv(self) -> list[str]:
        """unshare + sh: hostname, bind the hosts file and a resolv.conf that
        keeps every lookup on the machine, (drop privileges), exec zkpod."""
        inner = [str(self.zkpod), *self.start_args()]
        drop = ""
        if self.run_as:
            uid, gid = self.run_as.split(":")
            drop = f"setpriv --reuid={uid} --regid={gid} --clear-groups "
        script = (
            f"hostname {shlex.quote(self.name)} && "
            f"mount --bind {shlex.quote(str(self.hosts_file))} /etc/hosts && "
            f"mount --bind {shlex.quote(str(no_dns_resolv_conf()))} /etc/resolv.conf && "
            f"exec {drop}{shlex.join(inner)}"
        )
        return ["unshare", "--uts", "--mount", "sh", "-c", script]

    def prepare(self) -> None:
        """Creates the pod dir (unless the test made it) and its hosts file;
        not the data dirs: zkpod does."""
        if not self.home.exists():
            self.home.mkdir(parents=True)
            os.chmod(self.home, 0o755)  # uid 1000 must traverse it
        self.hosts_file.write_text(kubelet_hosts(self.name, self.ip, self.peers))
        os.chmod(self.hosts_file, 0o644)

    def start(self) -> Proc:
        self.prepare()
        env = {**os.environ, **self.env} if self.env else None
        self.proc = Proc(self.name, self.argv(), self.log).start(env=env)
        return self.proc

    def run_to_exit(self, timeout: float = 30.0) -> tuple[int, str]:
        """Starts the pod expecting zkpod to refuse: returns (exit code, the
        output of this start only)."""
        before = len(self.output())
        proc = self.start()
        try:
            code = proc.wait(timeout)
        except HarnessError:
            proc.stop()
            raise HarnessError(
                f"{self.name}: expected zkpod to refuse and exit, but it is still running "
                f"after {timeout:.0f} s:\n{self.output()[before:]}"
            ) from None
        return code, self.output()[before:]

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def running(self) -> bool:
        return self.proc is not None and self.proc.exited() is None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def java_pid(self, timeout: float = 30.0) -> int:
        """Waits until the started PID has become the JVM (exec chain:
        unshare -> sh -> zkpod -> java) and returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.exited() is not None:
                raise HarnessError(
                    f"{self.name} exited with {self.proc.exited()} before java ran:\n{self.proc.tail()}"
                )
            if os.path.basename(proc_exe(self.proc.pid)) == "java":
                return self.proc.pid
            time.sleep(0.05)
        raise HarnessError(
            f"{self.name}: pid {self.proc.pid} is still {proc_exe(self.proc.pid)!r} after {timeout:.0f} s"
        )


@dataclass
class JavaServer:
    """A ZooKeeper started with plain java on a zoo.cfg we write ourselves
    (Debian's default config, or a harness self-check without zkpod)."""

    home: Path
    ip: str
    cfg_lines: list[str]
    heap: str = "128M"
    proc: Optional[Proc] = None

    @property
    def connect(self) -> str:
        return f"{self.ip}:{CLIENT_PORT}"

    def start(self) -> Proc:
        self.home.mkdir(parents=True, exist_ok=True)
        cfg = self.home / "zoo.cfg"
        cfg.write_text("\n".join(self.cfg_lines) + "\n")
        argv = [
            java_binary(),
            f"-Xmx{self.heap}",
            f"-Xms{self.heap}",
            "-Dzookeeper.root.logger=INFO,CONSOLE",
            f"-Dzookeeper.log.dir={self.home}",
            "-cp",
            DEBIAN_CLASSPATH,
            MAIN_CLASS,
            str(cfg),
        ]
        self.proc = Proc(f"java@{self.ip}", argv, self.home / "server.log").start()
        return self.proc

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


def debian_default_cfg(data_dir: Path, ip: str) -> list[str]:
    """Debian's example zoo.cfg with only dataDir, clientPort and
    clientPortAddress changed (its 4lw whitelist stays the default: srvr)."""
    src = Path("/etc/zookeeper/conf_example/zoo.cfg").read_text().splitlines()
    out = []
    for line in src:
        key = line.split("=", 1)[0].strip()
        if key in ("dataDir", "clientPort", "clientPortAddress"):
            continue
        out.append(line)
    out += [f"dataDir={data_dir}", f"clientPort={CLIENT_PORT}", f"clientPortAddress={ip}"]
    return out


# --------------------------------------------------------------------------
# Ensembles


@dataclass
class Ensemble:
    """N pods zk-0..N-1 on 127.0.0.10.., every pod with a hosts file naming all."""

    base: Path
    zkpod: Path
    size: int = 3
    run_as: Optional[str] = None
    extra_args: list[str] = field(default_factory=list)
    pods: list[Pod] = field(default_factory=list)

    def __post_init__(self):
        names = [(f"zk-{i}", ensemble_ip(i)) for i in range(self.size)]
        self.pods = [
            Pod(
                self.base,
                i,
                ensemble_ip(i),
                self.size,
                self.zkpod,
                peers=names,
                run_as=self.run_as,
                extra_args=list(self.extra_args),
            )
            for i in range(self.size)
        ]

    @property
    def connect_string(self) -> str:
        return ",".join(p.connect for p in self.pods)

    def start(self, which: Optional[Iterable[int]] = None) -> None:
        for i in which if which is not None else range(self.size):
            self.pods[i].start()

    def stop(self) -> None:
        for p in self.pods:
            p.stop()

    def logs(self, n: int = 80) -> str:
        parts = []
        for p in self.pods:
            parts.append(f"----- {p.name} ({p.log}) -----\n" + "\n".join(p.output().splitlines()[-n:]))
        return "\n".join(parts)

    def modes(self, which: Optional[Iterable[int]] = None) -> dict[str, Optional[str]]:
        idx = which if which is not None else range(self.size)
        return {self.pods[i].name: server_mode(self.pods[i].ip) for i in idx}

    def wait_quorum(self, timeout: float = QUORUM_TIMEOUT, which=None) -> dict[str, str]:
        """Waits until every (chosen) pod serves, by our own `srvr` client."""
        idx = list(which if which is not None else range(self.size))

        def serving():
            for i in idx:
                p = self.pods[i]
                if p.proc is not None and p.proc.exited() is not None:
                    raise HarnessError(
                        f"{p.name} exited with {p.proc.exited()} while waiting for quorum\n{self.logs()}"
                    )
            m = self.modes(idx)
            return m if all(v in SERVING_MODES for v in m.values()) else None

        return wait_until("quorum (srvr Mode on every server)", serving, timeout, on_fail=self.logs)

    def wait_ready_zkpod(self, timeout: float = QUORUM_TIMEOUT) -> None:
        """Waits until `zkpod probe ready` passes on every pod."""

        def ready():
            return all(
                subprocess.run(
                    [str(self.zkpod), "probe", "ready", "--conf_dir", str(p.conf_dir)],
                    capture_output=True,
                ).returncode
                == 0
                for p in self.pods
            )

        wait_until("`zkpod probe ready` on every server", ready, timeout, interval=1.0, on_fail=self.logs)

    # State file, so that `down` (another process) can find what `up` started.
    def state_path(self) -> Path:
        return self.base / "ensemble.json"

    def save_state(self) -> None:
        state = {
            "zkpod": str(self.zkpod),
            "size": self.size,
            "pods": [
                {"name": p.name, "ip": p.ip, "pid": p.proc.pid if p.proc else 0, "conf_dir": str(p.conf_dir)}
                for p in self.pods
            ],
        }
        self.state_path().write_text(json.dumps(state, indent=2) + "\n")


# --------------------------------------------------------------------------
# Command line (scripts/local-ensemble.sh)


def lock(block: bool = True):
    """Takes the machine-wide namespace-pod lock (the addresses are fixed); returns
    the open file, or None if not blocking and it is held."""
    f = open(LOCK_PATH, "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
    except BlockingIOError:
        f.close()
        return None
    return f


def ours(pid: int, conf_dir: str) -> bool:
    """Is `pid` still the ZooKeeper JVM we started for `conf_dir`?"""
    cmd = proc_cmdline(pid)
    return bool(cmd) and MAIN_CLASS in cmd and any(conf_dir in a for a in cmd)



