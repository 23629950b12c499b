"""A test PKI made with the openssl command at test time (issue 13): a CA,
and certificates it issues in cert-manager's Secret layout (`tls.crt`,
`tls.key`, `ca.crt` in one directory), with chosen names, dates, usages and
key types. Keys are written as cert-manager writes them by default: SEC1
(`EC PRIVATE KEY`) for ECDSA, PKCS#1 (`RSA PRIVATE KEY`) for RSA; or PKCS#8
when asked (the Certificate's `privateKey.encoding: PKCS8`).

Needs only `openssl` (Debian's package). Nothing here talks to a network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

OPENSSL = os.environ.get("OPENSSL", "openssl")


def _run(*args: str, cwd: Optional[Path] = None) -> str:
    r = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def fqdns(n: int, service: str = "zk-hs", namespace: str = "default",
          cluster_domain: str = "cluster.local", base: str = "zk") -> list[str]:
    """Every pod's FQDN: zk-0.zk-hs.default.svc.cluster.local, ..."""
    return [f"{base}-{i}.{service}.{namespace}.svc.{cluster_domain}" for i in range(n)]


@dataclass
class Ca:
    """A CA: its directory (key, certificate, openssl's issuing database)."""

    dir: Path
    name: str

    @property
    def cert(self) -> Path:
        return self.dir / "ca.crt"

    @property
    def key(self) -> Path:
        return self.dir / "ca.key"

    def _config(self, names: Sequence[str], usages: Sequence[str]) -> Path:
        cnf = self.dir / "issue.cnf"
        san = ",".join(f"DNS:{n}" for n in names)
        eku = f"extendedKeyUsage = {','.join(usages)}\n" if usages else ""
        cnf.write_text(
            "[ ca ]\ndefault_ca = test\n"
            "[ test ]\n"
            f"database = {self.dir}/index.txt\nserial = {self.dir}/serial\n"
            f"new_certs_dir = {self.dir}/issued\ncertificate = {self.cert}\nprivate_key = {self.key}\n"
            "default_md = sha256\npolicy = anything\nunique_subject = no\ncopy_extensions = none\n"
            "[ anything ]\ncommonName = supplied\n"
            "[ leaf ]\nbasicConstraints = critical, CA:FALSE\n"
            "keyUsage = critical, digitalSignature, keyEncipherment\n"
            f"{eku}" + (f"subjectAltName = {san}\n" if san else "")
        )
        return cnf


def make_ca(directory: Path, name: str = "zkpod test CA", days: int = 3650) -> Ca:
    """A self-signed ECDSA P-256 CA in `directory` (created)."""
    d = Path(directory)
    (d / "issued").mkdir(parents=True, exist_ok=True)
    (d / "index.txt").write_text("")
    (d / "serial").write_text("1000\n")
    ca = Ca(d, name)
    _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(ca.key), "-out", str(ca.cert), "-days", str(days), "-subj", f"/CN={name}",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return ca


def _new_key(path: Path, key: str, encoding: str) -> None:
    if key not in ("ec", "rsa", "ed25519"):
        raise ValueError(f"key type {key!r}: ec, rsa or ed25519")
    if encoding == "pkcs8" or key == "ed25519":
        alg = {"ec": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
               "rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
               "ed25519": ["-algorithm", "ED25519"]}[key]
        _run("genpkey", *alg, "-out", str(path))
    elif key == "ec":
        _run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(path))
    else:
        _run("genrsa", "-traditional", "-out", str(path), "2048")
    os.chmod(path, 0o600)


def issue(ca: Ca, out: Path, names: Iterable[str], *, days: int = 30,
          start: Optional[str] = None, end: Optional[str] = None,
          usages: Sequence[str] = ("serverAuth", "clientAuth"),
          key: str = "ec", encoding: str = "cert-manager",
          trust: Optional[Ca] = None) -> Path:
    """Issues a certificate for `names` (SANs; the first is also the CN) and
    writes it in cert-manager's layout to `out` (created): tls.crt, tls.key,
    and ca.crt (the CA of `trust`, default `ca`). `start`/`end` are openssl
    dates (YYYYMMDDHHMMSSZ) for certificates outside their validity window.
    Returns `out`."""
    names = list(names)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    key_path, csr = out / "tls.key", out / "tls.csr"
    _new_key(key_path, key, encoding)
    _run("req", "-new", "-key", str(key_path), "-subj", f"/CN={names[0] if names else 'zkpod'}",
         "-out", str(csr))
    dates = ["-startdate", start, "-enddate", end] if start and end else ["-days", str(days)]
    _run("ca", "-batch", "-notext", "-config", str(ca._config(names, usages)), "-extensions", "leaf",
         *dates, "-in", str(csr), "-out", str(out / "tls.crt"))
    csr.unlink()
    shutil.copyfile((trust or ca).cert, out / "ca.crt")
    for f in ("tls.crt", "ca.crt"):
        os.chmod(out / f, 0o644)
    return out


def dates(cert: Path) -> tuple[str, str]:
    """(notBefore, notAfter) as openssl prints them."""
    out = _run("x509", "-in", str(cert), "-noout", "-startdate", "-enddate")
    d = dict(line.split("=", 1) for line in out.splitlines())
    return d["notBefore"], d["notAfter"]


def verify(ca: Ca, cert: Path) -> bool:
    """Whether `openssl verify` accepts `cert` under `ca`."""
    r = subprocess.run([OPENSSL, "verify", "-CAfile", str(ca.cert), str(cert)],
                       capture_output=True, text=True, timeout=30)
    return r.returncode == 0
