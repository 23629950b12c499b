"""/etc/hosts as the kubelet writes it for a StatefulSet pod, for both pod
suites (namespace pods bind-mount it over /etc/hosts; container pods get it
with `podman run --no-hosts -v`). zkpod reads its own FQDN from this file, so
its form matters. Pure; tested in test_helpers.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

# The headless Service's domain in namespace `default` (docker/k8s/base).
DOMAIN = "zk-hs.default.svc.cluster.local"

# What the kubelet writes before the pod's own line (pkg/kubelet's managed
# hosts file: its header comment, then the loopback and IPv6 names).
KUBELET_HEADER = [
    "# Kubernetes-managed hosts file.",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "fe00::0\tip6-mcastprefix",
    "fe00::1\tip6-allnodes",
    "fe00::2\tip6-allrouters",
]


def kubelet_hosts(name: str, ip: str, peers: Iterable[tuple[str, str]] = (), domain: str = DOMAIN) -> str:
    """The hosts file of pod `name` with address `ip`: the kubelet's lines,
    its own `IP fqdn short` line, then one line per peer (name, ip) other than
    itself, standing in for the cluster DNS these tests do not have."""
    lines = [*KUBELET_HEADER, f"{ip}\t{name}.{domain}\t{name}"]
    peer_lines = [f"{pip}\t{pname}.{domain}\t{pname}" for pname, pip in peers if pname != name]
    if peer_lines:
        lines += ["", "# Peers (zkpod tests: stand-in for the headless Service's DNS records)", *peer_lines]
    return "\n".join(lines) + "\n"


# The resolver every test pod gets instead of the machine's: a nameserver on
# this machine's loopback, where nothing answers, so a name that is in no
# hosts file fails at once and no lookup ever leaves the machine (tests talk
# only to local addresses). The cluster DNS these suites stand in for would
# answer NXDOMAIN for such a name; the pods see the same: it does not resolve.
NO_DNS = "# zkpod tests: no DNS off this machine\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n"
NO_DNS_PATH = Path("/tmp/zkpod-tests-resolv.conf")


def no_dns_resolv_conf() -> Path:
    """A world-readable resolv.conf with [`NO_DNS`], for namespace pods to
    bind-mount and container pods to mount over /etc/resolv.conf."""
    if not NO_DNS_PATH.exists() or NO_DNS_PATH.read_text() != NO_DNS:
        tmp = NO_DNS_PATH.with_name(f"{NO_DNS_PATH.name}.{os.getpid()}")
        tmp.write_text(NO_DNS)
        os.chmod(tmp, 0o644)
        os.replace(tmp, NO_DNS_PATH)
    return NO_DNS_PATH


def offline(argv: list[str]) -> list[str]:
    """`argv` in a network namespace of its own (as root: `unshare --net`,
    loopback down), for a `zkpod start` run on this machine itself: with
    dynamic membership it looks its peers up by name, which the machine's
    resolver would send off the machine. Without root, `argv` as it is."""
    return ["unshare", "--net", "--", *argv] if os.geteuid() == 0 else list(argv)
