"""What the StatefulSet controller and the kubelet do with the shipped
manifest, for namespace pods (tests/lib/harness.py) on this machine.

- `scale(n)` does what the controller does with podManagementPolicy:
  Parallel: new ordinals start at once, with the same command and
  environment as the others; ordinals at or beyond `n` stop, highest first,
  each after its preStop hook (`zkpod leave`), with SIGTERM. Nothing else.
- Starting a pod runs its postStart hook (`zkpod join`) the way the kubelet
  does: beside the container's own process; if the hook fails, the container
  is killed and started again (restartPolicy: Always), after a backoff.
- A stand-in for the one API call zkpod makes: `GET` of the StatefulSet,
  answering `spec.replicas` (an HTTP server on 127.0.0.1; the pods find it
  through ZKPOD_KUBE_API, as in-cluster pods find the real one through
  KUBERNETES_SERVICE_HOST).

The hooks are the manifest's (docker/k8s/base/statefulset.yaml); the
manifest suite checks that the two say the same. Standard library only, so
that scripts/local-ensemble.sh scale runs where the tests' packages are not
installed.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from tests.lib.harness import Pod, ensemble_ip

# The StatefulSet's lifecycle hooks (docker/k8s/base/statefulset.yaml),
# after the image's /usr/local/bin/zkpod.
POST_START = ["join"]
PRE_STOP = ["leave"]
# The manifest's terminationGracePeriodSeconds.
GRACE_SECONDS = 90.0
# The most pods the harness addresses (zk-N on 127.0.0.1N).
MAX_PODS = 10
NAMESPACE = "default"
NAME = "zk"


class ApiStandIn:
    """Answers GET /apis/apps/v1/namespaces/default/statefulsets/zk with the
    wanted replicas; anything else is 404."""

    def __init__(self, replicas: int):
        self.replicas = replicas
        self.requests = 0
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                api.requests += 1
                want = f"/apis/apps/v1/namespaces/{NAMESPACE}/statefulsets/{NAME}"
                if self.path == want:
                    body = json.dumps({"kind": "StatefulSet", "spec": {"replicas": api.replicas}}).encode()
                    self.send_response(200)
                else:
                    body = b'{"kind":"Status","code":404}'
                    self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class HookRun:
    pod: str
    hook: str
    code: int
    output: str
    seconds: float


@dataclass
class StatefulSet:
    """Pods zk-0.. of one StatefulSet with `initial` as --servers."""

    base: Path
    zkpod: Path
    initial: int
    replicas: int
    password_file: Optional[Path] = None
    extra_args: list[str] = field(default_factory=list)
    heap: str = "128M"
    hooks: bool = True
    pods: dict[int, Pod] = field(default_factory=dict)
    hook_runs: list[HookRun] = field(default_factory=list)
    # postStart failures that made the "kubelet" restart a container.
    restarts: int = 0
    api: Optional[ApiStandIn] = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)
    _stopping: set[int] = field(default_factory=set)

    def __post_init__(self):
        self.api = ApiStandIn(self.replicas)

    def env(self) -> dict[str, str]:
        """The container's environment (the manifest's env)."""
        e = {"POD_NAMESPACE": NAMESPACE, "ZKPOD_KUBE_API": self.api.url}
        if self.password_file:
            e["ZOO_SUPERUSER_PASSWORD_FILE"] = str(self.password_file)
        return e

    def pod(self, i: int) -> Pod:
        if i not in self.pods:
            names = [(f"zk-{j}", ensemble_ip(j)) for j in range(MAX_PODS)]
            self.pods[i] = Pod(
                self.base,
                i,
                ensemble_ip(i),
                self.initial,
                self.zkpod,
                peers=names,
                extra_args=list(self.extra_args),
                heap=self.heap,
                env=self.env(),
            )
        return self.pods[i]

    def running(self) -> list[int]:
        return sorted(i for i, p in self.pods.items() if p.running())

    # -- the kubelet --------------------------------------------------------

    def _hook(self, pod: Pod, args: list[str], timeout: float) -> HookRun:
        """Runs a hook beside the container, as the kubelet's exec does; it
        ends with the container (the kubelet kills a hook whose container
        died) or at `timeout`."""
        t0 = time.monotonic()
        env = {**os.environ, **self.env(), "ZOO_CONF_DIR": str(pod.conf_dir)}
        out_path = pod.home / f".{args[0]}.out"
        with open(out_path, "w") as out:
            p = subprocess.Popen(
                [str(self.zkpod), *args, "--conf_dir", str(pod.conf_dir)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
            note = ""
            while p.poll() is None:
                if time.monotonic() - t0 > timeout:
                    note = "\n(timed out: killed)"
                    break
                if not pod.running():
                    note = "\n(the container exited: killed)"
                    break
                time.sleep(0.1)
            if p.poll() is None:
                p.kill()
            code = p.wait()
        run = HookRun(pod.name, args[0], code, out_path.read_text(errors="replace") + note, time.monotonic() - t0)
        with self._lock:
            self.hook_runs.append(run)
        with open(pod.log, "a") as log:
            log.write(f"### {args[0]} hook exited {run.code} after {run.seconds:.1f} s:\n{run.output}\n")
        return run

    def _container(self, i: int) -> None:
        """Starts pod i's container and runs its postStart hook; a failed
        hook kills the container and starts it again after a backoff, while
        the pod is wanted."""
        backoff = 1.0
        while True:
            pod = self.pod(i)
            pod.start()
            if not self.hooks:
                return
            run = self._hook(pod, POST_START, timeout=600)
            if run.code == 0 or i in self._stopping or not pod.running():
                return
            with self._lock:
                self.restarts += 1
            pod.stop()
            time.sleep(backoff)
            backoff = min(backoff * 2, 10.0)
            if i >= self.replicas or i in self._stopping:
                return

    def start_pod(self, i: int) -> threading.Thread:
        self._stopping.discard(i)
        t = threading.Thread(target=self._container, args=(i,), name=f"kubelet-zk-{i}", daemon=True)
        t.start()
        self._threads.append(t)
        return t

    def stop_pod(self, i: int) -> None:
        """The kubelet's termination: preStop, then SIGTERM (SIGKILL after
        the grace period)."""
        self._stopping.add(i)
        pod = self.pods.get(i)
        if pod is None or not pod.running():
            return
        if self.hooks:
            self._hook(pod, PRE_STOP, timeout=GRACE_SECONDS)
        pod.stop()

    def kill9(self, i: int) -> None:
        """The JVM dies (SIGKILL); the kubelet restarts the container."""
        pod = self.pods[i]
        os.killpg(pod.proc.pid, 9)
        pod.proc.popen.wait(timeout=10)
        self.start_pod(i)

    def restart(self, i: int) -> None:
        """A rolling update's step for pod i: terminate it (hooks included),
        then start it again with the same template."""
        self.stop_pod(i)
        self.start_pod(i)

    # -- the controller ------------------------------------------------------

    def scale(self, n: int) -> None:
        """What `kubectl scale statefulset zk --replicas=n` makes the
        controller do (Parallel): the API says n at once; missing ordinals
        below n start together; ordinals at or beyond n stop, highest first."""
        self.replicas = n
        self.api.replicas = n
        for i in range(n):
            p = self.pods.get(i)
            if p is None or not p.running():
                self.start_pod(i)
        going = sorted((i for i in self.running() if i >= n), reverse=True)
        threads = []
        for i in going:
            t = threading.Thread(target=self.stop_pod, args=(i,), name=f"stop-zk-{i}", daemon=True)
            t.start()
            threads.append(t)
        for t in threads:
            t.join(timeout=GRACE_SECONDS + 30)

    def wait_hooks(self, timeout: float = 600) -> None:
        """Waits until every postStart hook started so far has finished."""
        deadline = time.monotonic() + timeout
        for t in list(self._threads):
            t.join(timeout=max(0.1, deadline - time.monotonic()))

    def stop(self) -> None:
        """Stops every pod without hooks (the end of a test)."""
        for i in list(self.pods):
            self._stopping.add(i)
        for p in self.pods.values():
            p.stop()
        if self.api:
            self.api.close()

    def logs(self, n: int = 60) -> str:
        parts = []
        for i, p in sorted(self.pods.items()):
            parts.append(f"----- {p.name} ({p.log}) -----\n" + "\n".join(p.output().splitlines()[-n:]))
        return "\n".join(parts)

    def connect_string(self) -> str:
        """Every address a member may have: clients are given all of them."""
        return ",".join(f"{ensemble_ip(i)}:2181" for i in range(MAX_PODS))
