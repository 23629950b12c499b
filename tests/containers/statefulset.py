"""What the StatefulSet controller and the kubelet do with the suite's podman
pods, for membership changes (test_membership.py): the podman counterpart of
tests/lib/statefulset.py, driving the real image with the rendered pod
template.

The controller (podManagementPolicy: Parallel, updateStrategy RollingUpdate):
- `scale(n)`: the API says n at once (the ApiStandIn that `zkpod leave`
  asks); missing ordinals below n are created together, from the same
  template; ordinals at or beyond n are deleted together (highest first),
  their volumes (PVCs) kept;
- `roll(i, template)`: a rolling update's step: pod i deleted, created again
  from the new template, and waited for until Running and Ready.

The kubelet, one thread per pod (`Pod._kubelet`):
- starts the container, then runs the template's postStart command with
  `podman exec` beside it; the container counts as started only once the
  hook has exited 0 (the kubelet starts no probe before that);
- a failed postStart hook kills the container (preStop, then SIGTERM) and
  starts it again, as `FailedPostStartHook` does; a container that exits
  (kill -9, a crash, `zkpod start` exiting 9 while it waits) is started
  again (restartPolicy: Always) with the kubelet's back-off: at once the
  first time, then 10 s, doubling up to 300 s;
- deleting a pod runs its preStop command (`podman exec`) and then `podman
  stop` with what is left of terminationGracePeriodSeconds.

Beyond podspec.py's documented deviations (host network, one loopback
address per pod, the hosts file for DNS, an arbitrary uid), three more:
- the headless Service's DNS records (publishNotReadyAddresses: every pod
  that exists resolves) are every existing pod's hosts file, rewritten in
  place whenever a pod is created or deleted;
- the pod's emptyDirs are host directories that live as long as the pod
  (not tmpfs mounts that a `podman start` would empty), so a restarted
  container finds its conf dir as the kubelet leaves it (their sizeLimit,
  which the kubelet enforces by eviction, is not enforced);
- `ZKPOD_KUBE_API` in the container's environment points `zkpod leave` at
  the ApiStandIn on 127.0.0.1 (the pods use the host's network); in a
  cluster it finds the API server through KUBERNETES_SERVICE_HOST and the
  service account token.

Needs root and podman; the suite's fixtures skip without them.
"""

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import yaml

from tests.containers import podman_pod
from tests.containers.podman_pod import sh, wait_for
from tests.containers.podspec import MASK_SHELLS, PodPlan, pod_address
from tests.containers.settings import OVERLAY
from tests.lib.hosts import kubelet_hosts
from tests.lib.k8s import K8S, ROOT, kubectl
from tests.lib.statefulset import ApiStandIn, HookRun
from tests.lib.wait import wait_until

# How long the kubelet lets a postStart hook run here (zkpod join's own
# --timeout defaults to 10 minutes).
POST_START_TIMEOUT = 600
# The kubelet's restart back-off (restartPolicy: Always): the first restart
# at once, then 10 s doubling up to 5 minutes.
BACKOFF = (0, 10, 20, 40, 80, 160, 300)
# Every hosts file has this size, so that one pwrite replaces it in place
# (the file is bind-mounted, so it must keep its inode) and a reader never
# sees it truncated.
HOSTS_SIZE = 4096
# Where pods' logs are kept (also those of deleted pods).
LOGS = ROOT / ".tmp"


def write_in_place(path, text, size=HOSTS_SIZE):
    """Replaces the content of `path` (created if missing) with `text`, padded
    with newlines to `size` bytes, in one write at offset 0."""
    data = text.encode()
    if len(data) > size:
        raise ValueError(f"{path}: {len(data)} bytes do not fit in {size}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.pwrite(fd, data.ljust(size, b"\n"), 0)
    finally:
        os.close(fd)


def dns_hosts(plan, ordinals):
    """Pod `plan`'s hosts file with the DNS records of the pods `ordinals`
    (those that exist)."""
    peers = [(f"{plan.base}-{j}", pod_address(plan.net, j)) for j in sorted(ordinals)]
    return kubelet_hosts(plan.name, plan.address, peers, domain=plan.domain)


def emptydirs_as_dirs(argv, dirs):
    """`podman run` argv with each `--tmpfs PATH:OPTS` (an emptyDir) replaced
    by a bind of the host dir `dirs[PATH]`."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--tmpfs":
            path = argv[i + 1].split(":", 1)[0]
            out += ["-v", f"{dirs[path]}:{path}"]
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


class MemberPlan(PodPlan):
    """A PodPlan whose container and volumes carry the StatefulSet's `tag`
    too, so that each test's pods and claims are its own. The label stays the
    suite's (scripts/test-containers.sh removes everything with it)."""

    def __init__(self, sts, ordinal, *, tag, **kw):
        super().__init__(sts, ordinal, **kw)
        self.container_name = f"{self.prefix}-{tag}-{self.name}"
        self.volumes = {c: f"{self.prefix}-{tag}-{c}-{self.name}" for c in self.volumes}

    def lifecycle(self, hook):
        """The exec command of the template's postStart or preStop hook."""
        return self.container["lifecycle"][hook]["exec"]["command"]

    def emptydir_paths(self):
        """Mount paths of the template's emptyDirs."""
        defs = {v["name"]: v for v in self.pod_spec.get("volumes") or []}
        return [m["mountPath"] for m in self.container.get("volumeMounts") or []
                if "emptyDir" in defs.get(m["name"], {})]


class Pod(podman_pod.Pod):
    """One pod of the StatefulSet: its container, and the kubelet's thread
    that starts it, runs its postStart hook and restarts it."""

    def __init__(self, plan, workdir, api_url, record):
        self.plan = plan
        self.name = plan.container_name
        self.api_url = api_url
        self.record = record  # called with every HookRun
        self.home = Path(tempfile.mkdtemp(prefix=f"{plan.name}-", dir=workdir))
        os.chmod(self.home, 0o755)
        self.hosts_path = self.home / "hosts"
        self.emptydirs = {}
        for n, path in enumerate(plan.emptydir_paths()):
            d = self.home / f"emptydir-{n}"
            d.mkdir()
            os.chmod(d, 0o1777)  # an emptyDir is world-writable, as on tmpfs
            self.emptydirs[path] = d
        self.deleting = threading.Event()
        self.started = threading.Event()  # the current container's postStart hook exited 0
        self.exits = []  # exit codes of the containers that ended, but at the deletion
        self.terminated = None  # the exit code at the deletion
        self.failed_post_start = 0
        self.hook_killed = 0  # hooks that ended because the container died
        self.lock = threading.Lock()  # a start and a deletion never interleave
        self.thread = None
        self.error = None  # what stopped the kubelet's thread, if it failed

    # --- the kubelet -------------------------------------------------------
    def run(self, volumes=None):
        api = ("-e", f"ZKPOD_KUBE_API={self.api_url}")
        argv = self.plan.run_argv(str(self.hosts_path), volumes, extra=(*MASK_SHELLS, *api))
        sh(emptydirs_as_dirs(argv, self.emptydirs))

    def hook(self, hook, timeout):
        """Runs the template's `hook` command in the container (podman exec,
        with the container's environment); a HookRun. Like the kubelet, it
        gives up after `timeout` s."""
        t0 = time.monotonic()
        try:
            r = subprocess.run(["podman", "exec", self.name, *self.plan.lifecycle(hook)],
                               capture_output=True, text=True, timeout=timeout)
            code, out = r.returncode, r.stdout + r.stderr
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(errors="replace")
            code, out = -1, out + f"\n(the kubelet gave up on the hook after {timeout} s)"
        run = HookRun(self.plan.name, hook, code, out, round(time.monotonic() - t0, 1))
        self.record(run)
        LOGS.mkdir(exist_ok=True)
        with open(LOGS / f"{self.name}.hooks.log", "a") as f:
            f.write(f"### {hook} exited {code} after {run.seconds} s\n{out}\n")
        return run

    def _kubelet(self):
        try:
            self._restart_loop()
        except Exception as e:  # noqa: BLE001 (shown in the failure report)
            self.error = f"{type(e).__name__}: {e}"
            raise

    def _restart_loop(self):
        restarts = 0
        while True:
            with self.lock:
                if self.deleting.is_set():
                    return
                if restarts == 0:
                    self.run()
                else:
                    sh(["podman", "start", self.name])
            run = self.hook("postStart", POST_START_TIMEOUT)
            if run.code == 0:
                self.started.set()
            elif self.state() != "running":
                self.hook_killed += 1  # the container died under the hook
            elif not self.deleting.is_set():
                # FailedPostStartHook: the kubelet kills the container.
                self.failed_post_start += 1
                self.kill_container()
            code = podman_wait(self.name)
            self.started.clear()
            if self.deleting.is_set():
                self.terminated = code
                return
            self.exits.append(code)
            if self.deleting.wait(BACKOFF[min(restarts, len(BACKOFF) - 1)]):
                return
            restarts += 1

    def start_kubelet(self):
        self.thread = threading.Thread(target=self._kubelet, name=f"kubelet-{self.plan.name}", daemon=True)
        self.thread.start()

    def kill_container(self):
        """The kubelet's kill of a container: preStop, then SIGTERM with the
        rest of the grace period (SIGKILL after it). The preStop HookRun."""
        run = self.hook("preStop", self.plan.grace)
        rest = max(0, int(self.plan.grace - run.seconds))
        sh(["podman", "stop", "--time", str(rest), self.name], check=False, timeout=rest + 60)
        return run

    def ready(self):
        """Running and Ready: the postStart hook has passed, then the
        startup and readiness probes (podman exec, within timeoutSeconds)."""
        return (self.started.is_set() and self.probe("startupProbe")[0] == 0
                and self.probe("readinessProbe")[0] == 0)

    def keep_logs(self, note):
        """Appends the container's log to .tmp/<container>.log (a deleted
        pod's container is gone with its log otherwise)."""
        LOGS.mkdir(exist_ok=True)
        with open(LOGS / f"{self.name}.log", "a") as f:
            f.write(f"### {note}\n{self.logs()}\n")


def log_digest(text, lines, width=300):
    """zkpod's lines and the last `lines` others of a container log, without
    the four-letter words the tests' pollers send, each cut at `width`."""
    keep = [ln for ln in text.splitlines() if not re.search(r"Processing \w{4} command from", ln)]
    zkpod = [ln for ln in keep if ln.startswith("zkpod")]
    rest = [ln for ln in keep if not ln.startswith("zkpod")][-lines:]
    cut = [ln if len(ln) <= width else ln[:width] + " [...]" for ln in zkpod + ["..."] + rest]
    return "\n".join(cut)


def podman_wait(name):
    """Waits until the container stops; its exit code (None when podman
    cannot say, e.g. the container was removed)."""
    r = subprocess.run(["podman", "wait", name], capture_output=True, text=True)
    try:
        return int(r.stdout.strip())
    except ValueError:
        return None


def overlay_kustomization(base, servers_index, servers_from, replicas, servers):
    """A user's kustomization on top of `base` (a path relative to it) that
    sets replicas and replaces the container's --servers argument (at
    `servers_index`, guarded by a JSON-patch test of its old value). Pure."""
    return yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [base],
        "replicas": [{"name": "zk", "count": replicas}],
        "patches": [{
            "target": {"kind": "StatefulSet", "name": "zk"},
            "patch": yaml.safe_dump([
                {"op": "test", "path": f"/spec/template/spec/containers/0/args/{servers_index}",
                 "value": servers_from},
                {"op": "replace", "path": f"/spec/template/spec/containers/0/args/{servers_index}",
                 "value": f"--servers={servers}"},
            ]),
        }],
    })


def user_overlay(sts, replicas, servers, overlay=OVERLAY):
    """`overlay` (the one under test) as a user's own overlay renders it with
    `replicas` and `--servers=<servers>` (kubectl kustomize); its
    StatefulSet, checked to differ from `sts` in those two fields only."""
    args = sts["spec"]["template"]["spec"]["containers"][0]["args"]
    (index,) = [i for i, a in enumerate(args) if a.startswith("--servers=")]
    with tempfile.TemporaryDirectory(prefix="zkpod-overlay-") as d:
        base = os.path.relpath(K8S / "overlays" / overlay, d)
        with open(os.path.join(d, "kustomization.yaml"), "w") as f:
            f.write(overlay_kustomization(base, index, args[index], replicas, servers))
        out = subprocess.run([kubectl(), "kustomize", d], check=True, capture_output=True, text=True).stdout
    (mine,) = [doc for doc in yaml.safe_load_all(out) if doc and doc["kind"] == "StatefulSet"]

    def rest(s):
        s = yaml.safe_load(yaml.safe_dump(s))
        s["spec"].pop("replicas")
        s["spec"]["template"]["spec"]["containers"][0]["args"].pop(index)
        return s

    assert rest(mine) == rest(sts), "the user's overlay changed more than replicas and --servers"
    assert mine["spec"]["replicas"] == replicas
    assert mine["spec"]["template"]["spec"]["containers"][0]["args"][index] == f"--servers={servers}"
    return mine


def remove_leftovers(prefix, tags):
    """Removes the containers and volumes of StatefulSets `tags` that an
    interrupted earlier run left (those named <prefix>-<tag>-...)."""
    label = f"label=zkpod-e2e={prefix}"
    mine = tuple(f"{prefix}-{tag}-" for tag in tags)
    names = sh(["podman", "ps", "-a", "--filter", label, "--format", "{{.Names}}"], check=False).stdout.split()
    names = [n for n in names if n.startswith(mine)]
    if names:
        sh(["podman", "rm", "--force", "--time", "0", *names], check=False, timeout=120)
    vols = sh(["podman", "volume", "ls", "--filter", label, "--format", "{{.Name}}"], check=False).stdout.split()
    vols = [v for v in vols if v.startswith(mine)]
    if vols:
        sh(["podman", "volume", "rm", "--force", *vols], check=False, timeout=120)
    return names + vols


class StatefulSet:
    """Pods `<tag>` zk-0.. of one StatefulSet, run from `template` (a
    rendered StatefulSet). `settings`: net, prefix, namespace, uid, image and
    secrets for the PodPlans."""

    def __init__(self, template, tag, **settings):
        self.template = template
        self.tag = tag
        self.settings = settings
        self.replicas = template["spec"]["replicas"]
        self.grace = int(template["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30))
        self.api = ApiStandIn(self.replicas)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{settings['prefix']}-{tag}-"))
        os.chmod(self.workdir, 0o755)
        self.pods = {}
        self.volumes = set()
        self.hook_runs = []
        self.lock = threading.Lock()  # guards hook_runs
        # Guards `pods` and the DNS records: parallel deletions must not
        # publish an older view last.
        self.pods_lock = threading.RLock()
        self.gone = []  # pods deleted so far
        for old in LOGS.glob(f"{settings['prefix']}-{tag}-*.log"):
            old.unlink()  # an earlier run's

    def plan(self, i, template=None):
        return MemberPlan(template or self.template, i, tag=self.tag, **self.settings)

    def _record(self, run):
        with self.lock:
            self.hook_runs.append(run)

    def publish_dns(self):
        """The headless Service's records: every existing pod resolves, in
        every pod's hosts file."""
        with self.pods_lock:
            for p in self.pods.values():
                write_in_place(p.hosts_path, dns_hosts(p.plan, self.pods))

    # --- the controller ----------------------------------------------------
    def create(self, i, template=None):
        """Creates pod i (its claim's volume first, if new) and hands it to
        its kubelet."""
        plan = self.plan(i, template)
        for vol in plan.volumes.values():
            if vol not in self.volumes:
                if sh(["podman", "volume", "exists", vol], check=False).returncode != 0:
                    sh(["podman", "volume", "create", "--label", f"zkpod-e2e={plan.prefix}", vol])
                self.volumes.add(vol)
        p = Pod(plan, self.workdir, self.api.url, self._record)
        with self.pods_lock:
            self.pods[i] = p
            self.publish_dns()
        p.start_kubelet()
        return p

    def delete(self, i):
        """Deletes pod i as the kubelet terminates it: preStop, then SIGTERM
        with the rest of the grace period; the container is removed, the
        volumes stay. The preStop HookRun (None when the container was not
        running)."""
        p = self.pods[i]
        with p.lock:
            p.deleting.set()
        run = p.kill_container() if p.state() == "running" else None
        if p.thread:
            p.thread.join(timeout=p.plan.grace + 60)
        p.keep_logs(f"{p.plan.name} deleted at {time.strftime('%H:%M:%S')}")
        sh(["podman", "rm", "--force", "--time", "0", p.name], check=False)
        shutil.rmtree(p.home, ignore_errors=True)
        with self.pods_lock:
            del self.pods[i]
            self.gone.append(p)
            self.publish_dns()
        return run

    def scale(self, n):
        """`kubectl scale statefulset zk --replicas=n`: the API says n, then
        the controller creates the missing ordinals below n and deletes those
        at or beyond n, all at once (Parallel). Returns the preStop runs of
        the deleted pods, once they are gone."""
        self.replicas = n
        self.api.replicas = n
        for i in range(n):
            if i not in self.pods:
                self.create(i)
        going = sorted((i for i in self.pods if i >= n), reverse=True)
        runs, threads = [], []
        for i in going:
            t = threading.Thread(target=lambda i=i: runs.append(self.delete(i)), daemon=True)
            t.start()
            threads.append(t)
        for t in threads:
            t.join(timeout=self.grace + 120)
        assert len(runs) == len(going), "a pod did not terminate:\n" + self.logs()
        return runs

    def roll(self, i, template=None, timeout=180):
        """A rolling update's step: pod i deleted and created from `template`
        (default: the current one), then waited for until Running and Ready.
        Returns the preStop run."""
        run = self.delete(i)
        if template is not None:
            self.template = template
        self.create(i)
        self.wait_ready([i], timeout)
        return run

    def kill9(self, i):
        """kill -9 of pod i's PID 1 (the JVM) from the host; the kubelet starts
        the container again. Returns the executable's name."""
        p = self.pods[i]
        ended = len(p.exits)
        exe = p.kill_pid1()
        wait_for(f"{p.plan.name}'s container to exit", lambda: len(p.exits) > ended, 60, interval=0.1)
        return exe

    # --- what the tests look at ---------------------------------------------
    def wait_ready(self, ordinals, timeout=180):
        wait_until_logged(self, "Running and Ready: " + ", ".join(f"zk-{i}" for i in ordinals),
                          lambda: all(self.pods[i].ready() for i in ordinals), timeout)

    def wait_hooks(self, timeout=POST_START_TIMEOUT):
        """Until every pod's current container has passed its postStart hook."""
        wait_until_logged(self, "every postStart hook", lambda: all(p.started.is_set() for p in self.pods.values()),
                          timeout)

    def addresses(self):
        with self.pods_lock:
            return {p.plan.name: (p.plan.address, 2181) for p in self.pods.values()}

    def logs(self, lines=40):
        """What a failure report shows: per pod (deleted pods too) every
        line of zkpod and the last `lines` lines of ZooKeeper but the
        pollers' four-letter words; then every hook that failed."""
        parts = []
        for p in [*self.gone, *self.pods.values()]:
            state = p.state()
            parts.append(f"----- {p.name} ({state}, container exits {p.exits}) -----")
            if p.error:
                parts.append(f"(its kubelet thread failed: {p.error})")
            parts.append(log_digest(p.logs(), lines) if state != "absent" else "(removed; see its log file)")
        failed = [r for r in self.hook_runs if r.code != 0]
        if failed:
            parts.append("----- hooks that failed -----")
            parts += [f"{r.pod} {r.hook} exited {r.code} after {r.seconds} s:\n{r.output.strip()}" for r in failed]
        parts.append(f"(full logs: {LOGS}/{self.settings['prefix']}-{self.tag}-zk-*.log and *.hooks.log)")
        return "\n".join(parts)

    def close(self):
        """Removes every container and volume of this StatefulSet (keeping
        the logs in .tmp/) and stops the API stand-in."""
        for p in self.pods.values():
            p.deleting.set()
        for p in list(self.pods.values()):
            if p.state() != "absent":
                p.keep_logs(f"{p.plan.name} at the end of the test")
            sh(["podman", "rm", "--force", "--time", "0", p.name], check=False, timeout=120)
        for p in self.pods.values():
            if p.thread:
                p.thread.join(timeout=30)
        if self.volumes:
            sh(["podman", "volume", "rm", "--force", *sorted(self.volumes)], check=False, timeout=120)
        self.api.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def wait_until_logged(sset, what, pred, timeout, interval=0.5):
    """wait_for, failing with the pods' logs."""
    return wait_until(what, pred, timeout, interval=interval, on_fail=sset.logs, ignore=(Exception,))


# StatefulSets of the running test: a failing test's report gets their pods'
# logs (conftest.py).
ACTIVE = []
