"""Where the container suite's imitation of a kubelet (tests/containers) and
the real kubelet meet or differ; each test pins one observation.

- /etc/hosts: the imitation's kubelet part is the kubelet's, byte for byte.
- exec probes: what environment and identity a probe process gets.
- volumes: a hostPath volume (the controller manager's host-path provisioner)
  gets no fsGroup at all, unlike the local volumes of the default class, and
  zkpod refuses it (exit 6).
"""

import json
import os
import re
import stat as st_

import pytest

from tests.cluster import kube
from tests.cluster.kube import figure, kubectl
from tests.lib.hosts import kubelet_hosts

NS = "zk-findings"


@pytest.fixture(scope="module")
def ns():
    kube.create_namespace(NS, "restricted")
    yield NS
    kube.delete_namespace(NS)


def _pod(name, *, args, probe=None, claim=None, uid=1000, gid=1000, fs_group=1000):
    c = {"name": "zookeeper", "image": kube.IMAGE, "imagePullPolicy": "IfNotPresent",
         "command": ["/usr/local/bin/zkpod", "start"], "args": args,
         "env": [{"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
         "resources": {"requests": {"cpu": "50m", "memory": "256Mi"}, "limits": {"memory": "256Mi"}},
         "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                             "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
         "volumeMounts": [{"name": "data", "mountPath": "/var/lib/zookeeper"},
                          {"name": "conf", "mountPath": "/opt/zookeeper/conf"}, {"name": "tmp", "mountPath": "/tmp"}]}
    if probe:
        c["readinessProbe"] = {"exec": {"command": probe}, "periodSeconds": 2, "timeoutSeconds": 2}
    data = {"persistentVolumeClaim": {"claimName": claim}} if claim else {"emptyDir": {}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"hostname": "zk-0", "subdomain": "zk-hs", "automountServiceAccountToken": False,
                     "enableServiceLinks": False, "restartPolicy": "Never",
                     "securityContext": {"runAsUser": uid, "runAsGroup": gid, "fsGroup": fs_group, "runAsNonRoot": True,
                                         "seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [c],
                     "volumes": [{"name": "data", **data}, {"name": "conf", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]}}


def test_hosts_file_matches_the_imitation(ns):
    """Both pod suites write the kubelet's part of /etc/hosts themselves
    (tests/lib/hosts.kubelet_hosts); the real kubelet's file for a pod with
    hostname zk-0 and subdomain zk-hs is exactly that, byte for byte."""
    kubectl("create", "-f", "-", ns=ns, stdin=json.dumps(_pod("hosts", args=["--servers=1", "--heap=64M"])))
    kube.wait_for("pod hosts running", lambda: kube.get("pod", "hosts", ns=ns)["status"].get("phase") == "Running", 120, 0.5)
    ip = kube.pod_ip(ns, "hosts")
    real = kube.exec_(ns, "hosts", "cat", "/etc/hosts").stdout
    imitation = kubelet_hosts("zk-0", ip, domain=f"zk-hs.{ns}.svc.cluster.local")
    assert real == imitation, f"real:\n{real}\nimitation:\n{imitation}"


def test_exec_probe_environment(ns):
    """An exec probe runs in the container with the container's environment
    (image ENV + spec env), as the uid/gid of the pod, with fsGroup as a
    supplementary group, and HOME from the image's passwd entry."""
    probe = ["/bin/sh", "-c", "env > /tmp/probe.env; id > /tmp/probe.id; /usr/local/bin/zkpod probe ready"]
    kubectl("create", "-f", "-", ns=ns, stdin=json.dumps(_pod("probe-env", args=["--servers=1", "--heap=64M"], probe=probe)))
    kube.wait_for("pod probe-env Ready", lambda: kube.is_ready(kube.get("pod", "probe-env", ns=ns)), 120, 0.5)
    env = dict(line.split("=", 1) for line in kube.exec_(ns, "probe-env", "cat", "/tmp/probe.env").stdout.splitlines())
    ident = kube.exec_(ns, "probe-env", "cat", "/tmp/probe.id").stdout.strip()
    pid1 = dict(kv.split("=", 1) for kv in kube.exec_(ns, "probe-env", "cat", "/proc/1/environ").stdout.split("\0") if "=" in kv)
    assert env["ZOO_CONF_DIR"] == "/opt/zookeeper/conf"  # image ENV: how the probe finds zoo.cfg
    assert env["POD_NAMESPACE"] == ns
    assert env["HOSTNAME"] == "zk-0"
    assert env["HOME"] == "/var/lib/zookeeper", env  # the image's passwd entry for uid 1000
    assert ident == "uid=1000(zkpod) gid=1000 groups=1000", ident  # busybox's id: no group 1000 in /etc/group
    assert "KUBERNETES_SERVICE_HOST" in env  # injected even with enableServiceLinks: false
    # The probe's environment is the container's as created, not what zkpod
    # start changed before exec'ing the JVM (PID 1 now).
    only_pid1 = sorted(set(pid1) - set(env))
    figure("exec probe: environment keys", " ".join(sorted(env)))
    figure("exec probe: keys only PID 1 (the JVM) has", " ".join(only_pid1) or "-")
    figure("exec probe: id", ident)


def test_hostpath_volume_gets_no_fsgroup(ns):
    """The controller manager's host-path provisioner makes root-owned 0750
    directories, and the kubelet applies no fsGroup to hostPath volumes (it
    does to local, emptyDir and most CSI volumes). A pod with fsGroup set then
    cannot write its volume: zkpod refuses with exit 6 before writing anything."""
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "hostpath"},
             "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "host-path",
                      "resources": {"requests": {"storage": "1Gi"}}}}
    kubectl("create", "-f", "-", ns=ns, stdin=json.dumps(claim))
    kubectl("create", "-f", "-", ns=ns, stdin=json.dumps(_pod("on-hostpath", args=["--servers=1", "--heap=64M"], claim="hostpath")))

    def finished():
        st = kube.get("pod", "on-hostpath", ns=ns)["status"]
        return st.get("phase") in ("Failed", "Succeeded") and st
    st = kube.wait_for("pod on-hostpath to finish", finished, 120, 0.5)
    term = st["containerStatuses"][0]["state"]["terminated"]
    log = kubectl("logs", "on-hostpath", ns=ns).stdout
    pv = kube.get("pv", kube.get("pvc", "hostpath", ns=ns)["spec"]["volumeName"])
    path = pv["spec"]["hostPath"]["path"]
    s = os.stat(path)
    figure("host-path volume on the node", f"{path} uid {s.st_uid} gid {s.st_gid} mode {st_.filemode(s.st_mode)}")
    assert (s.st_uid, s.st_gid, st_.S_IMODE(s.st_mode)) == (0, 0, 0o750)
    assert term["exitCode"] == 6, (term, log)
    line = [ln for ln in log.splitlines() if ln.startswith("zkpod:")][-1]
    assert re.search(r"cannot write|not writable", line), line
    assert not os.listdir(path), "zkpod wrote to a volume it refused"
    figure("host-path volume: zkpod says", line[:300])


def test_pod_network_stays_on_the_machine(ns):
    """A pod's routes: its bridge subnet and the Service range through the
    node, and no default route. The kubernetes Service (10.244.128.1:443)
    reaches the API server through kube-proxy's DNAT, which is what an
    in-cluster client (e.g. a preStop hook reading the StatefulSet) uses."""
    routes = kube.exec_(ns, "hosts", "cat", "/proc/net/route").stdout.splitlines()[1:]
    table = sorted((f[1], f[2], f[7]) for f in (r.split() for r in routes))
    # little-endian hex: 10.244.0.0/24 direct, 10.244.128.0/24 via 10.244.0.1
    assert table == [("0000F40A", "00000000", "00FFFFFF"), ("0080F40A", "0100F40A", "00FFFFFF")], table
    svc = kube.get("service", "kubernetes", ns="default")["spec"]["clusterIP"]
    assert svc == "10.244.128.1"
    # zkpod's 4lw client as a TCP probe: the API server accepts the connection
    # and closes it on a non-TLS request; an address with no Service behind it
    # does not even accept (the node blackholes the rest of 10.244.0.0/16).
    r = kube.exec_(ns, "hosts", "/usr/local/bin/zkpod", "4lw", "--host", svc, "--port", "443", "srvr", check=False)
    assert "closed the connection without replying" in r.stderr, r.stderr
    r = kube.exec_(ns, "hosts", "/usr/local/bin/zkpod", "4lw", "--host", "10.244.128.254", "--port", "443", "srvr", check=False)
    assert "did not accept the connection" in r.stderr, r.stderr
