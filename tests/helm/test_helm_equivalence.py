"""The Helm chart and the kustomize manifests render the same resources
(issue 12): the base against the chart's defaults, and each overlay against
its values file, compared field by field so the two can never drift apart.

Both sides are rendered with the same settings: release name and
fullnameOverride "zk" (the kustomize names), and for the base the image the
base names. Every difference the comparison tolerates is listed in ALLOWED
below, and each is checked, not ignored.
"""

import copy

import pytest

from tests.helm.helmlib import CHART, diff, render, server_container, servers, split_flag, zkpod_flag_defaults
from tests.lib.k8s import render as kustomize

# overlay -> (values files, --set) giving the same settings on the Helm side.
EQUIVALENT = {
    "base": ([], ["image.repository=localhost/zkpod", "image.tag=dev"]),
    "dev": ([CHART / "values-dev.yaml"], []),
    "prod": ([CHART / "values-prod.yaml"], []),
    "openshift": ([CHART / "values-openshift.yaml"], []),
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
}


def key(doc):
    return doc["kind"], doc["metadata"]["name"]


def helm_side(overlay):
    files, sets = EQUIVALENT[overlay]
    # --skip-tests: the test pod is a hook, which kustomize has no counterpart for.
    return render(files, sets + SAME_NAMES, release="zk", extra=["--skip-tests"])


def normalize(helm_docs, kustomize_docs, defaults):
    """The Helm render with the ALLOWED differences taken out; fails when an
    extra flag is not at zkpod's default or a kustomize flag is missing."""
    docs = copy.deepcopy(helm_docs)
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


def test_chart_defaults_differ_from_the_base_only_in_the_image():
    # Without the image setting the only difference left is the image itself.
    theirs = {key(d): d for d in kustomize("base")}
    docs, _ = normalize(render([], SAME_NAMES, release="zk", extra=["--skip-tests"]), kustomize("base"),
                        zkpod_flag_defaults())
    mine = {key(d): d for d in docs}
    lines = [line for k in theirs for line in diff(theirs[k], mine[k])]
    assert lines == ["spec.template.spec.containers[0].image: 'localhost/zkpod:dev' != 'zkpod:0.1.0'"], lines
    assert servers(docs)["metadata"]["name"] == "zk"
