"""scripts/local-ensemble.sh's CLI (tests/lib/local_ensemble.py): up, scale,
status and down drive namespace pods the way Kubernetes drives the shipped
StatefulSet, so `scale N` locally is `kubectl scale` (issue 9, item 6).

Needs root (namespaces, bind mounts) and Debian's zookeeper package.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.lib import harness as h
from tests.lib.fourlw import four_letter

CLI = [sys.executable, str(h.REPO / "tests/lib/local_ensemble.py")]


def cli(base, *args, timeout=300):
    env = {**os.environ}
    return subprocess.run([*CLI, *args, "--dir", str(base)], capture_output=True, text=True, timeout=timeout, env=env)


def voters(ip: str) -> int:
    conf = four_letter(ip, 2181, "conf", timeout=2.0)
    return sum(1 for line in conf.splitlines() if line.startswith("server.") and ":observer" not in line)


def test_up_scale_status_down(lab, ns_lock):
    base = lab.base / "local"
    # The CLI takes the namespace lock itself; this test already holds it
    # (ns_lock), so it runs the commands with the lock's holder's blessing
    # through ZKPOD_LOCAL_LOCK_HELD.
    os.environ["ZKPOD_LOCAL_LOCK_HELD"] = "1"
    try:
        up = cli(base, "up", "--zkpod", str(lab.zkpod), "--replicas", "3")
        assert up.returncode == 0, up.stdout + up.stderr
        assert "up: 3 servers" in up.stdout, up.stdout
        sc = cli(base, "scale", "4")
        assert sc.returncode == 0, sc.stdout + sc.stderr
        assert "scaled to 4" in sc.stdout and "4 voters" in sc.stdout, sc.stdout
        assert voters(h.ensemble_ip(3)) == 4
        sc = cli(base, "scale", "3")
        assert sc.returncode == 0, sc.stdout + sc.stderr
        assert voters(h.ensemble_ip(0)) == 3
        st = cli(base, "status")
        assert st.returncode == 0, st.stdout + st.stderr
        lines = st.stdout.splitlines()
        assert [line.split()[0] for line in lines] == ["zk-0", "zk-1", "zk-2"], st.stdout
        assert all("3 voters" in line for line in lines), st.stdout
    finally:
        down = cli(base, "down")
        os.environ.pop("ZKPOD_LOCAL_LOCK_HELD", None)
    assert down.returncode == 0, down.stdout + down.stderr
    assert down.stdout.count("stopped") == 3, down.stdout
