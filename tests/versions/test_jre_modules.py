"""The image's Java runtime holds every module the releases need.

docker/jre-modules.txt was found with jdeps; this reruns jdeps over the
lib/ of every release in the matrix (and Debian's jars) and fails when one
needs a module the runtime lacks, so a new release cannot silently outgrow
the image. The matrix then runs every release on that runtime.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.versions.matrix import REPO, resolve_layout, versions


def runtime_modules() -> set[str]:
    """The modules of the runtime scripts/jre.sh builds (its `release` file)."""
    cp = subprocess.run([str(REPO / "scripts/jre.sh")], capture_output=True, text=True, timeout=600)
    assert cp.returncode == 0, cp.stderr
    release = (Path(cp.stdout.strip().splitlines()[-1]) / "release").read_text()
    line = next(ln for ln in release.splitlines() if ln.startswith("MODULES="))
    return set(line.split("=", 1)[1].strip('"').split())


def debian_jars() -> list[str]:
    """Debian's zookeeper.jar, the jars its manifest pulls in, and the log4j binding."""
    import zipfile

    base = Path("/usr/share/java")
    with zipfile.ZipFile(base / "zookeeper.jar") as z:
        manifest = z.read("META-INF/MANIFEST.MF").decode()
    # Continuation lines start with one space.
    joined = manifest.replace("\r\n", "\n").replace("\n ", "")
    cp_line = next((ln for ln in joined.splitlines() if ln.startswith("Class-Path:")), "Class-Path:")
    jars = [str(base / "zookeeper.jar"), str(base / "slf4j-log4j12.jar"), str(base / "log4j-1.2.jar")]
    for entry in cp_line.split(":", 1)[1].split():
        p = (base / entry).resolve()
        if p.is_file():
            jars.append(str(p))
    return jars


@pytest.mark.parametrize("name", versions())
def test_jdeps_finds_no_module_the_runtime_lacks(name):
    if not shutil.which("jdeps"):
        pytest.fail("jdeps not found: apt-get install openjdk-17-jdk-headless", pytrace=False)
    if name == "debian":
        jars = debian_jars()
    else:
        layout = resolve_layout(name)
        jars = sorted(str(p) for p in (layout.home / "lib").glob("*.jar"))
    cp = subprocess.run(
        ["jdeps", "--ignore-missing-deps", "--print-module-deps", "--multi-release", "17", *jars],
        capture_output=True, text=True, timeout=300, env={**os.environ, "LC_ALL": "C"},
    )
    assert cp.returncode == 0, cp.stderr
    needed = set(cp.stdout.strip().splitlines()[-1].split(","))
    missing = needed - runtime_modules()
    assert not missing, (f"ZooKeeper {name} needs {sorted(missing)}, which docker/jre-modules.txt does not give "
                         f"the image's runtime; add them there (jdeps: {sorted(needed)})")
