"""Unit tests of the shared helpers' pure parts: the kubelet hosts file, srvr
and mntr parsing, the tree digest, wait_until, the namespace pods' addresses.
Needs nothing but pytest: no root, no servers, no network.
"""

from __future__ import annotations

import os
import time

import pytest

from tests.lib import harness as h
from tests.lib.digest import changes, tree_digest
from tests.lib.fourlw import parse_mntr, parse_srvr_mode
from tests.lib.hosts import KUBELET_HEADER, kubelet_hosts
from tests.lib.wait import WaitTimeout, wait_until

PEERS = [("zk-0", "127.0.0.10"), ("zk-1", "127.0.0.11"), ("zk-2", "127.0.0.12")]


def test_kubelet_hosts_has_the_kubelet_lines_then_own_line_then_peers():
    text = kubelet_hosts("zk-1", "127.0.0.11", PEERS)
    lines = text.splitlines()
    assert lines[: len(KUBELET_HEADER)] == KUBELET_HEADER
    assert lines[0] == "# Kubernetes-managed hosts file."
    assert lines[1] == "127.0.0.1\tlocalhost"
    entries = [ln for ln in lines if ln and not ln.startswith("#")]
    own = entries.index("127.0.0.11\tzk-1.zk-hs.default.svc.cluster.local\tzk-1")
    # The pod's own line comes right after the kubelet's, before the peers.
    assert own == len([ln for ln in KUBELET_HEADER if not ln.startswith("#")])
    assert entries[own + 1:] == [
        "127.0.0.10\tzk-0.zk-hs.default.svc.cluster.local\tzk-0",
        "127.0.0.12\tzk-2.zk-hs.default.svc.cluster.local\tzk-2",
    ]
    # The pod's own name appears on exactly one line.
    assert sum("zk-1." in ln for ln in lines) == 1
    assert text.endswith("\n")


def test_kubelet_hosts_without_peers_is_the_kubelets_file():
    text = kubelet_hosts("zk-0", "10.1.2.3", domain="zk.ns.svc.cluster.local")
    assert text.splitlines() == [*KUBELET_HEADER, "10.1.2.3\tzk-0.zk.ns.svc.cluster.local\tzk-0"]


def test_srvr_mode_parsing():
    serving = "Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nZxid: 0x0\nMode: follower\nNode count: 5\n"
    assert parse_srvr_mode(serving) == "follower"
    assert parse_srvr_mode("This ZooKeeper instance is not currently serving requests\n") is None
    assert parse_srvr_mode("") is None


def test_mntr_parsing():
    m = parse_mntr("zk_version\t3.8.0-abc, built on x\nzk_znode_count\t5\nnot a pair\n")
    assert m == {"zk_version": "3.8.0-abc, built on x", "zk_znode_count": "5"}


def test_ensemble_ips_follow_the_ordinal():
    assert [h.ensemble_ip(i) for i in range(10)] == h.ENSEMBLE_IPS
    with pytest.raises(h.HarnessError, match="0..9 only"):
        h.ensemble_ip(10)


def test_tree_digest_notices_content_mode_mtime_links_and_new_files(tmp_path):
    (tmp_path / "version-2").mkdir()
    f = tmp_path / "version-2" / "log.1"
    f.write_bytes(b"\x00" * 64)
    (tmp_path / "myid").write_text("2\n")
    os.symlink("myid", tmp_path / "link")
    st = f.stat()
    before = tree_digest(tmp_path)
    assert before == tree_digest(tmp_path)
    assert changes(before, tree_digest(tmp_path)) == []
    assert set(before) == {".", "version-2", "version-2/log.1", "myid", "link"}

    # Same size, one byte different; restored with its mtime: equal again.
    f.write_bytes(b"\x00" * 63 + b"\x01")
    assert tree_digest(tmp_path) != before
    f.write_bytes(b"\x00" * 64)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert tree_digest(tmp_path) == before

    # Only the mtime moves (a write of the same bytes, a touch).
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert changes(before, tree_digest(tmp_path)) == [
        f"version-2/log.1: {before['version-2/log.1']} -> {tree_digest(tmp_path)['version-2/log.1']}"
    ]
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))

    os.chmod(tmp_path / "myid", 0o600)
    assert [c.split(":")[0] for c in changes(before, tree_digest(tmp_path))] == ["myid"]
    os.chmod(tmp_path / "myid", 0o644)
    assert tree_digest(tmp_path) == before

    # Reading a file changes nothing the digest sees (atime is not in it).
    (tmp_path / "myid").read_text()
    assert tree_digest(tmp_path) == before

    (tmp_path / "link").unlink()
    os.symlink("elsewhere", tmp_path / "link")
    # The root dir's mtime moved too (an entry was replaced in it).
    assert {c.split(":")[0] for c in changes(before, tree_digest(tmp_path))} == {".", "link"}

    (tmp_path / "myid.bak").write_text("1\n")
    assert "myid.bak: (absent) -> " in "\n".join(changes(before, tree_digest(tmp_path)))


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_tree_digest_notices_the_owner(tmp_path):
    (tmp_path / "myid").write_text("1\n")
    before = tree_digest(tmp_path)
    os.chown(tmp_path / "myid", 1000, 1000)
    assert [c.split(":")[0] for c in changes(before, tree_digest(tmp_path))] == ["myid"]


def test_wait_until_returns_the_first_truthy_value():
    seen = []

    def pred():
        seen.append(1)
        return len(seen) if len(seen) >= 3 else 0

    assert wait_until("three polls", pred, timeout=5, interval=0.01) == 3


def test_wait_until_times_out_naming_what_and_the_last_value():
    t0 = time.monotonic()
    with pytest.raises(WaitTimeout, match=r"timed out after 0 s waiting for the moon \(last: ''\)\nlogs here"):
        wait_until("the moon", lambda: "", timeout=0.2, interval=0.05, on_fail=lambda: "logs here")
    assert 0.2 <= time.monotonic() - t0 < 2


def test_wait_until_ignores_only_the_named_exceptions():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError("not yet")
        return "up"

    assert wait_until("a flaky server", flaky, timeout=5, interval=0.01, ignore=(OSError,)) == "up"
    with pytest.raises(WaitTimeout, match=r"last: ConnectionRefusedError\('down'\)"):
        wait_until("a dead server", lambda: (_ for _ in ()).throw(ConnectionRefusedError("down")),
                   timeout=0.1, interval=0.02, ignore=(OSError,))
    # Anything else ends the wait at once (e.g. "the server exited").
    with pytest.raises(ValueError, match="exited"):
        wait_until("a server", lambda: (_ for _ in ()).throw(ValueError("exited")), timeout=5, ignore=(OSError,))


def test_pki_issues_cert_manager_layouts(tmp_path):
    from tests.lib import pki

    ca = pki.make_ca(tmp_path / "ca")
    names = pki.fqdns(3)
    assert names[2] == "zk-2.zk-hs.default.svc.cluster.local"
    d = pki.issue(ca, tmp_path / "zk-0", names[:1])
    assert sorted(p.name for p in d.iterdir()) == ["ca.crt", "tls.crt", "tls.key"]
    assert pki.verify(ca, d / "tls.crt")
    # cert-manager's default key encodings: SEC1 for ECDSA, PKCS#1 for RSA.
    assert (d / "tls.key").read_text().startswith("-----BEGIN EC PRIVATE KEY-----")
    rsa = pki.issue(ca, tmp_path / "rsa", names[:1], key="rsa")
    assert (rsa / "tls.key").read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    p8 = pki.issue(ca, tmp_path / "p8", names[:1], encoding="pkcs8")
    assert (p8 / "tls.key").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert oct((d / "tls.key").stat().st_mode & 0o777) == "0o600"
    old = pki.issue(ca, tmp_path / "old", names[:1], start="20240101000000Z", end="20240201000000Z")
    assert pki.dates(old / "tls.crt") == ("Jan  1 00:00:00 2024 GMT", "Feb  1 00:00:00 2024 GMT")
    other = pki.make_ca(tmp_path / "other", "another CA")
    assert not pki.verify(other, d / "tls.crt")
