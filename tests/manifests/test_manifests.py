"""Checks of the Kubernetes manifests in docker/k8s (issue 4): every overlay
renders with a current kubectl, validates against the schemas of a current
Kubernetes version, passes the restricted Pod Security Standard, and its
selectors select the pods it creates. The checkers are shown to fail on
broken input too, so a passing run means something.

Needs kubectl (scripts/install-kubectl.sh, or $KUBECTL), pyyaml and
kubernetes-validate; no root, no cluster. Skipped without kubectl (conftest.py).
"""

import copy
import re

import kubernetes_validate
import pytest

from tests.lib.k8s import (
    OVERLAYS, ROOT, anti_affinity_terms, by_kind, covering_mount, flag_value,
    map_selector_matches, one, render, restricted_violations, selector_matches,
)

# Schemas of the Kubernetes release that matches the kubectl we render with.
K8S_VERSION = "1.35.0"
ALL = ("base",) + OVERLAYS


@pytest.fixture(scope="module", params=ALL)
def rendered(request):
    return request.param, render(request.param)


def sts_of(docs):
    return one(docs, "StatefulSet")


def pod_spec(docs):
    return sts_of(docs)["spec"]["template"]["spec"]


def container(docs):
    (c,) = pod_spec(docs)["containers"]
    return c


def test_validates_against_current_schemas(rendered):
    name, docs = rendered
    kinds = {"Service", "StatefulSet", "PodDisruptionBudget", "ServiceAccount", "Role", "RoleBinding"}
    # Only the dev overlay carries a (development) superuser Secret; the
    # others expect the operator's own zk-auth.
    if name == "dev":
        kinds.add("Secret")
    assert {d["kind"] for d in docs} == kinds
    for d in docs:
        # strict: an unknown or misspelt field is an error, not ignored.
        kubernetes_validate.validate(d, K8S_VERSION, strict=True)


def test_schema_validation_rejects_a_misspelt_field():
    docs = render("dev")
    broken = copy.deepcopy(sts_of(docs))
    broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFS"] = True
    with pytest.raises(kubernetes_validate.ValidationError, match="readOnlyRootFS"):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_services_statefulset_and_budget(rendered):
    _, docs = rendered
    sts = sts_of(docs)
    services = {s["metadata"]["name"]: s for s in by_kind(docs, "Service")}
    headless = services[sts["spec"]["serviceName"]]
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    client = [s for s in services.values() if s is not headless]
    assert len(client) == 1 and client[0]["spec"].get("clusterIP") != "None"
    assert one(docs, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    assert sts["spec"]["podManagementPolicy"] == "Parallel"
    # --servers is the initial size: the shipped replica count, so a first
    # install bootstraps every initial member together.
    assert int(flag_value(container(docs)["args"], "--servers")) == sts["spec"]["replicas"] == 3
    # Every Service port points at a named container port that exists.
    names = {p["name"]: p["containerPort"] for p in container(docs)["ports"]}
    for svc in services.values():
        for port in svc["spec"]["ports"]:
            assert port["targetPort"] in names, f"{svc['metadata']['name']}: {port}"
            assert names[port["targetPort"]] == port["port"]


def test_restricted_pod_security_standard(rendered):
    _, docs = rendered
    spec = pod_spec(docs)
    assert restricted_violations(spec) == []
    sc = container(docs)["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"


def test_membership_hooks_rbac_and_the_superuser_secret(rendered):
    """Dynamic membership (issue 9): the hooks are zkpod join / leave (the
    namespace harness runs the same ones), the service account may only
    `get` its own StatefulSet, and the superuser password comes from a
    Secret file."""
    from tests.lib import statefulset as harness_sts

    name, docs = rendered
    sts = sts_of(docs)
    spec = pod_spec(docs)
    c = container(docs)
    hooks = c["lifecycle"]
    assert hooks["postStart"]["exec"]["command"] == ["/usr/local/bin/zkpod", *harness_sts.POST_START]
    assert hooks["preStop"]["exec"]["command"] == ["/usr/local/bin/zkpod", *harness_sts.PRE_STOP]
    assert spec["terminationGracePeriodSeconds"] == harness_sts.GRACE_SECONDS
    # zkpod leave gives up (60 s) well before the kubelet's SIGKILL.
    assert spec["terminationGracePeriodSeconds"] > 60
    assert spec["automountServiceAccountToken"] is True
    account = one(docs, "ServiceAccount")
    assert spec["serviceAccountName"] == account["metadata"]["name"]
    assert account["automountServiceAccountToken"] is False, "only the pods mount its token"
    (rule,) = one(docs, "Role")["rules"]
    assert rule == {
        "apiGroups": ["apps"],
        "resources": ["statefulsets"],
        "resourceNames": [sts["metadata"]["name"]],
        "verbs": ["get"],
    }
    binding = one(docs, "RoleBinding")
    assert binding["roleRef"]["name"] == one(docs, "Role")["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"]}]
    env = {e["name"]: e.get("value") for e in c["env"]}
    password = env["ZOO_SUPERUSER_PASSWORD_FILE"]
    (mount,) = [m for m in c["volumeMounts"] if password.startswith(m["mountPath"] + "/")]
    assert mount["readOnly"] is True
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    secret = volume["secret"]["secretName"]
    if name == "dev":
        assert one(docs, "Secret")["metadata"]["name"] == secret
    else:
        assert secret == "zk-auth"


BREAKAGES = [
    (lambda s: s["containers"][0]["securityContext"].pop("allowPrivilegeEscalation"), "allowPrivilegeEscalation must be false"),
    (lambda s: s["containers"][0]["securityContext"]["capabilities"].update(drop=["NET_RAW"]), "capabilities.drop must include ALL"),
    (lambda s: s["containers"][0]["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]), "may only hold NET_BIND_SERVICE"),
    (lambda s: (s["securityContext"].pop("runAsNonRoot"), s["containers"][0]["securityContext"].pop("runAsNonRoot")), "runAsNonRoot must be true"),
    (lambda s: (s["securityContext"].pop("seccompProfile"), s["containers"][0]["securityContext"].pop("seccompProfile")), "seccompProfile must be RuntimeDefault"),
    (lambda s: s["containers"][0]["securityContext"].update(seccompProfile={"type": "Unconfined"}), "seccompProfile must be RuntimeDefault"),
    (lambda s: s["securityContext"].update(runAsUser=0), "runAsUser must not be 0"),
    (lambda s: s.update(hostNetwork=True), "hostNetwork must not be true"),
    (lambda s: s["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "type ['hostPath'] is not allowed"),
    (lambda s: s["containers"][0]["ports"][0].update(hostPort=2181), "hostPort 2181"),
    (lambda s: s["containers"][0]["securityContext"].update(privileged=True), "privileged must not be true"),
]


@pytest.mark.parametrize("breakage,message", BREAKAGES)
def test_restricted_checker_catches(breakage, message):
    spec = copy.deepcopy(pod_spec(render("dev")))
    breakage(spec)
    violations = restricted_violations(spec)
    assert any(message in v for v in violations), violations


def test_selectors_match_the_pod_labels(rendered):
    _, docs = rendered
    sts = sts_of(docs)
    labels = sts["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "zookeeper"
    assert selector_matches(sts["spec"]["selector"], labels)
    assert selector_matches(one(docs, "PodDisruptionBudget")["spec"]["selector"], labels)
    for svc in by_kind(docs, "Service"):
        assert map_selector_matches(svc["spec"]["selector"], labels), svc["metadata"]["name"]
    terms = anti_affinity_terms(sts["spec"]["template"]["spec"])
    assert terms, "no podAntiAffinity"
    for _, term in terms:
        assert selector_matches(term["labelSelector"], labels), term
        # ... and does not select everything (an empty selector would).
        assert not selector_matches(term["labelSelector"], {"app.kubernetes.io/name": "other"})


def test_tutorial_anti_affinity_would_not_match():
    # The tutorial's rule (seed 004) selects on `app`, which these pods (and
    # the tutorial's own, after relabelling) do not carry: the checker says so.
    tutorial = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["zk"]}]}
    labels = sts_of(render("prod"))["spec"]["template"]["metadata"]["labels"]
    assert not selector_matches(tutorial, labels)


@pytest.mark.parametrize("overlay,kind", [("base", "preferred"), ("dev", "preferred"), ("prod", "required"), ("openshift", "required")])
def test_anti_affinity_strength(overlay, kind):
    terms = anti_affinity_terms(pod_spec(render(overlay)))
    assert [k for k, _ in terms] == [kind]
    assert terms[0][1]["topologyKey"] == "kubernetes.io/hostname"


def test_probes_go_through_zkpod(rendered):
    _, docs = rendered
    c = container(docs)
    assert c["command"] == ["/usr/local/bin/zkpod", "start"]
    expected = {"startupProbe": "startup", "livenessProbe": "live", "readinessProbe": "ready"}
    for probe, kind in expected.items():
        cmd = c[probe]["exec"]["command"]
        assert cmd[:3] == ["/usr/local/bin/zkpod", "probe", kind], cmd
        # zkpod's own deadline (500 ms by default) fits in the kubelet's.
        assert c[probe]["timeoutSeconds"] >= 1


def _mebibytes(q):
    m = re.fullmatch(r"(\d+)(Mi|Gi)", q)
    assert m, f"memory quantity {q!r} not in Mi/Gi"
    return int(m[1]) * (1024 if m[2] == "Gi" else 1)


@pytest.mark.parametrize("overlay,limit_mib", [("base", 1024), ("dev", 512), ("prod", 2048), ("openshift", 2048)])
def test_heap_follows_the_memory_limit(overlay, limit_mib):
    c = container(render(overlay))
    assert flag_value(c["args"], "--heap") == "auto"
    res = c["resources"]
    assert _mebibytes(res["limits"]["memory"]) == limit_mib
    # Guaranteed memory: request == limit, so the node cannot overcommit it.
    assert res["requests"]["memory"] == res["limits"]["memory"]
    assert "cpu" in res["requests"]


def test_every_written_path_is_on_a_writable_volume(rendered):
    _, docs = rendered
    sts = sts_of(docs)
    c = container(docs)
    spec = sts["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    claims = {t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]}
    written = [
        ("--data_dir", flag_value(c["args"], "--data_dir")),
        ("--data_log_dir", flag_value(c["args"], "--data_log_dir")),
        ("--conf_dir", flag_value(c["args"], "--conf_dir")),
        ("JVM temp dir", "/tmp"),
    ]
    for source, path in written:
        assert path, f"{source} path not set in args"
        mount = covering_mount(c["volumeMounts"], path)
        assert mount is not None, f"{path} is on the read-only root filesystem"
        assert not mount.get("readOnly"), mount
        assert mount["name"] in claims or "emptyDir" in volumes[mount["name"]]
    assert covering_mount(c["volumeMounts"], flag_value(c["args"], "--data_dir"))["name"] in claims
    assert "emptyDir" in volumes[covering_mount(c["volumeMounts"], flag_value(c["args"], "--conf_dir"))["name"]]


def test_fixed_ids_except_on_openshift():
    for overlay in ("base", "dev", "prod"):
        psc = pod_spec(render(overlay))["securityContext"]
        assert psc["runAsUser"] == 1000 and psc["fsGroup"] == 1000
    psc = pod_spec(render("openshift"))["securityContext"]
    assert not {"runAsUser", "runAsGroup", "fsGroup"} & set(psc), psc
    assert psc["runAsNonRoot"] is True


def test_manifest_user_is_the_image_user():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)\s*$", dockerfile, re.M)
    assert users == [str(pod_spec(render("base"))["securityContext"]["runAsUser"])]
