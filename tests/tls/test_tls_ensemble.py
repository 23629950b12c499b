"""A three-server ensemble with client and quorum TLS from cert-manager
files (issue 13), every server a pod in its own network namespace: real
ZooKeeper 3.9.4, real clients (kazoo, zkCli), real TLS (OpenSSL through
Python's ssl as the independent oracle; rustls inside zkpod)."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess

from kazoo.client import KazooClient

from tests.lib import pki
from tests.lib.fourlw import four_letter_tls
from tests.lib.netns import reachable
from tests.lib.wait import wait_until
from tests.tls.conftest import SECURE_PORT



def kazoo(t, pods=None) -> KazooClient:
    hosts = ",".join(f"{p.ip}:{SECURE_PORT}" for p in (pods or t.pods))
    # The chain is verified (verify_certs); the name is not: kazoo would
    # check the pod *address*, which no pod certificate names. The oracle
    # (four_letter_tls) checks names.
    zk = KazooClient(hosts=hosts, use_ssl=True, verify_certs=True, check_hostname=False,
                     ca=str(t.ca.cert), certfile=str(t.client / "tls.crt"),
                     keyfile=str(t.client / "tls.key"), timeout=10)
    zk.start(timeout=20)
    return zk


def zkcli(t, pod, *cmd: str) -> str:
    """ZooKeeper's own CLI (ZooKeeperMain of the same release) over TLS."""
    flags = [
        "-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
        "-Dzookeeper.client.secure=true",
        f"-Dzookeeper.ssl.keyStore.location={t.client / 'tls.pem'}",
        "-Dzookeeper.ssl.keyStore.type=PEM",
        f"-Dzookeeper.ssl.trustStore.location={t.ca.cert}",
        "-Dzookeeper.ssl.trustStore.type=PEM",
        # Connected by address: see kazoo() above.
        "-Dzookeeper.ssl.hostnameVerification=false",
        "-Dzookeeper.sasl.client=false",
    ]
    if not (t.client / "tls.pem").exists():
        key = subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-in", str(t.client / "tls.key")],
                             capture_output=True, text=True, check=True).stdout
        (t.client / "tls.pem").write_text(key + (t.client / "tls.crt").read_text())
    cp = f"{t.zk_home}/lib/*"
    r = subprocess.run(["java", "-Xmx64m", *flags, "-cp", cp, "org.apache.zookeeper.ZooKeeperMain",
                        "-server", f"{pod.ip}:{SECURE_PORT}", *cmd],
                       capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, f"zkCli {cmd} exited {r.returncode}:\n{r.stdout}{r.stderr}"
    return r.stdout + r.stderr


def test_quorum_forms_over_tls_and_probes_pass(tls):
    modes = tls.wait_quorum()
    assert sorted(modes.values()) == ["follower", "follower", "leader"], modes
    for p in tls.pods:
        cfg = (p.data_dir / "zoo.cfg").read_text()
        assert "sslQuorum=true" in cfg and f"secureClientPort={SECURE_PORT}" in cfg, cfg
        assert "clientPortAddress=127.0.0.1" in cfg or ";127.0.0.1:2181" in cfg, cfg
        ks = p.conf_dir / "keystore.pem"
        assert oct(ks.stat().st_mode & 0o777) == "0o600" and ks.stat().st_uid == 1000
        # zkpod's own probes, in the pod, as the kubelet runs them: no flags.
        for probe in ("live", "ready", "startup"):
            r = p.run_zkpod("probe", probe)
            assert r.returncode == 0, f"{p.name} probe {probe}: {r.stdout}{r.stderr}"
        r = p.run_zkpod("status")
        assert r.returncode == 0 and ("leader" in r.stdout or "follower" in r.stdout), r.stdout + r.stderr


def test_kazoo_writes_and_zkcli_reads_over_tls(tls):
    tls.wait_quorum()
    zk = kazoo(tls)
    try:
        zk.ensure_path("/tls")
        zk.create("/tls/hello", b"written over TLS by kazoo")
    finally:
        zk.stop()
        zk.close()
    for p in tls.pods:
        out = zkcli(tls, p, "get", "/tls/hello")
        assert "written over TLS by kazoo" in out, out


def test_untrusted_and_certificateless_clients_are_rejected(tls):
    tls.wait_quorum()
    other = pki.make_ca(tls.base / "other-ca", name="another CA")
    stranger = pki.issue(other, tls.base / "stranger", ["stranger"], usages=("clientAuth",))
    p = tls.pods[0]
    for cert, key in ((stranger / "tls.crt", stranger / "tls.key"), (None, None)):
        try:
            reply = four_letter_tls(p.ip, SECURE_PORT, "srvr", ca=str(tls.ca.cert),
                                    cert=cert and str(cert), key=key and str(key),
                                    server_hostname=p.fqdn, timeout=5)
        except (ssl.SSLError, OSError) as e:
            reply = f"refused: {e}"
        assert "Mode:" not in reply, f"client cert {cert} was served: {reply}"
    # The trusted client is served, so the refusals above are about the certificate.
    assert "Mode:" in tls.srvr(p)


def test_plaintext_reaches_only_loopback_inside_the_pod(tls):
    tls.wait_quorum()
    for p in tls.pods:
        ok, how = reachable(None, p.ip, 2181)
        assert not ok and "Refused" in how, f"{p.name}: plaintext 2181 at the pod address: {how}"
        ok, how = reachable(p.net.exec(p.name), "127.0.0.1", 2181)
        assert ok, f"{p.name}: plaintext 2181 on the pod's loopback: {how}"
        ok, how = reachable(None, p.ip, SECURE_PORT)
        assert ok, how
    # The plaintext port answers in the pod (what zkpod join/leave use).
    r = tls.pods[0].in_pod("python3", "-c",
                           "import socket;s=socket.create_connection(('127.0.0.1',2181),3);"
                           "s.sendall(b'srvr');s.shutdown(1);print(s.recv(4096).decode())")
    assert "Mode:" in r.stdout, r.stdout + r.stderr


def test_rotation_is_picked_up_without_a_restart(tls):
    tls.wait_quorum()
    p = tls.pods[1]
    pid = p.java_pid()
    old = (p.secret / "tls.crt").read_bytes()
    fresh = pki.issue(tls.ca, tls.base / "rotated", [p.fqdn])
    # As the kubelet does, the Secret's files change in place (here: renames).
    for f in ("ca.crt", "tls.key", "tls.crt"):
        shutil.copyfile(fresh / f, p.secret / f"{f}.new")
        os.replace(p.secret / f"{f}.new", p.secret / f)
    assert (p.secret / "tls.crt").read_bytes() != old
    r = p.run_zkpod("probe", "ready")
    assert r.returncode == 0, r.stdout + r.stderr
    ks = (p.conf_dir / "keystore.pem").read_text()
    new_der = ssl.PEM_cert_to_DER_cert((fresh / "tls.crt").read_text())
    assert ssl.DER_cert_to_PEM_cert(new_der).split("-----")[2].strip().replace("\n", "") in ks.replace("\n", "")

    def served():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(str(tls.ca.cert))
        ctx.load_cert_chain(str(tls.client / "tls.crt"), str(tls.client / "tls.key"))
        with socket.create_connection((p.ip, SECURE_PORT), timeout=3) as raw:
            with ctx.wrap_socket(raw, server_hostname=p.fqdn) as s:
                return s.getpeercert(binary_form=True)

    wait_until("ZooKeeper serving the rotated certificate", lambda: served() == new_der, 30,
               interval=1.0, ignore=(OSError,), on_fail=tls.logs)
    assert p.java_pid() == pid, "ZooKeeper was restarted"
    assert "Mode:" in tls.srvr(p)
    # The quorum also took the new certificate: it still serves writes.
    zk = kazoo(tls)
    try:
        zk.create("/tls/after-rotation", b"ok")
    finally:
        zk.stop()
        zk.close()


def test_the_quorum_survives_a_leader_kill(tls):
    modes = tls.wait_quorum()
    leader = next(p for p in tls.pods if modes[p.name] == "leader")
    zk = kazoo(tls)
    acked = []
    try:
        for i in range(20):
            zk.create(f"/tls/before-{i}", b"x")
            acked.append(f"/tls/before-{i}")
    finally:
        zk.stop()
        zk.close()
    leader.stop()
    rest = [p for p in tls.pods if p is not leader]
    tls.wait_quorum(rest)
    zk = kazoo(tls, rest)
    try:
        zk.create("/tls/after-kill", b"x")
        acked.append("/tls/after-kill")
    finally:
        zk.stop()
        zk.close()
    # The killed server comes back (its start asks its peers over TLS).
    leader.start()
    tls.wait_quorum()
    r = leader.run_zkpod("probe", "ready")
    assert r.returncode == 0, r.stdout + r.stderr
    zk = kazoo(tls, [leader])
    try:
        zk.sync("/")
        missing = [a for a in acked if not zk.exists(a)]
    finally:
        zk.stop()
        zk.close()
    assert not missing, f"acknowledged writes lost: {missing}"


def test_a_fourth_server_joins_over_tls(tls):
    """kubectl scale 3 -> 4 in TLS-only mode: the new pod's start asks its
    peers' committed configuration over TLS, and its postStart hook
    (`zkpod join`) reconfigures through the pod's own plaintext loopback
    listener; it ends as a voter that serves TLS clients."""
    tls.wait_quorum()
    j = tls.joiner
    j.start()
    env = {**os.environ, "ZOO_SUPERUSER_PASSWORD_FILE": str(tls.password)}
    r = subprocess.run([*j.net.exec(j.name), str(j.zkpod), "join", "--conf_dir", str(j.conf_dir)],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, f"zkpod join exited {r.returncode}:\n{r.stdout}{r.stderr}\n{j.proc.tail(40)}"
    members = [*tls.pods, j]
    modes = tls.wait_quorum(members)
    assert sorted(modes.values()) == ["follower", "follower", "follower", "leader"], modes
    leader = next(p for p in members if modes[p.name] == "leader")
    conf = four_letter_tls(leader.ip, SECURE_PORT, "conf", ca=str(tls.ca.cert), cert=str(tls.client / "tls.crt"),
                           key=str(tls.client / "tls.key"), server_hostname=leader.fqdn)
    assert f"server.4={j.fqdn}:2888:3888:participant;127.0.0.1:2181" in conf, conf
    r = j.run_zkpod("probe", "ready")
    assert r.returncode == 0, r.stdout + r.stderr
    zk = kazoo(tls, [j])
    try:
        zk.sync("/")
        assert zk.exists("/tls/hello"), "the joiner lacks a write made before it joined"
    finally:
        zk.stop()
        zk.close()
