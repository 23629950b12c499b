"""Running the chart's `helm test` pod with podman next to the server pods
that the container suite's harness builds from the rendered StatefulSet, and
what the kubelet adds to those pods for dynamic membership: the lifecycle
hooks (`podman exec`), the API's address, the projected Secret.

Deviations from a cluster, as in tests/containers/podspec.py: host
networking with one loopback address per pod; a hosts file instead of
cluster DNS, which also maps the client Service's name to pod 0 (there is no
Service VIP on one host); an arbitrary uid with gid 0; emptyDirs as tmpfs.
The functions that build argv and files are pure.
"""

from tests.containers.podspec import memory_to_podman, pod_address, size_limit
from tests.lib.hosts import no_dns_resolv_conf

# Figures measured by test_helm_pods.py, printed at the end of the run and
# written to .tmp/ by conftest.py.
FIGURES = {}


def figure(name, value):
    FIGURES[name] = value


def helm_test_hosts(replicas, net, sts_name, domain, client_service_host):
    """The test pod's /etc/hosts: every member's FQDN, and the client
    Service's name standing in for its VIP as pod 0's address."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
             "# Members (zkpod helm-pods: stands in for the cluster DNS)"]
    for i in range(replicas):
        lines.append(f"{pod_address(net, i)}\t{sts_name}-{i}.{domain}\t{sts_name}-{i}")
    lines.append(f"{pod_address(net, 0)}\t{client_service_host}")
    return "\n".join(lines) + "\n"


def helm_test_argv(pod, *, name, hosts_path, uid, label, image=None):
    """`podman run` argv (in the foreground) for the chart's test Pod."""
    spec = pod["spec"]
    (c,) = spec["containers"]
    sc = c.get("securityContext") or {}
    argv = ["podman", "run", "--name", name, "--network", "host", "--no-hosts",
            "-v", f"{hosts_path}:/etc/hosts:ro", "-v", f"{no_dns_resolv_conf()}:/etc/resolv.conf:ro",
            "--hostname", pod["metadata"]["name"],
            "--user", f"{uid}:0", "--label", label, "--no-healthcheck"]
    if sc.get("readOnlyRootFilesystem"):
        argv.append("--read-only")
    for cap in (sc.get("capabilities") or {}).get("drop") or []:
        argv.append(f"--cap-drop={cap}")
    if sc.get("allowPrivilegeEscalation") is False:
        argv += ["--security-opt", "no-new-privileges"]
    limit = ((c.get("resources") or {}).get("limits") or {}).get("memory")
    if limit:
        argv += ["--memory", memory_to_podman(limit)]
    vols = {v["name"]: v for v in spec.get("volumes") or []}
    for m in c.get("volumeMounts") or []:
        v = vols[m["name"]]
        if "emptyDir" not in v:
            raise ValueError(f"test pod volume {m['name']}: only emptyDirs are supported")
        opts = "rw,mode=1777"
        if (v["emptyDir"] or {}).get("sizeLimit"):
            opts += f",size={size_limit(v['emptyDir']['sizeLimit'])}"
        argv += ["--tmpfs", f"{m['mountPath']}:{opts}"]
    for e in c.get("env") or []:
        argv += ["-e", f"{e['name']}={e['value']}"]
    argv += ["--entrypoint", c["command"][0], image or c["image"], *c["command"][1:], *c.get("args", [])]
    return argv


# --- the server pods: what the kubelet adds to podman_pod.Pod -----------------

def hook_argv(container, command, env=None):
    """`podman exec` argv of a lifecycle hook (the kubelet runs exec hooks
    inside the container, with the container's environment)."""
    argv = ["podman", "exec"]
    for k, v in (env or {}).items():
        argv += ["-e", f"{k}={v}"]
    return [*argv, container, *command]


def lifecycle_command(sts, hook):
    """The exec command of the StatefulSet's postStart or preStop hook."""
    (c,) = sts["spec"]["template"]["spec"]["containers"]
    return c["lifecycle"][hook]["exec"]["command"]


def api_env(url):
    """The container environment that points zkpod at the stand-in for the
    Kubernetes API (in a cluster: KUBERNETES_SERVICE_HOST/_PORT, which the
    kubelet puts into every container, and the service account token)."""
    return ("-e", f"ZKPOD_KUBE_API={url}")


def project_secret(files, parent, prefix):
    """A host dir standing in for a Secret volume as the kubelet projects it:
    each key a file, owner root, group 0, mode 0440 (the chart's defaultMode).
    Returns its path; the caller removes it."""
    import os
    import tempfile

    d = tempfile.mkdtemp(prefix=f"{prefix}-secret-", dir=parent)
    os.chmod(d, 0o755)
    for key, value in files.items():
        path = os.path.join(d, key)
        with open(path, "wb") as f:
            f.write(value)
        os.chown(path, 0, 0)
        os.chmod(path, 0o440)
    return d
