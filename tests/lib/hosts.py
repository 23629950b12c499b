"""/etc/hosts as the kubelet writes it for a StatefulSet pod, for both pod
suites (namespace pods bind-mount it over /etc/hosts; container pods get it
with `podman run --no-hosts -v`). zkpod reads its own FQDN from this file, so
its form matters. Pure; tested in test_helpers.py.
"""

from __future__ import annotations

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
