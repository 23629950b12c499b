"""Checks of the TLS option of the kustomize manifests (issue 13):
docker/k8s/components/tls (the Secret mount, ZOO_TLS_DIR, TLS-only Services)
with its example Certificate, the self-signed CA component, and the dev-tls
overlay; and that the component fits every overlay (prod, openshift).

The Kubernetes resources validate against the schemas of a current
Kubernetes and pass the restricted Pod Security Standard; the cert-manager
resources (CRDs, which kubernetes-validate does not know) are checked for
the fields cert-manager requires. No cluster, no root.
"""

import os
import subprocess

import kubernetes_validate
import pytest
import yaml

from tests.lib.k8s import K8S, by_kind, kubectl, one, render, restricted_violations
from tests.manifests.test_manifests import K8S_VERSION

# Kubernetes' own kinds (validated against its schemas); cert-manager's
# are checked field by field.
CERT_MANAGER = {"Certificate", "Issuer"}


def kinds_of(overlay):
    return {d["kind"] for d in render(overlay)}


def render_with_tls(tmp_path, overlay):
    """`overlay` plus components/tls, rendered from a scratch overlay."""
    d = tmp_path / f"{overlay}-tls"
    d.mkdir()
    (d / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [os.path.relpath(K8S / "overlays" / overlay, d)],
        "components": [os.path.relpath(K8S / "components" / "tls", d)],
    }))
    out = subprocess.run([kubectl(), "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(d)],
                         check=True, capture_output=True, text=True)
    return [x for x in yaml.safe_load_all(out.stdout) if x]


@pytest.fixture(scope="module")
def dev_tls():
    return render("dev-tls")


def container(docs):
    (c,) = one(docs, "StatefulSet")["spec"]["template"]["spec"]["containers"]
    return c


def env(c):
    return {e["name"]: e.get("value") for e in c.get("env", [])}


def test_dev_tls_validates_and_is_restricted(dev_tls):
    kinds = {d["kind"] for d in dev_tls}
    assert kinds == kinds_of("dev") | CERT_MANAGER
    for d in dev_tls:
        if d["kind"] not in CERT_MANAGER:
            kubernetes_validate.validate(d, K8S_VERSION, strict=True)
    spec = one(dev_tls, "StatefulSet")["spec"]["template"]["spec"]
    assert restricted_violations(spec) == []


def test_cert_manager_resources_have_what_cert_manager_requires(dev_tls):
    certs = {c["metadata"]["name"]: c for c in by_kind(dev_tls, "Certificate")}
    issuers = {i["metadata"]["name"]: i for i in by_kind(dev_tls, "Issuer")}
    for c in certs.values():
        assert c["apiVersion"] == "cert-manager.io/v1"
        assert c["spec"]["secretName"]
        ref = c["spec"]["issuerRef"]
        # Every Certificate names an Issuer the overlay creates.
        assert ref["kind"] == "Issuer" and ref["name"] in issuers, ref
    assert issuers["zk-ca"]["spec"]["ca"]["secretName"] == certs["zk-ca"]["spec"]["secretName"]
    assert certs["zk-ca"]["spec"]["isCA"] is True
    assert issuers["zk-selfsigned"]["spec"] == {"selfSigned": {}}


def test_certificate_names_every_pod_and_allows_quorum_tls(dev_tls):
    cert = next(c for c in by_kind(dev_tls, "Certificate") if c["metadata"]["name"] == "zk-tls")
    sts = one(dev_tls, "StatefulSet")
    service, replicas = sts["spec"]["serviceName"], sts["spec"]["replicas"]
    names = cert["spec"]["dnsNames"]
    for i in range(replicas):
        assert f"{sts['metadata']['name']}-{i}.{service}.default.svc.cluster.local" in names
    assert f"*.{service}.default.svc.cluster.local" in names
    client = next(s for s in by_kind(dev_tls, "Service") if s["metadata"]["name"] != service)
    assert f"{client['metadata']['name']}.default.svc.cluster.local" in names
    # Every server is a TLS server and a TLS client of its peers.
    assert {"server auth", "client auth"} <= set(cert["spec"]["usages"])
    # ZooKeeper's PEM loader reads EC and RSA keys, not Ed25519.
    assert cert["spec"]["privateKey"]["algorithm"] in ("ECDSA", "RSA")


def test_the_secret_is_mounted_where_zoo_tls_dir_points(dev_tls):
    cert = next(c for c in by_kind(dev_tls, "Certificate") if c["metadata"]["name"] == "zk-tls")
    spec = one(dev_tls, "StatefulSet")["spec"]["template"]["spec"]
    c = container(dev_tls)
    tls_dir = env(c)["ZOO_TLS_DIR"]
    mount = next(m for m in c["volumeMounts"] if m["mountPath"] == tls_dir)
    assert mount["readOnly"] is True
    volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
    assert volume["secret"]["secretName"] == cert["spec"]["secretName"]
    # Readable by the pod's group (fsGroup), never by everyone.
    assert volume["secret"]["defaultMode"] & 0o007 == 0
    assert volume["secret"]["defaultMode"] & 0o040


def test_clients_outside_the_pod_reach_only_tls(dev_tls):
    c = container(dev_tls)
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports["tcp-client-tls"] == 2281
    assert 2181 not in ports.values()
    for svc in by_kind(dev_tls, "Service"):
        for p in svc["spec"]["ports"]:
            assert p["port"] != 2181, f"{svc['metadata']['name']} still offers the plaintext port"
            assert ports[p["targetPort"]] == p["port"]
    (client,) = [s for s in by_kind(dev_tls, "Service") if s["spec"].get("clusterIP") != "None"]
    assert [(p["name"], p["port"], p.get("appProtocol")) for p in client["spec"]["ports"]] == [
        ("tcp-client-tls", 2281, "tcp")
    ]
    # zkpod keeps plaintext for in-pod use on 127.0.0.1:2181 (its default
    # with ZOO_TLS_DIR), and the probes find TLS in zoo.cfg by themselves.
    assert any(a == "--client_port=2181" for a in c["args"])
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert not any("tls" in a for a in c[probe]["exec"]["command"]), c[probe]


@pytest.mark.parametrize("overlay", ["prod", "openshift"])
def test_the_component_fits_every_overlay(tmp_path, overlay):
    docs = render_with_tls(tmp_path, overlay)
    assert {d["kind"] for d in docs} == kinds_of(overlay) | {"Certificate"}
    for d in docs:
        if d["kind"] not in CERT_MANAGER:
            kubernetes_validate.validate(d, K8S_VERSION, strict=True)
    assert env(container(docs))["ZOO_TLS_DIR"] == "/etc/zookeeper/tls"
    spec = one(docs, "StatefulSet")["spec"]["template"]["spec"]
    assert restricted_violations(spec) == []

