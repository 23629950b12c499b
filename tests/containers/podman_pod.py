"""Runs the planned pods (podspec.PodPlan) with podman and looks at them the
way a kubelet and an operator would: lifecycle, probes through `podman exec`
(as the kubelet runs exec probes), status, logs, volumes. Needs root and
podman; the suite's fixtures skip without them.
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.containers.podspec import MASK_SHELLS
from tests.lib.wait import wait_until


def sh(argv, timeout=60, check=True):
    """Runs a command; returns the CompletedProcess (text)."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {r.returncode}: {r.stderr.strip()[-2000:]}")
    return r


def remove_labelled(prefix):
    """Removes every container and volume labelled zkpod-e2e=`prefix` (a
    run's, or what an interrupted one left)."""
    label = f"label=zkpod-e2e={prefix}"
    containers = sh(["podman", "ps", "-a", "-q", "--filter", label], check=False).stdout.split()
    if containers:
        sh(["podman", "rm", "--force", "--time", "0", *containers], check=False, timeout=120)
    volumes = sh(["podman", "volume", "ls", "-q", "--filter", label], check=False).stdout.split()
    if volumes:
        sh(["podman", "volume", "rm", "--force", *volumes], check=False, timeout=120)


def wait_for(what, pred, timeout, interval=0.5):
    """wait_until, with any exception of a poll counting as "not yet": podman
    exec, status and the probes fail in many ways while a container starts."""
    return wait_until(what, pred, timeout, interval=interval, ignore=(Exception,))


class Pod:
    """A running (or stopped) pod: a podman container built from a PodPlan."""

    def __init__(self, plan, hosts_dir):
        self.plan = plan
        self.hosts_path = Path(hosts_dir) / f"{plan.name}.hosts"
        self.hosts_path.write_text(plan.hosts())
        self.name = plan.container_name

    # --- lifecycle -------------------------------------------------------
    def create_volumes(self):
        for vol in self.plan.volumes.values():
            if sh(["podman", "volume", "exists", vol], check=False).returncode != 0:
                sh(["podman", "volume", "create", "--label", f"zkpod-e2e={self.plan.prefix}", vol])

    def run(self, volumes=None):
        """Creates and starts the container (a new pod on existing volumes)."""
        sh(self.plan.run_argv(str(self.hosts_path), volumes, extra=MASK_SHELLS))

    def start(self):
        """Starts the existing container again: the kubelet restarting a
        container of the same pod."""
        sh(["podman", "start", self.name])

    def stop(self):
        """`podman stop` (SIGTERM, then SIGKILL after the grace period);
        returns (seconds, exit code)."""
        t0 = time.monotonic()
        sh(["podman", "stop", "--time", str(self.plan.grace), self.name], timeout=self.plan.grace + 30)
        return time.monotonic() - t0, self.exit_code()

    def remove(self):
        sh(["podman", "rm", "--force", "--time", "0", self.name], check=False)

    def state(self):
        r = sh(["podman", "inspect", "--format", "{{.State.Status}}", self.name], check=False)
        return r.stdout.strip() if r.returncode == 0 else "absent"

    def exit_code(self):
        return int(sh(["podman", "inspect", "--format", "{{.State.ExitCode}}", self.name]).stdout)

    def pid(self):
        """Host PID of the container's PID 1."""
        return int(sh(["podman", "inspect", "--format", "{{.State.Pid}}", self.name]).stdout)

    def kill_pid1(self):
        """kill -9 of the container's PID 1 from the host; returns what it was
        (the executable's name)."""
        pid = self.pid()
        exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
        os.kill(pid, signal.SIGKILL)
        return exe

    def wait_exit(self, timeout):
        sh(["podman", "wait", self.name], timeout=timeout)
        return self.exit_code()

    def logs(self):
        r = sh(["podman", "logs", self.name], check=False)
        return r.stdout + r.stderr

    # --- probes, as the kubelet runs them --------------------------------
    def probe(self, kind):
        """Runs the manifest's exec probe in the container; (exit code, stderr).
        Like the kubelet, a probe still running after the manifest's
        timeoutSeconds has failed: (None, a line saying so)."""
        code, err, _secs, _limit = self.timed_probe(kind)
        return code, err

    def timed_probe(self, kind):
        """`podman exec` of the manifest's probe, cut off at its
        timeoutSeconds (podman exec's own start-up counts against it, as the
        runtime's exec does for the kubelet); (exit code or None, stderr,
        wall seconds, timeoutSeconds)."""
        argv, timeout = self.plan.probe(kind)
        t0 = time.monotonic()
        try:
            r = subprocess.run(["podman", "exec", self.name, *argv], capture_output=True, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            secs = time.monotonic() - t0
            return None, f"probe {kind} did not finish within its timeoutSeconds ({timeout} s)", secs, timeout
        return r.returncode, r.stderr.strip(), time.monotonic() - t0, timeout

    def status(self):
        r = sh(["podman", "exec", self.name, "/usr/local/bin/zkpod", "status", "--json"], check=False, timeout=15)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def mode(self):
        s = self.status()
        return s["mode"] if s and s.get("serving") else None

    # --- data ------------------------------------------------------------
    def volume_path(self, claim="data", vol=None):
        vol = vol or self.plan.volumes[claim]
        return Path(sh(["podman", "volume", "inspect", "--format", "{{.Mountpoint}}", vol]).stdout.strip())

    def myid_on_volume(self):
        return (self.volume_path() / "data" / "myid").read_text().strip()

    @property
    def endpoint(self):
        return f"{self.plan.address}:2181"
