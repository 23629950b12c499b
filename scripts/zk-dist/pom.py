#!/usr/bin/env python3
"""Writes the pom that resolves one ZooKeeper release into the upstream
tarball's lib/ (used by scripts/zk-dist.sh).

The upstream binary tarball is assembled by ZooKeeper's own (unpublished)
zookeeper-assembly module. Its lib/ holds, besides the server jar and its
compile/runtime dependencies:
  - every dependency the server pom declares `provided` and not optional
    (jetty, jackson, commons-cli, jline, metrics-core, snappy-java, ...);
  - the Prometheus metrics provider, from the release's
    zookeeper-metrics-providers module (3.6+);
  - the slf4j binding the release manages in its parent pom: reload4j
    (slf4j-reload4j + reload4j) in the last 3.5/3.6/3.7 releases, logback
    from 3.8 on (3.9.4+ declares it `runtime` and optional, so a plain
    dependency on zookeeper would not bring it).
This script derives exactly that list from the release's two published poms
(org.apache.zookeeper:zookeeper and org.apache.zookeeper:parent); every
version comes from the release's parent pom, imported as a BOM, so transitive
versions are managed the way the release build managed them. Nothing here
names a jar version.

    pom.py [--without-prometheus] VERSION ZOOKEEPER_POM PARENT_POM > pom.xml

Pure: reads the two files, prints the pom; unit-tested in tests/versions.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

NS = {"m": "http://maven.apache.org/POM/4.0.0"}

# slf4j bindings a ZooKeeper release may ship, in order of preference, each
# as the artifacts that make it work (the first one pulls in the rest where
# Maven's transitive resolution does not).
BINDINGS = [
    ("logback", [("ch.qos.logback", "logback-classic"), ("ch.qos.logback", "logback-core")]),
    ("reload4j", [("org.slf4j", "slf4j-reload4j"), ("ch.qos.reload4j", "reload4j")]),
    ("log4j", [("org.slf4j", "slf4j-log4j12"), ("log4j", "log4j")]),
]


class PomError(ValueError):
    """A pom lacks what a ZooKeeper release's pom always has."""


@dataclass
class Dep:
    group: str
    artifact: str
    exclusions: list[tuple[str, str]] = field(default_factory=list)
    version: str | None = None


def _text(el, path):
    v = el.findtext(path, namespaces=NS)
    return v.strip() if v else None


def _exclusions(el) -> list[tuple[str, str]]:
    return [(_text(x, "m:groupId"), _text(x, "m:artifactId")) for x in el.findall("m:exclusions/m:exclusion", NS)]


def provided_deps(server_pom: str) -> list[Dep]:
    """The server pom's `provided`, non-optional dependencies: what the
    release's assembly adds to lib/ by hand."""
    root = ET.fromstring(server_pom)
    deps = root.find("m:dependencies", NS)
    if deps is None:
        raise PomError("the zookeeper pom has no <dependencies>")
    out = []
    for d in deps.findall("m:dependency", NS):
        if _text(d, "m:scope") != "provided" or _text(d, "m:optional") == "true":
            continue
        out.append(Dep(_text(d, "m:groupId"), _text(d, "m:artifactId"), _exclusions(d)))
    return out


def managed(parent_pom: str) -> set[tuple[str, str]]:
    """(groupId, artifactId) of every dependency the parent pom manages."""
    root = ET.fromstring(parent_pom)
    return {
        (_text(d, "m:groupId"), _text(d, "m:artifactId"))
        for d in root.findall("m:dependencyManagement/m:dependencies/m:dependency", NS)
    }


def binding(parent_pom: str) -> tuple[str, list[tuple[str, str]]]:
    """The slf4j binding the release manages: (name, artifacts)."""
    have = managed(parent_pom)
    for name, artifacts in BINDINGS:
        if artifacts[0] in have:
            return name, [a for a in artifacts if a in have]
    raise PomError("the parent pom manages no slf4j binding (logback-classic, slf4j-reload4j or slf4j-log4j12)")


def has_metrics_providers(parent_pom: str) -> bool:
    """Whether the release builds the Prometheus provider (3.6+)."""
    root = ET.fromstring(parent_pom)
    return any((m.text or "").strip() == "zookeeper-metrics-providers" for m in root.findall("m:modules/m:module", NS))


def render(version: str, server_pom: str, parent_pom: str, prometheus: bool = True) -> str:
    """The pom for zk-dist: the parent imported as a BOM, and the jars of
    the tarball's lib/ as dependencies. `prometheus=False` leaves the
    Prometheus provider out (for a repository that does not serve it)."""
    own = [Dep("org.apache.zookeeper", "zookeeper", version=version)]
    if prometheus and has_metrics_providers(parent_pom):
        own.append(Dep("org.apache.zookeeper", "zookeeper-prometheus-metrics", version=version))
    name, artifacts = binding(parent_pom)
    deps = own + provided_deps(server_pom) + [Dep(g, a) for g, a in artifacts]
    seen, unique = set(), []
    for d in deps:
        if (d.group, d.artifact) not in seen:
            seen.add((d.group, d.artifact))
            unique.append(d)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<!-- Written by zkpod scripts/zk-dist.sh: the lib/ of the ZooKeeper {escape(version)} binary tarball",
        f"     (logging through {name}). Versions come from org.apache.zookeeper:parent:{escape(version)}. -->",
        '<project xmlns="http://maven.apache.org/POM/4.0.0">',
        "  <modelVersion>4.0.0</modelVersion>",
        "  <groupId>io.zkpod</groupId>",
        "  <artifactId>zk-dist</artifactId>",
        f"  <version>{escape(version)}</version>",
        "  <packaging>pom</packaging>",
        "  <dependencyManagement>",
        "    <dependencies>",
        "      <dependency>",
        "        <groupId>org.apache.zookeeper</groupId>",
        "        <artifactId>parent</artifactId>",
        f"        <version>{escape(version)}</version>",
        "        <type>pom</type>",
        "        <scope>import</scope>",
        "      </dependency>",
        "    </dependencies>",
        "  </dependencyManagement>",
        "  <dependencies>",
    ]
    for d in unique:
        lines += ["    <dependency>", f"      <groupId>{escape(d.group)}</groupId>", f"      <artifactId>{escape(d.artifact)}</artifactId>"]
        if d.version:
            lines.append(f"      <version>{escape(d.version)}</version>")
        if d.exclusions:
            lines.append("      <exclusions>")
            for g, a in d.exclusions:
                lines.append(f"        <exclusion><groupId>{escape(g)}</groupId><artifactId>{escape(a)}</artifactId></exclusion>")
            lines.append("      </exclusions>")
        lines.append("    </dependency>")
    lines += ["  </dependencies>", "</project>", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = argv[1:]
    prometheus = "--without-prometheus" not in args
    args = [a for a in args if a != "--without-prometheus"]
    if len(args) != 3:
        print("usage: pom.py [--without-prometheus] VERSION ZOOKEEPER_POM PARENT_POM", file=sys.stderr)
        return 2
    version, server, parent = args
    try:
        with open(server, encoding="utf-8") as f:
            server_pom = f.read()
        with open(parent, encoding="utf-8") as f:
            parent_pom = f.read()
        sys.stdout.write(render(version, server_pom, parent_pom, prometheus))
    except (OSError, ET.ParseError, PomError) as e:
        print(f"zk-dist: cannot derive ZooKeeper {version}'s lib/ from its poms: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
