"""The real ZooKeeper clients the suites write and read through: Debian's
zkCli.sh (a JVM) and kazoo (Python). Needs the zookeeper package for zkCli.sh
($ZKCLI overrides its path) and `pip install kazoo`.
"""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from typing import Iterable, Iterator, Union

from kazoo.client import KazooClient

ZKCLI = os.environ.get("ZKCLI", "/usr/share/zookeeper/bin/zkCli.sh")


def zkcli_env() -> dict[str, str]:
    """zkCli.sh's environment: its log in /tmp, a small heap, and no SASL.
    zookeeper.sasl.client=false: the client would otherwise look up the
    server's address in reverse DNS (a PTR query off loopback)."""
    return {
        **os.environ,
        "ZOO_LOG_DIR": "/tmp",
        "JVMFLAGS": "-Xmx64M",
        "CLIENT_JVMFLAGS": "-Dzookeeper.sasl.client=false",
    }


def zkcli(server: str, *cmd: str, timeout: float = 60) -> tuple[int, str]:
    """Runs one zkCli.sh command against `server` (host:port); returns
    (exit code, stdout + stderr)."""
    r = subprocess.run([ZKCLI, "-server", server, *cmd], capture_output=True, text=True,
                       timeout=timeout, env=zkcli_env())
    return r.returncode, r.stdout + r.stderr


def zkcli_ok(server: str, *cmd: str, timeout: float = 60) -> str:
    """zkcli that must exit 0; returns its output."""
    code, out = zkcli(server, *cmd, timeout=timeout)
    assert code == 0, f"zkCli.sh {' '.join(cmd)} against {server} exited {code}:\n{out}"
    return out


def _hosts(servers: Union[str, Iterable[str]]) -> str:
    return servers if isinstance(servers, str) else ",".join(servers)


def kazoo_client(servers: Union[str, Iterable[str]], timeout: float = 10, start_timeout: float = 15) -> KazooClient:
    """A started kazoo client (session timeout `timeout`); raises kazoo's
    KazooTimeoutError("Connection time-out") when no server gives it a
    session within `start_timeout` (kazoo stops the client itself then)."""
    c = KazooClient(hosts=_hosts(servers), timeout=timeout)
    c.start(timeout=start_timeout)
    return c


@contextmanager
def kazoo_session(servers: Union[str, Iterable[str]], timeout: float = 10,
                  start_timeout: float = 15) -> Iterator[KazooClient]:
    """kazoo_client for a `with` block; stopped and closed at its end."""
    c = kazoo_client(servers, timeout=timeout, start_timeout=start_timeout)
    try:
        yield c
    finally:
        c.stop()
        c.close()


def kazoo_read(servers: Union[str, Iterable[str]], paths: Iterable[str], start_timeout: float = 15) -> dict[str, bytes]:
    """{path: data} of every path, read after a sync, so the server has seen
    every write the ensemble acknowledged before."""
    with kazoo_session(servers, start_timeout=start_timeout) as c:
        c.sync("/")
        return {p: c.get(p)[0] for p in paths}
