"""Unit tests of statefulset.py's pure parts (what test_membership.py's
controller and kubelet build): no root, no podman; the plan tests need
kubectl to render the template (skipped without it).
"""

import copy
import os
import subprocess

import pytest

from tests.containers.podspec import secret_names
from tests.containers.statefulset import (
    MemberPlan, dns_hosts, emptydirs_as_dirs, log_digest, overlay_kustomization, user_overlay, write_in_place,
)


def plan(sts, ordinal, tag="seq"):
    secrets = {name: f"/x/{name}" for name in secret_names(sts)}
    return MemberPlan(sts, ordinal, tag=tag, net="127.0.7.1", prefix="p", namespace="default", uid=1000770000,
                      secrets=secrets)


def test_a_member_plan_names_its_container_and_claims_by_tag_and_keeps_the_suites_label(sts):
    p = plan(sts, 3)
    assert p.container_name == "p-seq-zk-3"
    assert p.volumes == {"data": "p-seq-data-zk-3"}
    argv = p.run_argv("/x/hosts")
    assert argv[argv.index("--label") + 1] == "zkpod-e2e=p"
    assert "p-seq-data-zk-3:/var/lib/zookeeper" in argv
    assert p.lifecycle("postStart") == ["/usr/local/bin/zkpod", "join"]
    assert p.lifecycle("preStop") == ["/usr/local/bin/zkpod", "leave"]
    assert sorted(p.emptydir_paths()) == ["/opt/zookeeper/conf", "/tmp"]


def test_emptydirs_become_binds_of_host_dirs(sts):
    p = plan(sts, 0)
    dirs = {"/opt/zookeeper/conf": "/h/conf", "/tmp": "/h/tmp"}
    argv = emptydirs_as_dirs(p.run_argv("/x/hosts"), dirs)
    assert "--tmpfs" not in argv
    assert "/h/conf:/opt/zookeeper/conf" in argv and "/h/tmp:/tmp" in argv
    # Everything else is untouched, in order.
    assert without_pairs(argv, "-v", "/h/") == without_pairs(p.run_argv("/x/hosts"), "--tmpfs", "")


def without_pairs(argv, flag, value_prefix):
    out, i = [], 0
    while i < len(argv):
        if argv[i] == flag and argv[i + 1].startswith(value_prefix):
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def test_dns_records_are_the_existing_pods(sts):
    p = plan(sts, 1)
    text = dns_hosts(p, [0, 1, 4])
    lines = [ln.split("\t") for ln in text.splitlines() if ln and not ln.startswith("#")]
    names = [ln[2] for ln in lines if len(ln) == 3]
    assert names == ["zk-1", "zk-0", "zk-4"], names  # its own line first, then the peers
    assert ["127.0.7.14", "zk-4.zk-hs.default.svc.cluster.local", "zk-4"] in lines


def test_hosts_are_rewritten_in_place_at_one_size(tmp_path):
    f = tmp_path / "hosts"
    write_in_place(f, "a\nb\n", size=64)
    inode = os.stat(f).st_ino
    write_in_place(f, "c\n", size=64)
    assert os.stat(f).st_ino == inode and f.stat().st_size == 64
    assert f.read_text().split() == ["c"]
    with pytest.raises(ValueError, match="do not fit"):
        write_in_place(f, "x" * 65, size=64)


def test_failure_logs_keep_zkpods_lines_and_drop_the_pollers_words():
    log = "\n".join([
        "zkpod: INFO: membership: server 4 joins the ensemble",
        "2026 INFO [NIOWorkerThread-1:o.a.z.s.NIOServerCnxn@532] - Processing srvr command from /127.0.0.1:1",
        "2026 INFO [NIOWorkerThread-2:o.a.z.s.NIOServerCnxn@532] - Processing conf command from /127.0.0.1:2",
        "2026 WARN something happened " + "x" * 400,
    ])
    out = log_digest(log, lines=10).splitlines()
    assert out[0] == "zkpod: INFO: membership: server 4 joins the ensemble"
    assert not any("Processing" in ln for ln in out)
    assert out[-1].startswith("2026 WARN something happened") and out[-1].endswith(" [...]")


def test_a_users_kustomization_guards_the_argument_it_replaces():
    import yaml

    k = yaml.safe_load(overlay_kustomization("../dev", 0, "--servers=3", 5, 5))
    assert k["resources"] == ["../dev"] and k["replicas"] == [{"name": "zk", "count": 5}]
    ops = yaml.safe_load(k["patches"][0]["patch"])
    assert ops == [
        {"op": "test", "path": "/spec/template/spec/containers/0/args/0", "value": "--servers=3"},
        {"op": "replace", "path": "/spec/template/spec/containers/0/args/0", "value": "--servers=5"},
    ]


def test_a_users_overlay_changes_only_replicas_and_servers(sts):
    # The rendering test_membership.py relies on.
    mine = user_overlay(sts, 1, 1)
    assert mine["spec"]["replicas"] == 1
    # The JSON-patch test guards the patch: a template whose --servers is
    # not the one rendered here is not patched blindly.
    other = copy.deepcopy(sts)
    args = other["spec"]["template"]["spec"]["containers"][0]["args"]
    args[:] = [a.replace("--servers=", "--servers=7") for a in args]
    with pytest.raises(subprocess.CalledProcessError):
        user_overlay(other, 1, 1)
