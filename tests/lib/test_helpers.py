"""Unit tests of the harness's pure helpers (no root, no servers)."""

from __future__ import annotations

import os

from tests.lib import harness as h


def test_kubelet_hosts_has_own_line_then_peers():
    peers = [("zk-0", "127.0.0.10"), ("zk-1", "127.0.0.11"), ("zk-2", "127.0.0.12")]
    text = h.kubelet_hosts("zk-1", "127.0.0.11", peers)
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert lines[0] == "127.0.0.1\tlocalhost"
    assert lines[2] == "127.0.0.11\tzk-1.zk-hs.default.svc.cluster.local\tzk-1"
    assert lines[3:] == [
        "127.0.0.10\tzk-0.zk-hs.default.svc.cluster.local\tzk-0",
        "127.0.0.12\tzk-2.zk-hs.default.svc.cluster.local\tzk-2",
    ]
    # The pod's own name appears on exactly one line.
    assert sum("zk-1." in ln for ln in lines) == 1


def test_srvr_mode_parsing():
    serving = "Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nZxid: 0x0\nMode: follower\nNode count: 5\n"
    assert h.parse_srvr_mode(serving) == "follower"
    assert h.parse_srvr_mode("This ZooKeeper instance is not currently serving requests\n") is None
    assert h.parse_srvr_mode("") is None


def test_mntr_parsing():
    m = h.parse_mntr("zk_version\t3.8.0-abc, built on x\nzk_znode_count\t5\nnot a pair\n")
    assert m == {"zk_version": "3.8.0-abc, built on x", "zk_znode_count": "5"}


def test_ensemble_ips_follow_the_ordinal():
    assert [h.ensemble_ip(i) for i in range(3)] == h.ENSEMBLE_IPS


def test_tree_digest_notices_content_mode_and_new_files(tmp_path):
    (tmp_path / "version-2").mkdir()
    f = tmp_path / "version-2" / "log.1"
    f.write_bytes(b"\x00" * 64)
    (tmp_path / "myid").write_text("2\n")
    before = h.tree_digest(tmp_path)
    assert before == h.tree_digest(tmp_path)

    f.write_bytes(b"\x00" * 63 + b"\x01")
    assert h.tree_digest(tmp_path) != before
    f.write_bytes(b"\x00" * 64)
    assert h.tree_digest(tmp_path) == before

    os.chmod(tmp_path / "myid", 0o600)
    assert h.tree_digest(tmp_path) != before
    os.chmod(tmp_path / "myid", 0o644)
    (tmp_path / "myid.bak").write_text("1\n")
    assert h.tree_digest(tmp_path) != before
