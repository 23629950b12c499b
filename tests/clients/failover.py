"""The failure both client checks go through: SIGKILL of the ZooKeeper
leader's JVM, then the two others electing a new leader between them."""

from __future__ import annotations

import json
import os
import signal
import time

from tests.lib import harness as h
from tests.lib.wait import wait_until


def kill_leader(ens: h.Ensemble) -> tuple[h.Pod, dict[str, str], float]:
    """Kills the leader; returns it, the modes of the two others once they
    serve again, and the seconds that took."""
    modes = ens.modes()
    leaders = [p for p in ens.pods if modes[p.name] == "leader"]
    assert len(leaders) == 1, modes
    leader = leaders[0]
    t0 = time.monotonic()
    os.kill(leader.java_pid(), signal.SIGKILL)
    leader.proc.wait(30)
    others = [i for i, p in enumerate(ens.pods) if p is not leader]
    # Right after the kill the two still answer as followers of the dead
    # leader: wait for one of them to lead.
    def led():
        m = ens.modes(which=others)
        return m if sorted(v or "-" for v in m.values()) == ["follower", "leader"] else None

    new = wait_until("a new leader among the two others", led, 60, on_fail=ens.logs)
    return leader, new, time.monotonic() - t0


def check_through_leader_kill(check, ens: h.Ensemble, name: str, ready: str,
                              ready_timeout: float, result_timeout: float):
    """Drives a Java check (tests/clients/java) through the leader kill: once
    it prints `ready` (its first phase is done) the leader is killed, GO is
    sent, and the check's `RESULT {json}` line is read. The check is stopped
    in every case. Returns the ready line, the killed pod, the result and the
    check's exit code; the kill and the result are recorded as figures."""
    try:
        first = check.expect(ready, ready_timeout)
        killed, modes, secs = kill_leader(ens)
        h.FIGURES.append(f"{name}: killed ZooKeeper leader {killed.name} at '{first}'; "
                         f"{secs:.1f} s to a new leader ({modes})")
        check.send("GO")
        line = check.expect("RESULT ", result_timeout)
        code = check.wait(60)
    finally:
        check.stop()
    result = json.loads(line.split(" ", 1)[1])
    h.FIGURES.append(f"{name}: {result}")
    return first, killed, result, code
