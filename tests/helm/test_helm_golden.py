"""Golden renders of the chart (issue 12): `helm template` and NOTES.txt for
each scenario are kept in tests/helm/golden/, so a template change shows up as
a diff in review. After an intended change:
    ZKPOD_BLESS=1 scripts/test-helm.sh     (or pytest tests/helm/test_helm_golden.py)
and review `git diff tests/helm/golden/`, as for the Rust goldens. The
chart's generated superuser password is random on every render without a
cluster: it is checked and replaced by a placeholder (helmlib)."""

import difflib
import os

import pytest

from tests.helm.helmlib import GOLDEN, SCENARIOS, mask_generated_password, notes, template_text

NOTES_CASES = ("default", "prod", "seed003-legacy", "everything")


def rendered(name):
    return mask_generated_password(template_text(SCENARIOS[name], release="zookeeper", namespace="default"))


def check_golden(path, text):
    if os.environ.get("ZKPOD_BLESS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    assert path.exists(), f"golden file {path} missing; run ZKPOD_BLESS=1 pytest tests/helm/test_helm_golden.py"
    want = path.read_text()
    if want != text:
        d = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True),
                                         f"golden/{path.name}", "rendered", n=2))
        pytest.fail(f"{path.name} differs from the render:\n{d}\n"
                    "(if intended: ZKPOD_BLESS=1 pytest tests/helm/test_helm_golden.py, then review the diff)")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_golden_render(name):
    check_golden(GOLDEN / f"{name}.yaml", rendered(name))


@pytest.mark.parametrize("name", NOTES_CASES)
def test_golden_notes(name):
    check_golden(GOLDEN / f"{name}.notes.txt", notes(SCENARIOS[name]))


def test_no_stale_golden_files():
    expected = {f"{n}.yaml" for n in SCENARIOS} | {f"{n}.notes.txt" for n in NOTES_CASES}
    found = {p.name for p in GOLDEN.iterdir()}
    assert found == expected, f"stale or missing golden files: {sorted(found ^ expected)}"


def test_a_template_change_shows_up(tmp_path):
    # The comparison is byte-exact: one changed value is a failure with a diff.
    golden = tmp_path / "x.yaml"
    golden.write_text(rendered("default"))
    changed = rendered("default").replace("sizeLimit: 16Mi", "sizeLimit: 32Mi")
    if os.environ.get("ZKPOD_BLESS"):
        pytest.skip("blessing")
    with pytest.raises(pytest.fail.Exception, match=r"-            sizeLimit: 16Mi\n\+            sizeLimit: 32Mi"):
        check_golden(golden, changed)
