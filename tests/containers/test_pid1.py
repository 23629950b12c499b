"""A shell as PID 1 (issue 11's finding, fixed in zkpod by issue 8's branch):
seed 001's manifest runs `sh -c "start.sh ..."`, so the shell is PID 1, and
Debian's sh neither execs the command nor passes SIGTERM on. zkpod notices
that its parent is PID 1 and a shell, says so once, in one line (problem,
consequence, fix), and goes on; with `exec start.sh ...` it says nothing and
the JVM is PID 1.

The image has no shell (FROM scratch): the host's dash is mounted at /bin/sh,
as a user's image with a shell would have it. The container runs as the
image's user, on the host network at <E2E_NET>5.

Needs root, podman and the built image (see conftest.py).
"""

import time

from tests.containers.podman_pod import sh, wait_for
from tests.containers.podspec import pod_address
from tests.containers.settings import NET, PREFIX, figure
from tests.lib.fourlw import server_mode
from tests.lib.hosts import no_dns_resolv_conf

# After "PID 1 is the shell sh (<its path in the container>)".
WARNING_REST = (
    " that started zkpod, not zkpod itself: "
    "SIGTERM from the kubelet (or podman stop) reaches only the shell, which does not pass it on: "
    "ZooKeeper gets no clean shutdown and is killed when the grace period ends. "
    "Fix: write `exec start.sh ...` inside sh -c, or use the exec form "
    "(command: [\"start.sh\", ...]) so that the JVM becomes PID 1"
)


def run_sh(image, name, script):
    sh(["podman", "rm", "--force", "--time", "0", name], check=False)
    sh([
        "podman", "run", "-d", "--name", name, "--label", f"zkpod-e2e={PREFIX}",
        "--network", "host", "--hostname", "zk-0",
        "-v", f"{no_dns_resolv_conf()}:/etc/resolv.conf:ro",
        "--mount", "type=tmpfs,destination=/var/lib/zookeeper,tmpfs-mode=1777",
        "-v", "/usr/bin/dash:/bin/sh:ro",
        "--entrypoint", "/bin/sh", image, "-c", script,
    ])


def logs(name):
    r = sh(["podman", "logs", name], check=False)
    return r.stdout + r.stderr


def main_pid(name):
    return int(sh(["podman", "inspect", "-f", "{{.State.Pid}}", name]).stdout.strip())


def stop_seconds(name, grace):
    t0 = time.monotonic()
    sh(["podman", "stop", "--time", str(grace), name], timeout=120)
    return time.monotonic() - t0


def test_sh_c_start_sh_gets_one_line_and_exec_gets_none(image):
    ip = pod_address(NET, 5)
    args = f"--servers=1 --client_address={ip} --heap=128M"
    name = f"{PREFIX}-pid1-sh"
    run_sh(image, name, f"start.sh {args}")
    try:
        wait_for("ZooKeeper serving under sh -c", lambda: server_mode(ip) == "standalone", 90, interval=1)
        out = logs(name)
        lines = [ln for ln in out.splitlines() if "PID 1" in ln]
        assert len(lines) == 1, out
        assert lines[0].startswith("zkpod: WARN: PID 1 is the shell sh ("), lines[0]
        assert lines[0].endswith(")" + WARNING_REST), lines[0]
        # PID 1 is the shell, the JVM its child: SIGTERM does not reach it.
        pid = main_pid(name)
        assert open(f"/proc/{pid}/comm").read().strip() == "sh"
        took = stop_seconds(name, 3)
        figure("pid1_sh_c_stop_seconds", round(took, 1))
        assert took >= 2.5, f"podman stop took {took:.1f} s: the JVM got SIGTERM after all?"
    finally:
        sh(["podman", "rm", "--force", "--time", "0", name], check=False)

    name = f"{PREFIX}-pid1-exec"
    run_sh(image, name, f"exec start.sh {args}")
    try:
        wait_for("ZooKeeper serving under sh -c exec", lambda: server_mode(ip) == "standalone", 90, interval=1)
        out = logs(name)
        assert "PID 1" not in out, out
        pid = main_pid(name)
        assert open(f"/proc/{pid}/comm").read().strip() == "java"
        took = stop_seconds(name, 20)
        figure("pid1_exec_stop_seconds", round(took, 1))
        assert took < 15, f"podman stop took {took:.1f} s though the JVM is PID 1"
    finally:
        sh(["podman", "rm", "--force", "--time", "0", name], check=False)
