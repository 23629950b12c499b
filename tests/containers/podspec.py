"""Turns the rendered StatefulSet's pod template into `podman run` arguments,
the way a kubelet would run pod zk-N on one node, and renders the hosts file
the kubelet writes. Pure functions over parsed YAML: unit-tested in
test_podspec.py without podman or root.

Deviations from a real node, all forced by running three pods on one host
without a cluster, and all explicit here:
- host networking with one loopback address per pod (net + ordinal), and
  ZOO_CLIENT_ADDRESS (and, when the pod serves metrics, ZOO_METRICS_HOST)
  so the three pods' ports do not clash;
- no cluster DNS: each pod's hosts file also lists its peers;
- an arbitrary uid with gid 0 (OpenShift's model) instead of runAsUser/fsGroup,
  which podman cannot apply to a named volume;
- emptyDirs become tmpfs mounts, the claim template a named volume, and a
  Secret volume a read-only bind of a host dir holding the Secret's keys as
  files (mode 0440, group 0), as the kubelet projects it.
"""

import json
import re

from tests.lib.hosts import kubelet_hosts, no_dns_resolv_conf

# Bind /dev/null over the image's shells (Debian's, and busybox, which every
# shell tool of the default image links to): start, the probes and the hooks
# must not need one (issue 4), and with these masks any hidden use of a shell
# fails the run.
MASK_SHELLS = ("-v", "/dev/null:/usr/bin/dash:ro", "-v", "/dev/null:/usr/bin/bash:ro",
               "-v", "/dev/null:/usr/bin/busybox:ro")


def pod_address(net, ordinal):
    """The pod's loopback address: the prefix followed by the ordinal digit
    (127.0.0.1 -> 127.0.0.10, 127.0.0.11, ...)."""
    addr = f"{net}{ordinal}"
    parts = addr.split(".")
    if len(parts) != 4 or parts[0] != "127" or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise ValueError(f"E2E_NET={net!r} gives {addr!r}, not a 127.0.0.0/8 address; use e.g. 127.0.0.1 or 127.0.0.5")
    return addr


def domain(service, namespace, cluster_domain="cluster.local"):
    """The headless Service's DNS domain."""
    return f"{service}.{namespace}.svc.{cluster_domain}"


def hosts_file(ordinal, replicas, net, base, dom):
    """/etc/hosts as the kubelet writes it for pod <base>-<ordinal>, followed by
    its peers' lines in the same form, standing in for the cluster DNS this
    host does not have (tests/lib/hosts.py)."""
    peers = [(f"{base}-{i}", pod_address(net, i)) for i in range(replicas)]
    return kubelet_hosts(f"{base}-{ordinal}", pod_address(net, ordinal), peers, domain=dom)


def memory_to_podman(quantity):
    """A Kubernetes memory quantity (Mi, Gi, M, G or bytes) as podman's --memory."""
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi|K|M|G)?", str(quantity))
    if not m:
        raise ValueError(f"memory quantity {quantity!r} is not supported by the container suite")
    scale = {None: 1, "K": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}[m[2]]
    return str(int(m[1]) * scale)


def resolve_env(env, pod_name, namespace, address):
    """The container's env list with the downward-API fields a kubelet fills
    in; any other valueFrom is an error (the suite cannot fake it)."""
    out = {}
    fields = {"metadata.namespace": namespace, "metadata.name": pod_name, "status.podIP": address}
    for e in env or []:
        if "value" in e:
            out[e["name"]] = str(e["value"])
        elif "fieldRef" in (e.get("valueFrom") or {}):
            path = e["valueFrom"]["fieldRef"]["fieldPath"]
            if path not in fields:
                raise ValueError(f"env {e['name']}: fieldRef {path} is not supported by the container suite")
            out[e["name"]] = fields[path]
        else:
            raise ValueError(f"env {e['name']}: {e.get('valueFrom')} is not supported by the container suite")
    return out


def size_limit(quantity):
    """An emptyDir sizeLimit as a tmpfs size= option."""
    return memory_to_podman(quantity)


class PodPlan:
    """Everything needed to run pod <base>-<ordinal> of a rendered StatefulSet."""

    def __init__(self, sts, ordinal, *, net, prefix, namespace, uid, image=None, secrets=None):
        self.sts = sts
        self.ordinal = ordinal
        self.net = net
        self.prefix = prefix
        self.namespace = namespace
        self.uid = uid
        spec = sts["spec"]["template"]["spec"]
        (self.container,) = spec["containers"]
        self.pod_spec = spec
        self.base = sts["metadata"]["name"]
        self.name = f"{self.base}-{ordinal}"
        self.address = pod_address(net, ordinal)
        self.replicas = sts["spec"]["replicas"]
        self.domain = domain(sts["spec"]["serviceName"], namespace)
        self.image = image or self.container["image"]
        self.container_name = f"{prefix}-{self.name}"
        claims = [t["metadata"]["name"] for t in sts["spec"].get("volumeClaimTemplates") or []]
        # The PVC a StatefulSet creates is <claim>-<pod>; the volume gets the prefix too.
        self.volumes = {c: f"{prefix}-{c}-{self.name}" for c in claims}
        self.grace = int(spec.get("terminationGracePeriodSeconds", 30))
        # Secret name -> the host dir holding its keys as files.
        self.secrets = dict(secrets or {})

    def probe(self, kind):
        """(argv, timeoutSeconds) of the startupProbe/livenessProbe/readinessProbe."""
        p = self.container[kind]
        return p["exec"]["command"], int(p.get("timeoutSeconds", 1))

    def hosts(self):
        return hosts_file(self.ordinal, self.replicas, self.net, self.base, self.domain)

    def run_argv(self, hosts_path, volumes=None, extra=()):
        """`podman run` argv for this pod. `volumes` maps a claim name to the
        podman volume to mount (default: this pod's own; scenario 6 swaps them);
        `extra` are further podman options."""
        volumes = volumes or self.volumes
        c = self.container
        sc = c.get("securityContext") or {}
        argv = [
            "podman", "run", "--detach",
            "--name", self.container_name,
            "--hostname", self.name,
            "--network", "host",
            "--no-hosts", "-v", f"{hosts_path}:/etc/hosts:ro",
            "-v", f"{no_dns_resolv_conf()}:/etc/resolv.conf:ro",
            # The kubelet ignores an image's HEALTHCHECK; it runs the probes.
            "--no-healthcheck",
            "--user", f"{self.uid}:0",
            "--stop-timeout", str(self.grace),
            "--label", f"zkpod-e2e={self.prefix}",
        ]
        if sc.get("readOnlyRootFilesystem"):
            argv.append("--read-only")
        for cap in (sc.get("capabilities") or {}).get("drop") or []:
            argv.append(f"--cap-drop={cap}")
        for cap in (sc.get("capabilities") or {}).get("add") or []:
            argv.append(f"--cap-add={cap}")
        if sc.get("allowPrivilegeEscalation") is False:
            argv += ["--security-opt", "no-new-privileges"]
        limits = (c.get("resources") or {}).get("limits") or {}
        if "memory" in limits:
            argv += ["--memory", memory_to_podman(limits["memory"])]
        volume_defs = {v["name"]: v for v in self.pod_spec.get("volumes") or []}
        for m in c.get("volumeMounts") or []:
            name, path = m["name"], m["mountPath"]
            ro = ",ro" if m.get("readOnly") else ""
            if name in volumes:
                argv += ["-v", f"{volumes[name]}:{path}{ro}"]
            elif "secret" in volume_defs.get(name, {}):
                secret = volume_defs[name]["secret"]["secretName"]
                if secret not in self.secrets:
                    raise ValueError(f"volumeMount {name}: no host dir for Secret {secret}")
                argv += ["-v", f"{self.secrets[secret]}:{path}:ro"]
            elif "emptyDir" in volume_defs.get(name, {}):
                opts = "rw,mode=1777"
                limit = (volume_defs[name]["emptyDir"] or {}).get("sizeLimit")
                if limit:
                    opts += f",size={size_limit(limit)}"
                argv += ["--tmpfs", f"{path}:{opts}"]
            else:
                raise ValueError(f"volumeMount {name}: only claim templates, emptyDirs and Secrets are supported")
        env = resolve_env(c.get("env"), self.name, self.namespace, self.address)
        # Per pod, for the shared host network (see module doc).
        env["ZOO_CLIENT_ADDRESS"] = self.address
        args = c.get("args") or []
        if any(a.startswith("--metrics-port") for a in args) or "ZOO_METRICS_PORT" in env:
            env["ZOO_METRICS_HOST"] = self.address
        for k, v in env.items():
            argv += ["-e", f"{k}={v}"]
        argv += list(extra)
        argv += ["--entrypoint", json.dumps(c["command"])]
        argv.append(self.image)
        argv += c.get("args") or []
        return argv


def secret_names(sts):
    """The Secrets the pod template mounts."""
    spec = sts["spec"]["template"]["spec"]
    return sorted({v["secret"]["secretName"] for v in spec.get("volumes") or [] if "secret" in v})


def secret_files(secret):
    """A rendered Secret's keys and values as {file name: bytes}."""
    import base64

    out = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
    out.update({k: v.encode() for k, v in (secret.get("stringData") or {}).items()})
    return out
