"""pytest hooks for every Python suite under tests/.

ZKPOD_TESTS_NO_SKIP=1 (set by scripts/test.sh, which runs as root with every
dependency installed) makes a run with any skipped test fail: a test that was
skipped there did not run, and must not pass for one that did. Without it,
a skip is reported with its reason (run pytest with -rs to list them).
"""

import os

import pytest

from tests.lib import harness as h

NO_SKIP = os.environ.get("ZKPOD_TESTS_NO_SKIP") == "1"


@pytest.fixture(scope="session")
def zkpod_snapshot():
    """A session's private copy of the zkpod binary under test ($ZKPOD_BIN,
    else the debug build); fails with the fix when there is none."""
    try:
        with h.binary_snapshot("zkpod-test-bin-") as snap:
            yield snap
    except h.HarnessError as e:
        pytest.fail(str(e), pytrace=False)


def _skipped(config) -> int:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return len(reporter.stats.get("skipped", [])) if reporter else 0


def pytest_sessionfinish(session, exitstatus):
    if NO_SKIP and _skipped(session.config) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    n = _skipped(config)
    if NO_SKIP and n:
        terminalreporter.write_line(
            f"ZKPOD_TESTS_NO_SKIP=1: {n} test(s) were skipped, so this run fails: every test must run "
            "here (the reasons are in the short test summary; scripts/install-deps.sh installs what they need)",
            red=True,
        )
