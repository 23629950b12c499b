"""The container suite's settings, from the environment, and its measured
figures. Imported by its conftest and tests; pure.

  E2E_NET      loopback prefix; pod N gets <E2E_NET>N (default 127.0.0.1 -> .10-.12,
               and up to .18 for test_membership.py: it needs nine free addresses)
  E2E_PREFIX   name prefix of containers and volumes (default from E2E_NET)
  E2E_UID      the arbitrary uid the pods run as, with gid 0 (default 1000770000)
  E2E_OVERLAY  which overlay's StatefulSet to run (default dev)
  ZKPOD_IMAGE  image to run (default: the one the overlay names)

(The E2E_ names are kept: every worktree's notes and scripts pass them.)
"""

import os

from tests.lib.k8s import ROOT

NET = os.environ.get("E2E_NET", "127.0.0.1")
PREFIX = os.environ.get("E2E_PREFIX", "zkpod-e2e-" + NET.replace(".", "-"))
UID = int(os.environ.get("E2E_UID", "1000770000"))
OVERLAY = os.environ.get("E2E_OVERLAY", "dev")
NAMESPACE = "default"

FIGURES = {}
REPORT = ROOT / ".tmp" / f"containers-report-{PREFIX}.json"


def figure(name, value):
    """Records a measured figure for the summary and the JSON report."""
    FIGURES[name] = value
