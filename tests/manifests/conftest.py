"""Fixtures of the manifest checks: every test renders the overlays with
kubectl, so without one the whole suite is skipped with the reason (and the
fix), not failed half-way or passed."""

import pytest

from tests.lib.k8s import KubectlUnavailable, kubectl


@pytest.fixture(scope="session", autouse=True)
def kubectl_available():
    try:
        kubectl()
    except KubectlUnavailable as e:
        pytest.skip(str(e))
