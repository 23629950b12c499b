"""Unit tests of the pod plan: the podman arguments come from the rendered
StatefulSet, and the hosts file has the kubelet's form. No root, no podman;
the test of the rendered template needs kubectl (skipped without it).
"""

import json

import pytest

from tests.containers.podspec import (
    PodPlan,
    hosts_file,
    memory_to_podman,
    pod_address,
    resolve_env,
    secret_files,
    secret_names,
)


def plan(sts, ordinal=1, net="127.0.0.5"):
    secrets = {name: f"/x/secrets/{name}" for name in secret_names(sts)}
    return PodPlan(sts, ordinal, net=net, prefix="t", namespace="default", uid=1000770000, secrets=secrets)


def test_addresses_stay_on_loopback():
    assert pod_address("127.0.0.1", 2) == "127.0.0.12"
    assert pod_address("127.0.0.5", 0) == "127.0.0.50"
    for bad in ("10.0.0.", "127.0.0.26", "127.0.0"):
        with pytest.raises(ValueError, match="127.0.0.0/8"):
            pod_address(bad, 9)


def test_hosts_file_has_the_kubelets_own_line_and_the_peers():
    text = hosts_file(1, 3, "127.0.0.5", "zk", "zk-hs.default.svc.cluster.local")
    lines = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    assert ["127.0.0.51", "zk-1.zk-hs.default.svc.cluster.local", "zk-1"] in lines
    assert ["127.0.0.50", "zk-0.zk-hs.default.svc.cluster.local", "zk-0"] in lines
    assert ["127.0.0.52", "zk-2.zk-hs.default.svc.cluster.local", "zk-2"] in lines
    # The pod's own line comes before the peers (as the kubelet writes it).
    own = text.index("zk-1.zk-hs")
    assert own < text.index("zk-0.zk-hs") and own < text.index("zk-2.zk-hs")


def test_run_argv_is_the_pod_template(sts):
    p = plan(sts)
    c = sts["spec"]["template"]["spec"]["containers"][0]
    argv = p.run_argv("/x/hosts")
    image_at = argv.index(p.image)
    assert argv[image_at + 1:] == c["args"]
    assert json.loads(argv[argv.index("--entrypoint") + 1]) == c["command"]
    assert "--read-only" in argv and "--cap-drop=ALL" in argv
    assert argv[argv.index("--security-opt") + 1] == "no-new-privileges"
    assert argv[argv.index("--user") + 1] == "1000770000:0"
    assert argv[argv.index("--hostname") + 1] == "zk-1"
    assert "ZOO_CLIENT_ADDRESS=127.0.0.51" in argv
    assert "POD_NAMESPACE=default" in argv
    assert "t-data-zk-1:/var/lib/zookeeper" in argv
    tmpfs = [argv[i + 1] for i, a in enumerate(argv) if a == "--tmpfs"]
    assert sorted(t.split(":")[0] for t in tmpfs) == ["/opt/zookeeper/conf", "/tmp"]
    assert argv[argv.index("--memory") + 1] == memory_to_podman(c["resources"]["limits"]["memory"])
    # The superuser Secret, projected read-only where the env var says.
    (secret,) = secret_names(sts)
    assert f"/x/secrets/{secret}:/etc/zkpod/auth:ro" in argv
    assert "ZOO_SUPERUSER_PASSWORD_FILE=/etc/zkpod/auth/password" in argv


def test_secret_data_becomes_files():
    assert secret_files({"data": {"password": "cHc="}, "stringData": {"x": "y"}}) == {"password": b"pw", "x": b"y"}
    with pytest.raises(ValueError, match="no host dir for Secret"):
        PodPlan(
            {
                "metadata": {"name": "zk"},
                "spec": {
                    "replicas": 1,
                    "serviceName": "zk-hs",
                    "template": {
                        "spec": {
                            "containers": [
                                {"image": "i", "command": ["c"], "volumeMounts": [{"name": "a", "mountPath": "/a"}]}
                            ],
                            "volumes": [{"name": "a", "secret": {"secretName": "s"}}],
                        }
                    },
                },
            },
            0,
            net="127.0.0.5",
            prefix="t",
            namespace="default",
            uid=1,
        ).run_argv("/x/hosts")


def test_unsupported_pod_fields_are_refused():
    with pytest.raises(ValueError, match="secretKeyRef"):
        resolve_env([{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}], "zk-0", "ns", "127.0.0.1")
    assert memory_to_podman("512Mi") == str(512 * 2**20)
    with pytest.raises(ValueError):
        memory_to_podman("1.5Gi")
