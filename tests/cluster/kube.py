"""Talking to the real test cluster (scripts/local-cluster.sh): kubectl, waits,
pods, exec, ZooKeeper's four-letter words to pod addresses, and the
continuous writer and leader poller of the data-safety checks.

Network: everything here goes to the API server on 127.0.0.1 (through
kubectl) or to pod addresses on the cluster's bridge (10.244.0.0/24), never
to a ClusterIP and never off the machine.
"""

import ipaddress
import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

from tests.lib import k8s

ROOT = Path(__file__).resolve().parents[2]
STATE = Path(os.environ.get("ZKPOD_CLUSTER_DIR", "/var/lib/zkpod-cluster"))
KUBECONFIG = os.environ.get("KUBECONFIG") or str(STATE / "admin.kubeconfig")
# scripts/local-cluster.sh imports it; tests/cluster/overlays name it.
IMAGE = "localhost/zkpod:cluster"
POD_NET = ipaddress.ip_network("10.244.0.0/24")


# $KUBECTL, else the kubectl of scripts/install-kubectl.sh (v1.35: one minor
# version ahead of the cluster, within kubectl's supported skew).
KUBECTL = k8s.kubectl()

FIGURES = []


def figure(name, value):
    """Records a measured figure; conftest prints them all at the end."""
    FIGURES.append((name, value))
    print(f"FIGURE {name}: {value}")


def kubectl(*args, ns=None, stdin=None, timeout=120, check=True):
    """Runs kubectl against the test cluster; the CompletedProcess (text)."""
    argv = [KUBECTL, "--kubeconfig", KUBECONFIG]
    if ns:
        argv += ["-n", ns]
    argv += [str(a) for a in args]
    r = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(map(str, args))} exited {r.returncode}: {r.stderr.strip()[-3000:]}")
    return r


def get(*args, ns=None):
    """`kubectl get ... -o json`, parsed."""
    return json.loads(kubectl("get", *args, "-o", "json", ns=ns).stdout)


def wait_for(what, pred, timeout, interval=0.5):
    """Polls pred() until it returns a truthy value; fails naming `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - a poll may fail while things start
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def create_namespace(name, enforce="restricted"):
    """A fresh namespace; with `enforce`, labelled for Pod Security admission
    (enforce, and warn so that kubectl prints any violation)."""
    labels = {}
    if enforce:
        for mode in ("enforce", "warn", "audit"):
            labels[f"pod-security.kubernetes.io/{mode}"] = enforce
            labels[f"pod-security.kubernetes.io/{mode}-version"] = "latest"
    doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=true", timeout=300)
    kubectl("create", "-f", "-", stdin=json.dumps(doc))
    # The controller manager creates its `default` ServiceAccount a moment
    # later; until then admission refuses every pod (the first test after
    # `up` met it: "serviceaccount "default" not found").
    wait_for(f"the default ServiceAccount of {name}",
             lambda: kubectl("get", "serviceaccount", "default", ns=name, check=False).returncode == 0, 60, 0.2)


def delete_namespace(name):
    """Deletes the namespace and waits until it and its volumes are gone."""
    kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=true", "--grace-period=5", timeout=300)

    def pvs_gone():
        pvs = get("pv")["items"]
        return not [p for p in pvs if (p["spec"].get("claimRef") or {}).get("namespace") == name]
    wait_for(f"the volumes of namespace {name} to be deleted", pvs_gone, 120, 1)


def pods(ns, selector):
    return sorted(get("pods", "-l", selector, ns=ns)["items"], key=lambda p: p["metadata"]["name"])


def is_ready(pod):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions") or [])


def ready_names(ns, selector):
    return [p["metadata"]["name"] for p in pods(ns, selector) if is_ready(p) and not p["metadata"].get("deletionTimestamp")]


def wait_ready(ns, selector, count, timeout=300):
    """Waits until `count` pods of the selector are Ready; the seconds it took."""
    t0 = time.monotonic()
    wait_for(f"{count} Ready pods ({selector}) in {ns}", lambda: len(ready_names(ns, selector)) == count, timeout, 0.5)
    return time.monotonic() - t0


def pod_ip(ns, name):
    ip = get("pod", name, ns=ns)["status"].get("podIP")
    assert ip and ipaddress.ip_address(ip) in POD_NET, f"pod {name} has address {ip!r}, not one on the cluster bridge {POD_NET}"
    return ip


def container_status(ns, name):
    (cs,) = get("pod", name, ns=ns)["status"]["containerStatuses"]
    return cs


def exec_(ns, pod, *cmd, timeout=120, check=True):
    """`kubectl exec POD -- CMD`; the CompletedProcess."""
    return kubectl("exec", pod, "--", *cmd, ns=ns, timeout=timeout, check=check)


def parse_id(out):
    """busybox's `id`, parsed: {"uid": int, "gid": int, "groups": [int]}.
    A number has its name in parentheses only when passwd/group has one:
    `uid=1000(zkpod) gid=0(root) groups=0(root),1000`."""
    import re
    found = {k: [int(n) for n in re.findall(r"(?:^|,)(\d+)", v)] for k, v in re.findall(r"(\w+)=(\S+)", out)}
    return {"uid": found["uid"][0], "gid": found["gid"][0], "groups": found.get("groups", []), "text": out}


def ids(ns, pod):
    """`id` in the pod, parsed (parse_id)."""
    return parse_id(exec_(ns, pod, "id").stdout.strip())


def zkcli(ns, pod, *cmd, server=None, timeout=120):
    """The image's zkCli.sh (zkpod cli: ZooKeeperMain on the image's java)
    run inside the pod, as the tutorial's `kubectl exec zk-0 -- zkCli.sh
    create /hello world`: -server defaults to the pod's own client address.
    (rc, output)."""
    server_args = ["-server", server] if server else []
    r = exec_(ns, pod, "zkCli.sh", *server_args, *cmd, timeout=timeout, check=False)
    return r.returncode, r.stdout + r.stderr


def host_pid(ns, pod):
    """The node-side pid of the pod's container process (PID 1 in the pod),
    from the container id the kubelet reports, through containerd."""
    cid = container_status(ns, pod)["containerID"].split("://", 1)[1]
    r = subprocess.run(["ctr", "--address", "/run/zkpod-cluster/containerd.sock", "-n", "k8s.io", "tasks", "ls"],
                       capture_output=True, text=True, check=True)
    for line in r.stdout.splitlines()[1:]:
        f = line.split()
        if f and f[0] == cid:
            return int(f[1])
    raise AssertionError(f"no running task for container {cid} of {pod}")


# --- four-letter words, straight to pod addresses --------------------------------

def four(ip, word, timeout=0.5, port=2181):
    """Sends a four-letter word; the reply (empty on any failure)."""
    try:
        with socket.create_connection((ip, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(word.encode())
            s.shutdown(socket.SHUT_WR)
            out = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                out += b
            return out.decode(errors="replace")
    except OSError:
        return ""


def mode(ip):
    """leader/follower/standalone/observer from srvr, or None."""
    for line in four(ip, "srvr").splitlines():
        if line.startswith("Mode: "):
            return line.split(": ", 1)[1].strip()
    return None


class Endpoints:
    """The current pod addresses of a StatefulSet, refreshed from the API
    server at most once a second (pods get new addresses when recreated)."""

    def __init__(self, ns, selector):
        self.ns, self.selector = ns, selector
        self._lock = threading.Lock()
        self._at = 0.0
        self._ips = {}

    def get(self, fresh=False):
        with self._lock:
            if fresh or time.monotonic() - self._at > 1.0:
                try:
                    self._ips = {p["metadata"]["name"]: p["status"]["podIP"] for p in pods(self.ns, self.selector)
                                 if p.get("status", {}).get("podIP") and not p["metadata"].get("deletionTimestamp")}
                    self._at = time.monotonic()
                except (AssertionError, subprocess.TimeoutExpired, KeyError):
                    pass
            return dict(self._ips)



def load_on(ns, selector, names):
    """The membership tests' instruments, started (tests/lib/load.py): a
    leader poller over every pod the Endpoints list, and a writer connected
    to the pods `names`. Returns (poller, writer) once the first write is
    acknowledged; stops both if it never is."""
    from tests.lib import load

    eps = Endpoints(ns, selector)
    poller = load.LeaderPoller(lambda: {name: (ip, 2181) for name, ip in eps.get().items()}).start()
    writer = None
    try:
        initial = eps.get(fresh=True)
        writer = load.Writer(",".join(f"{initial[n]}:2181" for n in names)).start()
        wait_for("the first acknowledged write", lambda: writer.acked, 60, 0.2)
    except BaseException:
        if writer is not None:
            writer.stop()
        poller.stop()
        raise
    return poller, writer

class LeaderPoller(threading.Thread):
    """Asks srvr of every pod every 100 ms; records each round's leaders.
    `max_leaders` is the most pods that said "leader" in one round."""

    def __init__(self, endpoints, period=0.1):
        super().__init__(daemon=True)
        self.endpoints, self.period = endpoints, period
        self.stop_event = threading.Event()
        self.rounds = 0
        self.max_leaders = 0
        self.multi = []  # (time, {pod: mode}) of rounds with more than one leader
        self.no_leader_time = 0.0

    def run(self):
        last = time.monotonic()
        while not self.stop_event.is_set():
            t = time.monotonic()
            modes = {}
            eps = self.endpoints.get()
            threads = []

            def ask(name, ip):
                modes[name] = mode(ip)
            for name, ip in eps.items():
                th = threading.Thread(target=ask, args=(name, ip))
                th.start()
                threads.append(th)
            for th in threads:
                th.join()
            leaders = [n for n, m in modes.items() if m == "leader"]
            self.rounds += 1
            self.max_leaders = max(self.max_leaders, len(leaders))
            if len(leaders) > 1:
                self.multi.append((time.time(), dict(modes)))
            if not leaders:
                self.no_leader_time += t - last
            last = t
            self.stop_event.wait(max(0.0, self.period - (time.monotonic() - t)))

    def stop(self):
        self.stop_event.set()
        self.join(10)


class Writer(threading.Thread):
    """Writes /zkpod-writer/<n> continuously through kazoo, connected to the
    pods' addresses; records every acknowledged write and the longest gap
    between two acknowledged writes (the outage a client saw)."""

    def __init__(self, endpoints, path="/zkpod-writer", period=0.05):
        super().__init__(daemon=True)
        self.endpoints, self.path, self.period = endpoints, path, period
        self.stop_event = threading.Event()
        self.acked = {}
        self.failures = 0
        self.gaps = []  # (start, seconds) of each gap over 1 s
        self.max_gap = 0.0
        self.error = None

    def _client(self):
        from kazoo.client import KazooClient
        from kazoo.retry import KazooRetry
        hosts = ",".join(f"{ip}:2181" for ip in self.endpoints.get(fresh=True).values())
        c = KazooClient(hosts=hosts, timeout=4, connection_retry=KazooRetry(max_tries=3, delay=0.1, max_delay=0.3))
        try:
            c.start(timeout=5)
            c.ensure_path(self.path)
        except Exception:
            self._close(c)
            raise
        return c

    @staticmethod
    def _close(c):
        if c is not None:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001 - closing a broken client
                pass

    def run(self):
        n = 0
        last_ok = time.monotonic()
        client = None
        while not self.stop_event.is_set():
            if client is None:
                try:
                    client = self._client()
                except Exception as e:  # noqa: BLE001 - no member reachable yet
                    self.error = repr(e)
                    self.stop_event.wait(0.3)
                    continue
            try:
                value = f"v{n}".encode()
                client.create_async(f"{self.path}/{n:08d}", value).get(timeout=3)
                self.acked[n] = value
                now = time.monotonic()
                gap = now - last_ok
                if gap > 1.0:
                    self.gaps.append((time.strftime("%H:%M:%S", time.localtime(time.time() - gap)), round(gap, 2)))
                self.max_gap = max(self.max_gap, gap)
                last_ok = now
            except Exception as e:  # noqa: BLE001 - any failed write is unacknowledged
                self.failures += 1
                self.error = repr(e)
                if time.monotonic() - last_ok > 2.0:
                    # Pods may have new addresses: reconnect with fresh ones.
                    self._close(client)
                    client = None
            n += 1
            self.stop_event.wait(self.period)
        self._close(client)

    def stop(self):
        self.stop_event.set()
        self.join(30)


def check_acked(endpoints, acked, path="/zkpod-writer"):
    """Every acknowledged write is readable, with its value, through every
    pod (each asked on its own, after a sync). Returns the count checked."""
    from kazoo.client import KazooClient
    for name, ip in sorted(endpoints.get(fresh=True).items()):
        c = KazooClient(hosts=f"{ip}:2181", timeout=10)
        c.start(timeout=20)
        try:
            c.sync(path)
            children = set(c.get_children(path))
            missing = [n for n in acked if f"{n:08d}" not in children]
            assert not missing, f"{len(missing)} acknowledged writes missing through {name}: {missing[:10]}"
            for n in list(acked)[:: max(1, len(acked) // 50)]:
                assert c.get(f"{path}/{n:08d}")[0] == acked[n], f"write {n} has the wrong value through {name}"
        finally:
            c.stop()
            c.close()
    return len(acked)
