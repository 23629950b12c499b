"""scripts/zk-dist.sh and its pom generator (scripts/zk-dist/pom.py).

The generator is pure: tested on small poms shaped like ZooKeeper's. The
layouts the matrix runs are then checked as resolved (one slf4j binding,
slf4j-api matching it, the server and jute jars of the release), and the
script's refusals are checked by their message.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.versions.matrix import REPO, image_default_version, parse_zk_dist, table, versions

spec = importlib.util.spec_from_file_location("zk_dist_pom", REPO / "scripts/zk-dist/pom.py")
pom = importlib.util.module_from_spec(spec)
sys.modules["zk_dist_pom"] = pom  # dataclasses look their module up there
spec.loader.exec_module(pom)

NS = "http://maven.apache.org/POM/4.0.0"


def server_pom(deps: str) -> str:
    return f'<project xmlns="{NS}"><artifactId>zookeeper</artifactId><dependencies>{deps}</dependencies></project>'


def parent_pom(managed: list[tuple[str, str]], modules: list[str]) -> str:
    dm = "".join(f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>1</version></dependency>"
                 for g, a in managed)
    mods = "".join(f"<module>{m}</module>" for m in modules)
    return (f'<project xmlns="{NS}"><artifactId>parent</artifactId><modules>{mods}</modules>'
            f"<dependencyManagement><dependencies>{dm}</dependencies></dependencyManagement></project>")


def dep(g, a, scope=None, optional=None, exclusions=()):
    s = f"<scope>{scope}</scope>" if scope else ""
    o = f"<optional>{optional}</optional>" if optional else ""
    ex = "".join(f"<exclusion><groupId>{eg}</groupId><artifactId>{ea}</artifactId></exclusion>" for eg, ea in exclusions)
    ex = f"<exclusions>{ex}</exclusions>" if ex else ""
    return f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId>{s}{o}{ex}</dependency>"


def rendered_deps(text: str) -> list[tuple[str, str, str | None]]:
    root = ET.fromstring(text)
    out = []
    for d in root.findall(f"{{{NS}}}dependencies/{{{NS}}}dependency"):
        out.append((d.findtext(f"{{{NS}}}groupId"), d.findtext(f"{{{NS}}}artifactId"), d.findtext(f"{{{NS}}}version")))
    return out


SERVER_38 = server_pom(
    dep("com.github.spotbugs", "spotbugs-annotations", "provided", "true")
    + dep("org.apache.zookeeper", "zookeeper-jute")
    + dep("commons-cli", "commons-cli", "provided")
    + dep("org.eclipse.jetty", "jetty-server", "provided", exclusions=[("javax.servlet", "servlet-api")])
    + dep("ch.qos.logback", "logback-classic")
    + dep("junit", "junit", "test")
)


def test_pom_takes_the_provided_jars_the_provider_and_the_managed_binding():
    parent = parent_pom([("ch.qos.logback", "logback-classic"), ("ch.qos.logback", "logback-core"),
                         ("org.slf4j", "slf4j-api")], ["zookeeper-server", "zookeeper-metrics-providers"])
    text = pom.render("3.8.6", SERVER_38, parent)
    assert rendered_deps(text) == [
        ("org.apache.zookeeper", "zookeeper", "3.8.6"),
        ("org.apache.zookeeper", "zookeeper-prometheus-metrics", "3.8.6"),
        ("commons-cli", "commons-cli", None),
        ("org.eclipse.jetty", "jetty-server", None),
        ("ch.qos.logback", "logback-classic", None),
        ("ch.qos.logback", "logback-core", None),
    ]
    # Versions from the release's parent, imported as a BOM; exclusions kept.
    root = ET.fromstring(text)
    imp = root.find(f"{{{NS}}}dependencyManagement/{{{NS}}}dependencies/{{{NS}}}dependency")
    assert [imp.findtext(f"{{{NS}}}{k}") for k in ("artifactId", "version", "type", "scope")] == \
        ["parent", "3.8.6", "pom", "import"]
    assert "<exclusion><groupId>javax.servlet</groupId><artifactId>servlet-api</artifactId></exclusion>" in text
    assert "spotbugs" not in text and "junit" not in text


def test_pom_for_35_has_reload4j_and_no_provider():
    parent = parent_pom([("org.slf4j", "slf4j-reload4j"), ("ch.qos.reload4j", "reload4j")], ["zookeeper-server"])
    text = pom.render("3.5.10", server_pom(dep("jline", "jline", "provided")), parent)
    assert [a for _, a, _ in rendered_deps(text)] == ["zookeeper", "jline", "slf4j-reload4j", "reload4j"]


def test_pom_without_prometheus_and_without_binding():
    parent = parent_pom([("log4j", "log4j"), ("org.slf4j", "slf4j-log4j12")], ["zookeeper-metrics-providers"])
    text = pom.render("3.6.3", server_pom(""), parent, prometheus=False)
    assert [a for _, a, _ in rendered_deps(text)] == ["zookeeper", "slf4j-log4j12", "log4j"]
    with pytest.raises(pom.PomError, match="manages no slf4j binding"):
        pom.render("3.6.3", server_pom(""), parent_pom([], []))


def test_pom_main_reports_a_bad_pom_in_one_line(tmp_path):
    bad = tmp_path / "bad.pom"
    bad.write_text("<project")
    cp = subprocess.run(["python3", str(REPO / "scripts/zk-dist/pom.py"), "3.9.4", str(bad), str(bad)],
                        capture_output=True, text=True)
    assert cp.returncode == 1 and cp.stderr.startswith("zk-dist: cannot derive ZooKeeper 3.9.4's lib/ from its poms:")
    assert len(cp.stderr.strip().splitlines()) == 1, cp.stderr


@pytest.mark.parametrize("args,message", [
    (["3.4.14", "/tmp/x"], "zk-dist.sh: ZooKeeper version '3.4.14' is not one zkpod resolves: it needs 3.5.x to 3.9.x"),
    (["3.9", "/tmp/x"], "zk-dist.sh: ZooKeeper version '3.9' is not one zkpod resolves"),
    (["3.9.4"], "zk-dist.sh: usage: zk-dist.sh VERSION DEST"),
])
def test_script_refuses_bad_arguments(args, message):
    cp = subprocess.run([str(REPO / "scripts/zk-dist.sh"), *args], capture_output=True, text=True)
    assert cp.returncode == 1 and cp.stderr.startswith(message), cp.stderr


def test_script_will_not_replace_a_directory_it_did_not_write(tmp_path):
    name = next(v for v in versions() if v != "debian")
    (tmp_path / "precious").write_text("x")
    cp = subprocess.run([str(REPO / "scripts/zk-dist.sh"), name, str(tmp_path)], capture_output=True, text=True,
                        env={**os.environ, "ZK_DIST_PROMETHEUS": "optional"}, timeout=900)
    assert cp.returncode == 1, cp
    assert f"zk-dist.sh: {tmp_path} exists and is not a zk-dist layout (no zk-dist.txt)" in cp.stderr, cp.stderr
    assert (tmp_path / "precious").read_text() == "x"


@pytest.mark.parametrize("name", [v for v in versions() if v != "debian"])
def test_resolved_layout_is_the_tarballs(name):
    cp = subprocess.run([str(REPO / "scripts/zk-dist.sh"), "--cached", name], capture_output=True, text=True,
                        env={**os.environ, "ZK_DIST_PROMETHEUS": "optional"}, timeout=900)
    assert cp.returncode == 0, cp.stderr
    home = Path(cp.stdout.strip().splitlines()[-1])
    info = parse_zk_dist((home / "zk-dist.txt").read_text())
    jars = sorted(p.name for p in (home / "lib").glob("*.jar"))
    listed = sorted(ln.split()[-1] for ln in (home / "zk-dist.txt").read_text().splitlines() if ln.startswith("jar="))
    assert jars == listed
    assert f"zookeeper-{name}.jar" in jars and f"zookeeper-jute-{name}.jar" in jars
    assert (home / "conf").is_dir() and (home / "pom.xml").is_file()
    # Exactly one binding, and an slf4j-api it works with.
    api = next(j for j in jars if j.startswith("slf4j-api-"))
    bindings = [j for j in jars if re.match(r"(logback-classic|slf4j-reload4j|slf4j-log4j12)-", j)]
    assert len(bindings) == 1, bindings
    kind = info["logging"].split()[0]
    assert {"logback": "logback-classic", "reload4j": "slf4j-reload4j", "log4j": "slf4j-log4j12"}[kind] in bindings[0]
    if kind == "logback":
        logback = bindings[0].split("-")[2]
        assert api.startswith("slf4j-api-2.") == (not logback.startswith("1.2.")), (api, bindings)
    # The admin server's and the 3.6+ metrics' jars, as in the tarball.
    assert any(j.startswith("jetty-server-") for j in jars) and any(j.startswith("jackson-databind-") for j in jars)
    if tuple(int(x) for x in name.split(".")[:2]) >= (3, 6):
        assert any(j.startswith("metrics-core-") for j in jars), jars
        assert info["prometheus"] in ("included", "missing (not served by the Maven repository)"), info
        assert (f"zookeeper-prometheus-metrics-{name}.jar" in jars) == (info["prometheus"] == "included")
    else:
        assert info["prometheus"] == "absent", info


def test_the_images_default_release_is_in_the_matrix_with_its_prometheus_endpoint():
    default = image_default_version()
    assert re.fullmatch(r"3\.9\.\d+", default), default
    assert "prometheus" in table().get(default, set()), f"versions.txt must list {default} with +prometheus"
    for line in (REPO / "docker/Dockerfile").read_text().splitlines():
        if line.startswith("ARG ZK_VERSION="):
            assert line == f"ARG ZK_VERSION={default}", "docker/Dockerfile gives ZK_VERSION two defaults"
