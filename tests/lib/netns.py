"""A pod network of our own: one network namespace per pod on a Linux bridge
that has no route off this machine, so that each pod has its own loopback
(127.0.0.1 is the pod's, as in Kubernetes) and its own pod address on the
bridge. The TLS suite needs it: a server that keeps plaintext on 127.0.0.1
only must be unreachable in plaintext at its pod address, which pods that
share this host's network namespace cannot show.

    net = PodNet("zkpt", "10.213.13")      # bridge zkpt0 with 10.213.13.1/24
    net.add("zk-0", 10)                    # netns zkpt-zk-0 with 10.213.13.10
    argv = net.exec("zk-0") + ["zkpod", "probe", "ready"]
    net.down()

The pods get no default route: they reach the bridge's /24 and nothing
else. The host reaches them through the bridge address. Needs root and
iproute2 (`ip`).
"""

from __future__ import annotations

import subprocess
from typing import Optional


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=check)


class PodNet:
    """A bridge `<prefix>0` with `<subnet>.1/24`, and one netns per pod."""

    def __init__(self, prefix: str, subnet: str):
        self.prefix = prefix
        self.subnet = subnet
        self.bridge = f"{prefix}0"
        self.pods: dict[str, str] = {}

    def ns(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def address(self, name: str) -> str:
        return self.pods[name]

    @property
    def gateway(self) -> str:
        return f"{self.subnet}.1"

    def up(self) -> "PodNet":
        """Creates the bridge (after removing a leftover of an earlier run)."""
        self.down()
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        return self

    def add(self, name: str, host: int) -> str:
        """A pod `name` with address <subnet>.<host>: its netns, lo up, a veth
        `eth0` in it whose peer is on the bridge. Returns the address."""
        ns, veth = self.ns(name), f"{self.prefix}v{host}"
        addr = f"{self.subnet}.{host}"
        _ip("netns", "add", ns)
        _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("link", "set", veth, "master", self.bridge, "up")
        _ip("-n", ns, "addr", "add", f"{addr}/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        self.pods[name] = addr
        return addr

    def exec(self, name: str) -> list[str]:
        """The argv prefix that runs a command in pod `name`'s network."""
        return ["ip", "netns", "exec", self.ns(name)]

    def down(self) -> None:
        """Deletes every netns of this prefix (their veths go with them) and
        the bridge. Processes still in a netns keep it alive until they exit:
        stop them first."""
        listed = _ip("netns", "list", check=False).stdout.split()
        for ns in listed:
            if ns.startswith(f"{self.prefix}-"):
                _ip("netns", "del", ns, check=False)
        _ip("link", "del", self.bridge, check=False)
        self.pods.clear()


def reachable(ns_exec: Optional[list[str]], host: str, port: int, timeout: float = 2.0) -> tuple[bool, str]:
    """Whether a TCP connection to host:port succeeds from a network (the
    host's when `ns_exec` is None), and how it failed."""
    code = (
        "import socket,sys\n"
        f"try:\n socket.create_connection(({host!r}, {port}), timeout={timeout}).close(); print('connected')\n"
        "except OSError as e:\n print(f'{type(e).__name__}: {e}')\n"
    )
    argv = [*(ns_exec or []), "python3", "-c", code]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 10).stdout.strip()
    return out == "connected", out
