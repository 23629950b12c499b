"""Fixtures of the Helm chart checks: without helm (or kubectl, for the
kustomize side) the suite is skipped with the reason and the fix; the pods'
figures are printed at the end of the run."""

import json
import sys

import pytest

from tests.helm.helmlib import ROOT, HelmUnavailable, helm
from tests.lib.k8s import KubectlUnavailable, kubectl


@pytest.fixture(scope="session", autouse=True)
def tools_available():
    try:
        helm()
        kubectl()
    except (HelmUnavailable, KubectlUnavailable) as e:
        pytest.skip(str(e))


def pytest_terminal_summary(terminalreporter):
    pods = sys.modules.get("tests.helm.helm_pods")
    if not pods or not pods.FIGURES:
        return
    report = ROOT / ".tmp" / "helm-pods-report.json"
    report.parent.mkdir(exist_ok=True)
    report.write_text(json.dumps(pods.FIGURES, indent=2) + "\n")
    terminalreporter.section("zkpod helm pods figures")
    for k, v in pods.FIGURES.items():
        terminalreporter.write_line(f"{k}: {v}")
    terminalreporter.write_line(f"(also in {report})")
