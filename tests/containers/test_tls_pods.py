"""The TLS scenario of the container suite (issue 13): the shipped image run
as the three pods of the dev-tls overlay (components/tls: the Certificate's
Secret mounted at ZOO_TLS_DIR), under an arbitrary uid with gid 0, with a
certificate made with openssl at test time for the names the overlay's
Certificate lists, in cert-manager's Secret layout (root-owned, group 0,
mode 0440, as the kubelet projects it with defaultMode 0440).

The pods share the host's network (like the rest of this suite), so each
gets its own address for the secure port too (ZOO_CFG_EXTRA
secureClientPortAddress), and the quorum's host-name check is off (see
tls_pods), on E2E_TLS_NET (default: E2E_NET's last digit + 1,
127.0.0.1 -> 127.0.0.20-22), apart from the main scenarios' pods. That
plaintext stays on the pod's loopback is shown in tests/tls, where each pod
has a network namespace of its own.
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from kazoo.client import KazooClient

from tests.containers.podman_pod import Pod, remove_labelled, sh, wait_for
from tests.containers.podspec import MASK_SHELLS, PodPlan, secret_files, secret_names
from tests.containers.settings import NAMESPACE, NET, PREFIX, UID, figure
from tests.lib import pki
from tests.lib.fourlw import four_letter_tls
from tests.lib.k8s import by_kind, one, render

TLS_NET = os.environ.get("E2E_TLS_NET") or NET[:-1] + str(int(NET[-1]) + 1)
TLS_PREFIX = f"{PREFIX}-tls"
QUORUM_TIMEOUT = 120


def _cleanup():
    remove_labelled(TLS_PREFIX)


@pytest.fixture(scope="module")
def tls_pods(image):
    docs = render("dev-tls")
    sts = one(docs, "StatefulSet")
    cert = next(c for c in by_kind(docs, "Certificate") if c["metadata"]["name"] == "zk-tls")
    base = Path(tempfile.mkdtemp(prefix=f"{TLS_PREFIX}-"))
    os.chmod(base, 0o755)
    ca = pki.make_ca(base / "ca")
    # The Secret as the kubelet projects it: root-owned, group 0, 0440.
    secrets = {}
    for name in secret_names(sts):
        d = base / f"secret-{name}"
        if name == cert["spec"]["secretName"]:
            made = pki.issue(ca, base / "issued", cert["spec"]["dnsNames"])
            files = {f: (made / f).read_bytes() for f in ("tls.crt", "tls.key", "ca.crt")}
        else:
            found = [x for x in docs if x["kind"] == "Secret" and x["metadata"]["name"] == name]
            files = secret_files(found[0])
        d.mkdir()
        os.chmod(d, 0o755)
        for k, v in files.items():
            (d / k).write_bytes(v)
            os.chown(d / k, 0, 0)
            os.chmod(d / k, 0o440)
        secrets[name] = str(d)
    client = pki.issue(ca, base / "client", ["zkpod-test-client"], usages=("clientAuth",))
    plans = [PodPlan(sts, i, net=TLS_NET, prefix=TLS_PREFIX, namespace=NAMESPACE, uid=UID, image=image,
                     secrets=secrets) for i in range(sts["spec"]["replicas"])]
    _cleanup()
    hosts_dir = base / "hosts"
    hosts_dir.mkdir()
    pods = [Pod(p, hosts_dir) for p in plans]
    try:
        for p in pods:
            p.create_volumes()
            # On the shared host network a pod's connections to a peer's
            # 127.0.x.y leave from 127.0.0.1, which reverse-resolves to
            # localhost: ZooKeeper's quorum host-name check of the connecting
            # peer cannot pass here (in a cluster the source is the pod IP).
            # tests/tls runs it on for real, with a network per pod.
            extra = ["-e", f"ZOO_CFG_EXTRA=secureClientPortAddress={p.plan.address} "
                           "ssl.quorum.hostnameVerification=false"]
            sh(p.plan.run_argv(str(p.hosts_path), None, extra=[*MASK_SHELLS, *extra]))
        yield {"pods": pods, "ca": ca, "client": client, "cert": cert}
    finally:
        for p in pods:
            out = Path(__file__).resolve().parents[2] / ".tmp" / f"{p.name}.log"
            out.parent.mkdir(exist_ok=True)
            out.write_text(p.logs())
        _cleanup()
        shutil.rmtree(base, ignore_errors=True)


def test_tls_ensemble_under_an_arbitrary_uid(tls_pods):
    pods, ca, client = tls_pods["pods"], tls_pods["ca"], tls_pods["client"]
    t0 = time.monotonic()

    def all_pass():
        return all(p.probe(k)[0] == 0 for p in pods for k in ("startupProbe", "readinessProbe"))

    wait_for("the TLS pods' startup and readiness probes pass", all_pass, QUORUM_TIMEOUT, interval=1)
    figure("tls_pods_ready_seconds", round(time.monotonic() - t0, 1))
    for p in pods:
        code, err = p.probe("livenessProbe")
        assert code == 0, f"{p.name} liveness: {err}"
        # The probe asked the secure port: zoo.cfg has it, with the PEM stores.
        pid = p.pid()
        root = Path(f"/proc/{pid}/root")
        # conf/zoo.cfg is a symlink to the volume (dynamic membership).
        cfg = (root / "var/lib/zookeeper/data/zoo.cfg").read_text()
        assert "secureClientPort=2281" in cfg and "sslQuorum=true" in cfg, cfg
        ks = root / "opt/zookeeper/conf/keystore.pem"
        st = ks.stat()
        assert (st.st_uid, oct(st.st_mode & 0o777)) == (UID, "0o600"), (st.st_uid, oct(st.st_mode))
    modes = sorted(p.mode() for p in pods)
    assert modes == ["follower", "follower", "leader"], modes
    # A real client over TLS; the oracle (OpenSSL) checks the name too.
    for p in pods:
        reply = four_letter_tls(p.plan.address, 2281, "srvr", ca=str(ca.cert), cert=str(client / "tls.crt"),
                                key=str(client / "tls.key"), server_hostname=f"{p.plan.name}.{p.plan.domain}")
        assert "Mode:" in reply, reply
    zk = KazooClient(hosts=",".join(f"{p.plan.address}:2281" for p in pods), use_ssl=True, verify_certs=True,
                     check_hostname=False, ca=str(ca.cert), certfile=str(client / "tls.crt"),
                     keyfile=str(client / "tls.key"), timeout=10)
    zk.start(timeout=30)
    try:
        zk.create("/tls-in-containers", b"ok")
        assert zk.get("/tls-in-containers")[0] == b"ok"
    finally:
        zk.stop()
        zk.close()
