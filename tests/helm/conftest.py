"""Helm chart checks (issue 12). What they take from the other suites is
imported in shared.py, in one place."""

import json
import sys


def pytest_terminal_summary(terminalreporter):
    pods = sys.modules.get("helm_pods")
    if not pods or not pods.FIGURES:
        return
    from helmlib import ROOT
    report = ROOT / ".tmp" / "helm-pods-report.json"
    report.parent.mkdir(exist_ok=True)
    report.write_text(json.dumps(pods.FIGURES, indent=2) + "\n")
    terminalreporter.section("zkpod helm pods figures")
    for k, v in pods.FIGURES.items():
        terminalreporter.write_line(f"{k}: {v}")
    terminalreporter.write_line(f"(also in {report})")
