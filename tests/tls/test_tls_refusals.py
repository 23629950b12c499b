"""Every bad TLS input of `zkpod start --tls-dir` (issue 13): its one-line
message (the file, what it means, the fix), its exit code, and a pod
directory left exactly as it was. Real certificates made with openssl;
zkpod refuses before it starts ZooKeeper, so no JVM runs here."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.lib import pki
from tests.lib.hosts import DOMAIN, kubelet_hosts

FQDN = f"zk-0.{DOMAIN}"


def snapshot(root: Path) -> dict:
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = Path(d) / n
            st = p.lstat()
            out[str(p)] = (st.st_mode, st.st_uid, st.st_gid, p.read_bytes() if p.is_file() else None)
    return out


@pytest.fixture(scope="module")
def world(zkpod_bin):
    from tests.tls.conftest import zk_dist
    # Under /tmp, traversable: one case runs zkpod as uid 1000.
    base = Path(tempfile.mkdtemp(prefix="zkpod-tls-refusals-", dir="/tmp"))
    os.chmod(base, 0o755)
    yield {"base": base, "zk": zk_dist(base / "zookeeper"), "ca": pki.make_ca(base / "ca"),
           "zkpod": zkpod_bin}
    shutil.rmtree(base, ignore_errors=True)


def start(world, secret: Path, as_uid: int | None = None) -> tuple[int, str, Path]:
    pod = Path(world["base"]) / f"pod-{secret.name}"
    (pod / "data").mkdir(parents=True)
    (pod / "data" / "myid").write_text("1\n")
    (pod / "hosts").write_text(kubelet_hosts("zk-0", "127.0.0.10", [("zk-1", "127.0.0.11"), ("zk-2", "127.0.0.12")]))
    for d in (pod, pod / "data"):
        os.chown(d, 1000, 1000)
    before = snapshot(pod)
    argv = [str(world["zkpod"]), "start", "--servers", "3", "--hostname", "zk-0",
            "--hosts-file", str(pod / "hosts"), "--data_dir", str(pod / "data"),
            "--data_log_dir", str(pod / "data"), "--conf_dir", str(pod / "conf"),
            "--zk-home", str(world["zk"]), "--tls-dir", str(secret)]
    if as_uid is not None:
        argv = ["setpriv", f"--reuid={as_uid}", "--regid=0", "--clear-groups", *argv]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert snapshot(pod) == before, "zkpod start changed the pod's files while refusing"
    return r.returncode, r.stderr.strip(), pod


def case(world, name: str, **kw) -> Path:
    return pki.issue(world["ca"], Path(world["base"]) / name, kw.pop("names", [FQDN]), **kw)


def test_missing_file(world):
    s = case(world, "missing")
    (s / "tls.key").unlink()
    code, err, _ = start(world, s)
    assert code == 11, err
    assert f"zkpod: {s}/tls.key does not exist: " in err, err
    assert "mount the cert-manager Secret" in err and "zkpod start changed nothing" in err, err


def test_unreadable_for_the_runtime_uid(world):
    s = case(world, "unreadable")
    os.chmod(s, 0o755)
    os.chmod(s / "tls.key", 0o600)  # root's only; the pod runs as uid 1000, gid 0
    code, err, _ = start(world, s, as_uid=1000)
    assert code == 11, err
    assert f"{s}/tls.key cannot be read by this user (permission denied)" in err, err
    assert "defaultMode: 0440" in err and "fsGroup" in err, err


def test_key_of_another_certificate(world):
    s = case(world, "mismatch")
    other = case(world, "mismatch-other")
    (s / "tls.key").write_bytes((other / "tls.key").read_bytes())
    code, err, _ = start(world, s)
    assert code == 11, err
    assert f"the private key in {s}/tls.key does not belong to the certificate in {s}/tls.crt" in err, err


def test_expired_certificate(world):
    s = case(world, "expired", start="20200101000000Z", end="20210101000000Z")
    code, err, _ = start(world, s)
    assert code == 11, err
    assert f"{s}/tls.crt" in err and "expired" in err and "2021-01-01T00:00:00Z" in err, err


def test_certificate_of_another_ca(world):
    other = pki.make_ca(Path(world["base"]) / "other-ca", name="another CA")
    s = case(world, "unknown-ca", trust=other)
    code, err, _ = start(world, s)
    assert code == 11, err
    assert f"{s}/tls.crt" in err and f"{s}/ca.crt" in err, err


def test_no_san_for_the_pod(world):
    s = case(world, "no-san", names=[f"zk-1.{DOMAIN}"])
    code, err, _ = start(world, s)
    assert code == 11, err
    assert f"has no subject alternative name for {FQDN} (it names zk-1.{DOMAIN})" in err, err
    assert "spec.dnsNames" in err, err
