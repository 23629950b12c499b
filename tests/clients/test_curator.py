"""Apache Curator through a ZooKeeper leader kill (issue 10): Curator 5.9's
InterProcessMutex and LeaderLatch (tests/clients/java/curator-check) against
three servers of the image's default release started through zkpod. The
check takes the lock in four sessions and increments a counter znode under
it, while three sessions run a leader latch; the test SIGKILLs the ZooKeeper
leader in the middle. Asserted: never two lock holders, never two leaders,
no session lost, every client saw the failover and came back, the lock and
the latch worked again after it, and the counter (read independently with
kazoo) equals the increments ZooKeeper acknowledged.
"""

from __future__ import annotations

from tests.clients.failover import check_through_leader_kill
from tests.clients.jvm import NO_SASL, Jvm, hosts_file
from tests.lib import harness as h
from tests.lib.clients import kazoo_read

CLIENT_IP = "127.0.0.31"


def test_lock_and_leader_latch_through_a_leader_kill(ensemble, checks, tmp_path):
    hosts = hosts_file(tmp_path / "hosts", "curator-check", CLIENT_IP, [])
    mod = checks / "curator-check"
    jvm = Jvm("CuratorCheck", "curator-check", hosts, [
        h.java_binary(), "-Xmx256m", NO_SASL, "-cp", f"{mod}/classes:{mod}/lib/*",
        "io.zkpod.clients.CuratorCheck", ensemble.connect_string, "8",
    ], tmp_path / "curator-check.log").start()
    _, killed, result, code = check_through_leader_kill(jvm, ensemble, "curator", "READY", 90, 120)
    assert code == 0 and result["errors"] == [], f"{result}\n{jvm.tail()}"
    assert result["max_lock_holders"] == 1 and result["max_leaders"] == 1 and result["final_leaders"] == 1, result
    assert result["lost"] == 0, result
    # Every client was connected through the failover: the followers close
    # their client connections when the leader goes, so each one saw it.
    assert result["suspended"] >= result["clients"] and result["reconnected"] >= result["clients"], result
    assert result["increments_after_go"] >= 10, result
    # The counter, read by another client after a sync.
    survivors = [p.connect for p in ensemble.pods if p is not killed]
    counter = int(kazoo_read(survivors, ["/zkpod-check/counter"])["/zkpod-check/counter"])
    assert counter == result["counter"] and counter >= result["increments"], (counter, result)
