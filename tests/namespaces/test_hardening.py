"""Issue 8 with real ZooKeeper (Debian's 3.8.0) in namespace pods.

- One volume, one server: two pods given the same volume and started at the
  same instant (the dangerous case: both would be server 1, so no myid check
  can tell them apart) never both run. zkpod locks the volume before it
  writes anything and the JVM inherits the lock; the other refuses with
  exit 5. Five rounds: three with a static server list (a standalone
  server), two with dynamic membership (a one-voter ensemble whose zoo.cfg
  and dynamic config file are on the shared volume).
- What the Properties encoder writes is what ZooKeeper reads: a superuser
  digest passed with --set (base64: '+', '/', '=' after a ':') reaches
  ZooKeeper exactly, proven by the superuser reading a znode whose ACL shuts
  everyone else out. The same for the digest dynamic membership derives from
  --superuser-password-file and passes in the JVM argument file
  (jvm-secret.args, written by its own encoder).

Needs root, zookeeper, a JRE and kazoo (see tests/namespaces/__init__.py).
"""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import make_digest_acl

from tests.lib import harness as h
from tests.lib.clients import kazoo_session
from tests.lib.fourlw import CLIENT_PORT, server_mode
from tests.lib.wait import wait_until

STANDALONE_IPS = ("127.0.0.20", "127.0.0.21")


def zkpod_lines(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith("zkpod: ") and not ln.startswith(("zkpod: INFO", "zkpod: WARN"))]


SERVING = ("standalone", "leader")


@pytest.mark.parametrize("round_", range(5))
def test_two_pods_on_one_volume_at_the_same_instant_never_both_run(lab, round_):
    shared = lab.base / f"volume-{round_}"
    shared.mkdir()
    os.chmod(shared, 0o755)
    membership = "static" if round_ % 2 == 0 else "dynamic"
    volume = ["--data_dir", str(shared / "data"), "--data_log_dir", str(shared / "log"),
              f"--membership={membership}"]
    pods = [lab.pod(ip, servers=1, index=0, extra_args=list(volume)) for ip in STANDALONE_IPS]
    for p in pods:
        p.prepare()
    # As close to the same instant as two processes get: both are created
    # before either has run far (a zkpod start takes a few milliseconds).
    for p in pods:
        p.proc = h.Proc(p.name, p.argv(), p.log).start()

    def settled():
        exited = [p for p in pods if p.proc.exited() is not None]
        serving = [p for p in pods if server_mode(p.ip) in SERVING]
        return (exited, serving) if exited and serving else None

    exited, serving = wait_until(
        "one pod refused and the other serving", settled, 60,
        on_fail=lambda: "\n".join(f"--- {p.ip}:\n{p.output()}" for p in pods),
    )
    assert len(exited) == 1 and len(serving) == 1, [p.output() for p in pods]
    loser, winner = exited[0], serving[0]
    assert loser is not winner
    assert loser.proc.exited() == 5, f"exit {loser.proc.exited()}:\n{loser.output()}"
    lines = zkpod_lines(loser.output())
    assert len(lines) == 1, loser.output()
    assert ("another process holds the lock" in lines[0]
            or "changed while zkpod was starting" in lines[0]), lines[0]
    assert "Fix: give each pod its own volume" in lines[0], lines[0]
    # The winner is the JVM itself, holding the lock; it serves, and the
    # volume is its own (one myid, one server's files).
    winner.java_pid()
    assert (shared / "data" / "myid").read_text() == "1\n"
    if membership == "dynamic":
        # One server's dynamic configuration on the volume, and the loser
        # wrote none of its files there.
        assert (shared / "data" / "zoo.cfg").is_file()
        assert not list((shared / "data").glob(".*.tmp")), list((shared / "data").iterdir())
    with kazoo_session(f"{winner.ip}:{CLIENT_PORT}") as c:
        c.create(f"/round-{round_}", b"ok")
        assert c.get(f"/round-{round_}")[0] == b"ok"
    # While it runs, a third start on the volume is refused at once.
    code, out = lab.pod(STANDALONE_IPS[0] if winner.ip != STANDALONE_IPS[0] else STANDALONE_IPS[1],
                        servers=1, index=0, extra_args=list(volume)).run_to_exit(timeout=30)
    assert code == 5, out
    assert "another process holds the lock" in out, out
    winner.stop()


def digest(user: str, password: str) -> str:
    return base64.b64encode(hashlib.sha1(f"{user}:{password}".encode()).digest()).decode()


def test_a_superdigest_set_through_the_encoder_reaches_zookeeper_exactly(lab):
    # A password whose digest holds the characters that matter to
    # Properties and to a --set entry: ':' after the user, '/', '+', '='.
    password = next(
        f"pw{i}" for i in range(100000)
        if "/" in digest("super", f"pw{i}") and "+" in digest("super", f"pw{i}")
    )
    super_digest = f"super:{digest('super', password)}"
    pod = lab.pod(STANDALONE_IPS[0], servers=1, index=0,
                  extra_args=["--membership=static",
                              "--set", f"DigestAuthenticationProvider.superDigest={super_digest}"])
    pod.start()
    pod.java_pid()
    wait_until("standalone serving", lambda: server_mode(pod.ip) == "standalone", 60, on_fail=pod.output)
    cfg = (pod.conf_dir / "zoo.cfg").read_text()
    assert f"DigestAuthenticationProvider.superDigest={super_digest}\n" in cfg, cfg
    only_the_superuser_reads(pod, password)
    pod.stop()


def test_the_password_files_digest_reaches_zookeeper_through_the_argument_file(lab):
    # Dynamic membership: zkpod derives the digest from the password file
    # and passes it in jvm-secret.args (0600), never on the command line.
    password = "pw with spaces/+=:\\\"quotes'"
    secret = lab.base / "password"
    secret.write_text(password + "\n")
    os.chmod(secret, 0o600)
    pod = lab.pod(STANDALONE_IPS[1], servers=1, index=0,
                  extra_args=["--membership=dynamic", f"--superuser-password-file={secret}"])
    pod.start()
    pod.java_pid()
    wait_until("the one-voter ensemble serving", lambda: server_mode(pod.ip) == "leader", 60,
               on_fail=pod.output)
    args = pod.conf_dir / "jvm-secret.args"
    assert oct(args.stat().st_mode & 0o777) == "0o600"
    assert f"super:{digest('super', password)}" in args.read_text()
    assert "superDigest" not in pod.output() and password not in pod.output()
    only_the_superuser_reads(pod, password)
    pod.stop()


def only_the_superuser_reads(pod, password: str) -> None:
    """The superuser (and nobody else) reads a znode whose ACL shuts everyone
    else out: ZooKeeper has exactly the digest of `password`."""
    connect = f"{pod.ip}:{CLIENT_PORT}"
    with kazoo_session(connect) as c:
        c.create("/secret", b"only alice", acl=[make_digest_acl("alice", "alice-pw", all=True)])
        with pytest.raises(NoAuthError):
            c.get("/secret")
    su = KazooClient(hosts=connect, auth_data=[("digest", f"super:{password}")], timeout=10)
    su.start(timeout=15)
    try:
        assert su.get("/secret")[0] == b"only alice"
    finally:
        su.stop()
        su.close()
    # A wrong password is not the superuser: the digest was not just ignored.
    other = KazooClient(hosts=connect, auth_data=[("digest", "super:wrong")], timeout=10)
    other.start(timeout=15)
    try:
        with pytest.raises(NoAuthError):
            other.get("/secret")
    finally:
        other.stop()
        other.close()
