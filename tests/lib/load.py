"""Data-safety instruments for tests that change membership, volumes or
restarts: a continuous writer (kazoo) that records every acknowledged write,
a poller that asks every member for `srvr` and `conf` every 100 ms and
records each moment with more than one leader that can commit, and the
check that every acknowledged write is readable through a member.

A server counts as a leader when `srvr` says `Mode: leader` AND its own `conf`
lists it as a participant: a leader that a reconfig removed keeps printing
`Mode: leader` for a moment although it may no longer commit ("not the
designated leader anymore"), and must not be counted.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from tests.lib.fourlw import four_letter
from tests.lib.fourlw import parse_srvr_mode as srvr_mode


def conf_membership(reply: str) -> tuple[Optional[str], dict[int, str], Optional[int]]:
    """(version hex, {id: role}, serverId) from a `conf` reply."""
    server_id = None
    members: dict[int, str] = {}
    version = None
    section = False
    for line in reply.splitlines():
        if line.startswith("serverId="):
            server_id = int(line.split("=", 1)[1])
        if line.startswith("membership:"):
            section = True
            continue
        if section and line.startswith("server."):
            key, value = line.split("=", 1)
            sid = int(key.split(".", 1)[1])
            quorum = value.split(";", 1)[0]
            role = "observer" if quorum.endswith(":observer") else "participant"
            members[sid] = role
        if section and line.startswith("version="):
            version = line.split("=", 1)[1].strip()
    return version, members, server_id


@dataclass
class Sample:
    at: float
    modes: dict[str, Optional[str]]
    leaders: list[str]
    versions: dict[str, Optional[str]]


@dataclass
class LeaderPoller:
    """Polls `members()` (name -> (host, port)) every `interval` seconds."""

    members: Callable[[], dict[str, tuple[str, int]]]
    interval: float = 0.1
    samples: list[Sample] = field(default_factory=list)
    split: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: Optional[threading.Thread] = None

    def _one(self, host: str, port: int) -> tuple[Optional[str], Optional[str], bool]:
        try:
            mode = srvr_mode(four_letter(host, port, "srvr", timeout=0.5))
        except OSError:
            return None, None, False
        if mode != "leader":
            return mode, None, False
        try:
            version, members, sid = conf_membership(four_letter(host, port, "conf", timeout=0.5))
        except OSError:
            return mode, None, False
        return mode, version, sid is not None and members.get(sid) == "participant"

    def _run(self) -> None:
        while not self._stop.is_set():
            t = time.monotonic()
            modes, versions, leaders = {}, {}, []
            for name, (host, port) in sorted(self.members().items()):
                mode, version, voting_leader = self._one(host, port)
                modes[name] = mode
                versions[name] = version
                if voting_leader:
                    leaders.append(name)
            s = Sample(t, modes, leaders, versions)
            self.samples.append(s)
            if len(leaders) > 1:
                self.split.append(s)
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - t)))

    def start(self) -> "LeaderPoller":
        self._thread = threading.Thread(target=self._run, name="leader-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)


@dataclass
class Writer:
    """Writes /zkpod-load/w-<n> continuously through `hosts` and records every
    acknowledged write with its time."""

    hosts: str
    root: str = "/zkpod-load"
    acked: list[tuple[float, str]] = field(default_factory=list)
    failures: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: Optional[threading.Thread] = None

    def _run(self) -> None:
        from kazoo.client import KazooClient
        from kazoo.exceptions import KazooException
        from kazoo.handlers.threading import KazooTimeoutError

        zk = KazooClient(hosts=self.hosts, timeout=4.0, connection_retry={"max_tries": -1, "max_delay": 0.2})
        zk.start(timeout=60)
        zk.ensure_path(self.root)
        n = 0
        while not self._stop.is_set():
            path = f"{self.root}/w-{n:08d}"
            n += 1
            try:
                zk.create(path, b"x")
                self.acked.append((time.monotonic(), path))
            except (KazooException, KazooTimeoutError):
                self.failures += 1
                self._stop.wait(0.05)
        zk.stop()
        zk.close()

    def start(self) -> "Writer":
        self._thread = threading.Thread(target=self._run, name="writer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)

    def longest_outage(self, since: float, until: float) -> float:
        """The longest gap between acknowledgements within [since, until]."""
        times = [t for t, _ in self.acked if since <= t <= until]
        edges = [since] + times + [until]
        return max(b - a for a, b in zip(edges, edges[1:]))


def missing_on(host_port: str, root: str, acked: list[tuple[float, str]]) -> list[str]:
    """Acknowledged writes that `host_port` cannot read (after a sync)."""
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=host_port, timeout=10.0)
    zk.start(timeout=30)
    try:
        zk.sync(root)
        have = set(zk.get_children(root))
    finally:
        zk.stop()
        zk.close()
    return [p for _, p in acked if p.rsplit("/", 1)[1] not in have]
