"""Why a test cannot run on this machine, as the reason a pytest skip gives:
a test that needs root or a tool it cannot have is reported as skipped,
saying what it needs and how to run it, never as passed. scripts/test.sh sets
ZKPOD_TESTS_NO_SKIP=1 (tests/conftest.py), which turns every skip into a
failure: there everything is installed and the run is root. Pure.
"""

from __future__ import annotations

import os
import shutil
from typing import Optional


def root(why: str, run: str) -> Optional[str]:
    """None as root; else "needs root (<why>); run as root: <run>"."""
    if os.geteuid() == 0:
        return None
    return f"needs root ({why}); run as root: {run}"


def tools(wanted: dict[str, str]) -> Optional[str]:
    """None when every command in `wanted` (command -> how to install it) is
    on PATH; else a reason naming each missing one with its fix."""
    missing = [f"{cmd} ({fix})" for cmd, fix in wanted.items() if not shutil.which(cmd)]
    return "missing: " + ", ".join(missing) if missing else None
