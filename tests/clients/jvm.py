"""A Java program of the client checks, run the way the checks need it: in
its own UTS+mount namespace (hostname and hosts file of its own, so no name
lookup leaves the machine), in its own session (killed as a group), with its
output read line by line as it comes and kept in a log file.
"""

from __future__ import annotations

import os
import queue
import shlex
import subprocess
import threading
import time
from pathlib import Path
from typing import Optional

from tests.lib import harness as h
from tests.lib.hosts import kubelet_hosts
from tests.lib.procs import kill_group

# Every JVM of the checks: no SASL, whose client looks the server's name up
# in reverse DNS (a PTR query off loopback).
NO_SASL = "-Dzookeeper.sasl.client=false"


def hosts_file(path: Path, name: str, ip: str, extra: list[tuple[str, str]]) -> Path:
    """A hosts file for `name` at `ip` naming the ZooKeeper pods and `extra`."""
    peers = [(f"zk-{i}", h.ensemble_ip(i)) for i in range(3)] + extra
    path.write_text(kubelet_hosts(name, ip, peers))
    os.chmod(path, 0o644)
    return path


class Jvm:
    """One Java process: start(), then lines as they come (expect), send(),
    wait() and stop()."""

    def __init__(self, name: str, hostname: str, hosts: Path, argv: list[str], log: Path):
        self.name = name
        self.log = log
        script = (f"hostname {shlex.quote(hostname)} && mount --bind {shlex.quote(str(hosts))} /etc/hosts && "
                  f"exec {shlex.join(argv)}")
        self.argv = ["unshare", "--uts", "--mount", "sh", "-c", script]
        self.popen: Optional[subprocess.Popen] = None
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.seen: list[str] = []

    def start(self) -> "Jvm":
        self.popen = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        with open(self.log, "a") as out:
            for line in self.popen.stdout:
                out.write(line)
                out.flush()
                self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, prefix: str, timeout: float) -> str:
        """The first new line that starts with `prefix`; fails after `timeout`
        seconds or when the program ends first."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.name}: no {prefix!r} line within {timeout:.0f} s:\n{self.tail()}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"{self.name} ended (exit {self.popen.wait()}) before a {prefix!r} line:\n"
                                     f"{self.tail()}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def send(self, line: str) -> None:
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            kill_group(self.popen.pid)
            self.popen.wait(timeout=20)

    def tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""
