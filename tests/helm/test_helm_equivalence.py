"""The Helm chart and the kustomize manifests render the same resources
(issue 12): the base against the chart's defaults, and each overlay against
its values file, compared field by field so the two can never drift apart.

Both sides are rendered with the same settings: release name and
fullnameOverride "zk" (the kustomize names), for the base the image the base
names, and where kustomize expects the operator's superuser Secret zk-auth
(base, prod, openshift) auth.existingSecret=zk-auth. Every difference the
comparison tolerates is listed in ALLOWED below, and each is checked, not
ignored.
"""

import base64
import copy
import re

import pytest

from tests.helm.helmlib import CHART, diff, render, server_container, servers, split_flag, zkpod_flag_defaults
from tests.lib.k8s import render as kustomize

# overlay -> (values files, --set) giving the same settings on the Helm side.
# The operator's Secret, which kustomize's base, prod and openshift mount.
OPERATORS_SECRET = ["auth.existingSecret=zk-auth"]
EQUIVALENT = {
    "base": ([], ["image.repository=localhost/zkpod", "image.tag=dev", *OPERATORS_SECRET]),
    # The dev overlay generates its Secret, and so does the chart by default.
    "dev": ([CHART / "values-dev.yaml"], []),
    "prod": ([CHART / "values-prod.yaml"], OPERATORS_SECRET),
    "openshift": ([CHART / "values-openshift.yaml"], OPERATORS_SECRET),
}
SAME_NAMES = ["fullnameOverride=zk"]

# The only differences allowed between the two renders:
ALLOWED = {
    "zkpod defaults spelt out": (
        "The chart's StatefulSet passes tickTime, initLimit, syncLimit, maxClientCnxns, autopurge.* and the "
        "4lw whitelist as zkpod flags, so its values are visible and settable; the kustomize base leaves them "
        "to zkpod. Each such flag must carry exactly zkpod's own default (read from `zkpod start --help`), and "
        "it is then removed before the comparison. Nothing else is."
    ),
    "the generated superuser Secret (dev)": (
        "Both the dev overlay and the chart generate the Secret with ZooKeeper's superuser password, differently. "
        "kustomize's secretGenerator names it zk-auth-<hash of its content> and writes that name into the "
        "StatefulSet's secret volume; the chart names it <fullname>-auth (zk-auth). The overlay's password is a "
        "fixed development value from its kustomization.yaml; the chart's is random, made at install and kept on "
        "upgrades. The generator adds no labels; the chart labels every resource it makes. So the two Secrets must "
        "both be Opaque with exactly the key `password`, the chart's password must be 32 random letters and digits, "
        "and the chart's labels must be its usual ones; then the name (in both places), the password and the labels "
        "are taken out. Nothing else of either Secret or of the StatefulSet is."
    ),
}


def key(doc):
    return doc["kind"], doc["metadata"]["name"]


def helm_side(overlay):
    files, sets = EQUIVALENT[overlay]
    # --skip-tests: the test pod is a hook, which kustomize has no counterpart for.
    return render(files, sets + SAME_NAMES, release="zk", extra=["--skip-tests"])


def generated_secrets(helm_docs, kustomize_docs):
    """The generated superuser Secret of each side, when kustomize has one:
    (helm's, kustomize's), or None. Fails when only one side has one."""
    theirs = [d for d in kustomize_docs if d["kind"] == "Secret"]
    mine = [d for d in helm_docs if d["kind"] == "Secret"]
    if not theirs:
        return None
    assert len(theirs) == 1 and len(mine) == 1, (
        f"kustomize renders {len(theirs)} Secret(s), the chart {len(mine)}: both must generate exactly one")
    return mine[0], theirs[0]


def normalize_secret(helm_docs, kustomize_docs):
    """Takes the ALLOWED differences of the generated Secret out of the Helm
    render (in place): name, password and labels become kustomize's, after
    checking everything else about them."""
    pair = generated_secrets(helm_docs, kustomize_docs)
    if pair is None:
        return
    mine, theirs = pair
    for side, secret in (("kustomize", theirs), ("helm", mine)):
        assert secret.get("type") == "Opaque", f"{side}'s Secret is of type {secret.get('type')!r}, not Opaque"
        assert sorted(secret.get("data") or {}) == ["password"] and not secret.get("stringData"), (
            f"{side}'s Secret must hold exactly the key password: {sorted(secret.get('data') or {})}")
    password = base64.b64decode(mine["data"]["password"]).decode()
    assert re.fullmatch(r"[A-Za-z0-9]{32}", password), f"the chart's password is not 32 random letters and digits: {password!r}"
    want_labels = servers(helm_docs)["metadata"]["labels"]
    assert mine["metadata"].get("labels") == want_labels, f"the chart's Secret labels: {mine['metadata'].get('labels')}"
    assert "labels" not in theirs["metadata"], "kustomize's generated Secret has labels now: drop this allowance"
    sts = servers(helm_docs)
    (volume,) = [v for v in sts["spec"]["template"]["spec"]["volumes"]
                 if (v.get("secret") or {}).get("secretName") == mine["metadata"]["name"]]
    volume["secret"]["secretName"] = theirs["metadata"]["name"]
    mine["metadata"]["name"] = theirs["metadata"]["name"]
    mine["data"]["password"] = theirs["data"]["password"]
    del mine["metadata"]["labels"]


def normalize(helm_docs, kustomize_docs, defaults):
    """The Helm render with the ALLOWED differences taken out; fails when an
    extra flag is not at zkpod's default or a kustomize flag is missing, or
    when a generated Secret differs in more than its name, password and
    labels."""
    docs = copy.deepcopy(helm_docs)
    normalize_secret(docs, kustomize_docs)
    theirs = server_container(kustomize_docs)["args"]
    ours = server_container(docs)["args"]
    extra = [a for a in ours if a not in theirs]
    for arg in extra:
        flag, value = split_flag(arg)
        assert flag in defaults, f"the Helm render adds {arg}, which has no zkpod default to equal"
        assert value == defaults[flag], f"the Helm render adds {arg}, but zkpod's default is {flag}={defaults[flag]}"
        ours.remove(arg)
    return docs, extra


@pytest.mark.parametrize("overlay", list(EQUIVALENT))
def test_helm_and_kustomize_render_the_same_resources(overlay):
    theirs = {key(d): d for d in kustomize(overlay)}
    mine_docs, extra = normalize(helm_side(overlay), kustomize(overlay), zkpod_flag_defaults())
    mine = {key(d): d for d in mine_docs}
    assert sorted(mine) == sorted(theirs), f"{overlay}: different resources"
    differences = []
    for k in sorted(theirs):
        differences += [f"{k[0]}/{k[1]}: {line}" for line in diff(theirs[k], mine[k])]
    assert differences == [], f"{overlay}: kustomize != helm:\n" + "\n".join(differences)
    # What was taken out is exactly the documented set, no more.
    assert sorted(split_flag(a)[0] for a in extra) == [
        "--4lw-whitelist", "--init_limit", "--max_client_cnxns", "--purge_interval",
        "--snap_retain_count", "--sync_limit", "--tick_time"], extra


def test_the_comparison_catches_a_drift():
    # A value changed on one side only is reported with its path.
    theirs = kustomize("prod")
    mine, _ = normalize(helm_side("prod"), theirs, zkpod_flag_defaults())
    sts = next(d for d in mine if d["kind"] == "StatefulSet")
    sts["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "3Gi"
    sts["spec"]["template"]["spec"]["securityContext"].pop("fsGroup")
    lines = diff(next(d for d in theirs if d["kind"] == "StatefulSet"), sts)
    assert "spec.template.spec.containers[0].resources.limits.memory: '2Gi' != '3Gi'" in lines
    assert "spec.template.spec.securityContext.fsGroup: 1000 != missing" in lines
    # Type differences count too: "1" and 1 are not the same CPU quantity text.
    assert diff({"cpu": "1"}, {"cpu": 1}) == ["cpu: '1' != 1"]


def test_an_extra_flag_off_zkpods_default_is_not_tolerated():
    mine = helm_side("base")
    server_container(mine)["args"].insert(8, "--tick_time=3000")
    server_container(mine)["args"].remove("--tick_time=2000")
    with pytest.raises(AssertionError, match="the Helm render adds --tick_time=3000, but zkpod's default is --tick_time=2000"):
        normalize(mine, kustomize("base"), zkpod_flag_defaults())


def test_a_changed_kustomize_flag_shows_up_as_a_difference():
    # A flag that kustomize changes (e.g. --heap) cannot hide among the extras:
    # the Helm side's own value would be at zkpod's default or differ.
    theirs = kustomize("base")
    args = server_container(theirs)["args"]
    args[next(i for i, a in enumerate(args) if a.startswith("--heap="))] = "--heap=auto:60%"
    mine = helm_side("base")
    with pytest.raises(AssertionError, match="--heap=auto, but zkpod's default is --heap=2G"):
        normalize(mine, theirs, zkpod_flag_defaults())


def test_chart_defaults_differ_from_the_base_only_in_the_image_and_the_secret():
    # Without the image and Secret settings, what is left is the image itself
    # and the Secret the chart makes where the base expects the operator's,
    # under the very name the base mounts (zk-auth).
    theirs = {key(d): d for d in kustomize("base")}
    docs, _ = normalize(render([], SAME_NAMES, release="zk", extra=["--skip-tests"]), kustomize("base"),
                        zkpod_flag_defaults())
    mine = {key(d): d for d in docs}
    assert sorted(set(mine) - set(theirs)) == [("Secret", "zk-auth")] and not set(theirs) - set(mine)
    lines = [line for k in theirs for line in diff(theirs[k], mine[k])]
    assert lines == ["spec.template.spec.containers[0].image: 'localhost/zkpod:dev' != 'zkpod:0.1.0'"], lines
    assert servers(docs)["metadata"]["name"] == "zk"


def test_the_secret_allowance_takes_out_only_name_password_and_labels():
    # The dev comparison tolerates the generated Secret's name, password and
    # labels, and nothing else: another key, another type or a password that
    # is not random are reported.
    theirs = kustomize("dev")
    for breakage, message in [
        (lambda s: s["data"].update(extra="eA=="), "must hold exactly the key password"),
        (lambda s: s.update(type="kubernetes.io/basic-auth"), "not Opaque"),
        (lambda s: s["data"].update(password=base64.b64encode(b"zkpod-dev-only").decode()), "not 32 random"),
    ]:
        mine = helm_side("dev")
        breakage(next(d for d in mine if d["kind"] == "Secret"))
        with pytest.raises(AssertionError, match=message):
            normalize(mine, theirs, zkpod_flag_defaults())
    # A Secret on one side only is a failure, not an allowance.
    mine = [d for d in helm_side("dev") if d["kind"] != "Secret"]
    with pytest.raises(AssertionError, match="both must generate exactly one"):
        normalize(mine, theirs, zkpod_flag_defaults())
    # After the allowance the mount still points at kustomize's Secret.
    docs, _ = normalize(helm_side("dev"), theirs, zkpod_flag_defaults())
    (vol,) = [v for v in servers(docs)["spec"]["template"]["spec"]["volumes"] if "secret" in v]
    assert vol["secret"]["secretName"] == one_secret(theirs)["metadata"]["name"]
    assert re.fullmatch(r"zk-auth-[a-z0-9]{10}", vol["secret"]["secretName"]), vol


def one_secret(docs):
    (s,) = [d for d in docs if d["kind"] == "Secret"]
    return s
