"""Our own four-letter-word client: the oracle the tests judge zkpod against,
so it shares no code with zkpod. Plus parsing of the `srvr` and `mntr`
replies. Talks only to the address it is given (loopback in every suite).
Parsing is pure and tested in test_helpers.py.
"""

from __future__ import annotations

import socket
import time
from typing import Optional

CLIENT_PORT = 2181
# The `Mode:` values of a server that serves requests.
SERVING_MODES = ("leader", "follower", "standalone", "observer")


def four_letter(host: str, port: int, cmd: str, timeout: float = 3.0) -> str:
    """Sends a four-letter word and reads the reply to EOF. Raises OSError
    when the server cannot be reached or does not finish within `timeout`."""
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(cmd.encode())
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    return b"".join(chunks).decode(errors="replace")


def four_letter_tls(host: str, port: int, cmd: str, *, ca: str, cert: Optional[str], key: Optional[str],
                    server_hostname: str, timeout: float = 3.0) -> str:
    """A four-letter word over TLS with Python's ssl module (OpenSSL, not
    zkpod's rustls): the server's certificate must chain to `ca` and name
    `server_hostname`; `cert`/`key` is the client certificate ZooKeeper's
    secure port asks for (None: present none). Raises ssl.SSLError or OSError
    when the handshake or the exchange fails."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_hostname) as s:
            s.sendall(cmd.encode())
            chunks = []
            while True:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    b = s.recv(65536)
                except ssl.SSLZeroReturnError:
                    break
                if not b:
                    break
                chunks.append(b)
    return b"".join(chunks).decode(errors="replace")


def parse_srvr_mode(reply: str) -> Optional[str]:
    """The `Mode:` of a `srvr` reply, or None (not serving, or no reply)."""
    for line in reply.splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return None


def parse_mntr(reply: str) -> dict[str, str]:
    """`mntr` output as a dict (tab-separated key/value lines)."""
    out = {}
    for line in reply.splitlines():
        if "\t" in line:
            k, v = line.split("\t", 1)
            out[k.strip()] = v.strip()
    return out


def server_mode(host: str, port: int = CLIENT_PORT) -> Optional[str]:
    """The server's mode via `srvr`, or None when not serving/unreachable."""
    try:
        return parse_srvr_mode(four_letter(host, port, "srvr", timeout=2.0))
    except OSError:
        return None


def port_open(host: str, port: int = CLIENT_PORT) -> bool:
    """Whether something accepts TCP connections on host:port (0.5 s)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
