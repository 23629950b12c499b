"""Checks of the Helm chart in docker/helm/zookeeper (issue 12) without a
cluster: lint, every scenario validated against current Kubernetes schemas
and against values.schema.json, the restricted Pod Security Standard,
selectors, zkpod accepting the rendered flags, the seed-003 parameters, every
render-time refusal with its message, the NOTES.txt warnings, and dynamic
membership (issue 9): hooks, service account and Role, the superuser Secret,
and a replicaCount change that leaves the pod template alone."""

import base64
import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.helm.helmlib import (
    LookupApi, lookup_args, CHART, K8S_VERSION, SCENARIOS, VALUES, ZKPOD, deep_merge, mask_generated_password, merged_values, notes,
    render, render_error, run_helm, server_container, servers, statefulset_text, template_text,
    without_replicas,
)
from tests.lib.hosts import offline
from tests.lib.k8s import (
    anti_affinity_terms, by_kind, one, covering_mount, flag_value, map_selector_matches,
    restricted_violations, selector_matches,
)

SCHEMA = json.loads((CHART / "values.schema.json").read_text())


@pytest.fixture(scope="module", params=list(SCENARIOS))
def scenario(request):
    files = SCENARIOS[request.param]
    return request.param, files, render(files)


def pods_of(docs):
    """(what, pod spec, labels) of the server pod template and the test pod."""
    sts = servers(docs)
    out = [("servers", sts["spec"]["template"]["spec"], sts["spec"]["template"]["metadata"]["labels"])]
    for p in by_kind(docs, "Pod"):
        out.append((p["metadata"]["name"], p["spec"], p["metadata"]["labels"]))
    return out


# --- lint and schemas ---------------------------------------------------------

def test_lint_strict():
    r = run_helm("lint", "--strict", CHART)
    assert "1 chart(s) linted, 0 chart(s) failed" in r.stdout, r.stdout


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_lint_strict_with_each_scenario(name):
    args = [a for f in SCENARIOS[name] for a in ("-f", f)]
    r = run_helm("lint", "--strict", CHART, *args)
    assert "0 chart(s) failed" in r.stdout, r.stdout


def test_validates_against_current_kubernetes_schemas(scenario):
    name, _, docs = scenario
    kinds = sorted(d["kind"] for d in docs)
    # everything.yaml brings its own Secret (auth.existingSecret) and has a ServiceMonitor.
    own = ["ServiceMonitor"] if name == "everything" else ["Secret"]
    # tls.yaml: cert-manager's Certificate, and no helm test pod (plaintext).
    test_pod = [] if name == "tls" else ["Pod"]
    own += ["Certificate"] if name == "tls" else []
    assert kinds == sorted([*test_pod, "PodDisruptionBudget", "Service", "Service", "StatefulSet",
                            "ServiceAccount", "Role", "RoleBinding", *own]), (name, kinds)
    for d in docs:
        if d["apiVersion"].startswith("monitoring.coreos.com/"):
            check_service_monitor(d, docs)
            continue
        if d["apiVersion"].startswith("cert-manager.io/"):
            continue  # a CRD: test_tls_values_mount_the_secret_... checks it
        # strict: an unknown or misspelt field is an error, not ignored.
        kubernetes_validate.validate(d, K8S_VERSION, strict=True)


def check_service_monitor(mon, docs):
    """The Prometheus Operator's CRD is not in Kubernetes' schemas: check
    that it selects the headless Service and scrapes a port that Service has."""
    headless = next(d for d in docs if d["kind"] == "Service" and d["spec"].get("clusterIP") == "None")
    labels = headless["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in mon["spec"]["selector"]["matchLabels"].items()), mon
    (ep,) = mon["spec"]["endpoints"]
    assert ep["port"] in {p["name"] for p in headless["spec"]["ports"]} and ep["path"] == "/metrics", ep


def test_kubernetes_validation_rejects_a_misspelt_field():
    sts = copy.deepcopy(servers(render()))
    sts["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFS"] = True
    with pytest.raises(kubernetes_validate.ValidationError, match="readOnlyRootFS"):
        kubernetes_validate.validate(sts, K8S_VERSION, strict=True)


def test_values_schema_is_a_valid_draft7_schema():
    jsonschema.Draft7Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_values_match_values_schema(name):
    # Helm checks this on every render; checked here on its own as well, so a
    # schema that accepts nothing or everything shows up.
    jsonschema.Draft7Validator(SCHEMA).validate(merged_values(SCENARIOS[name]))


@pytest.mark.parametrize("override,path", [
    ({"replicacount": 3}, "replicacount"),
    ({"image": {"pullpolicy": "Always"}}, "pullpolicy"),
    ({"replicaCount": 0}, "0 is less than the minimum of 1"),
    ({"heapSize": "lots"}, "'lots' is not valid"),
    ({"podAntiAffinityPreset": "medium"}, "'medium' is not one of"),
    ({"fourlwCommandsWhitelist": "ruok,SRVR"}, "does not match"),
    ({"Replicas": "five"}, "'five' is not of type 'integer'"),
    ({"initialServers": 0}, "is not valid under any of the given schemas"),
    ({"initialServers": "three"}, "is not valid under any of the given schemas"),
    # Bitnami's chart had auth.enabled for SASL; here it would silently do nothing.
    ({"auth": {"enabled": True}}, "'enabled' was unexpected"),
    ({"serviceAccount": {"name": "Zk_Members"}}, "does not match"),
    ({"rbac": {"create": "yes"}}, "'yes' is not of type 'boolean'"),
])
def test_values_schema_rejects(override, path):
    with pytest.raises(jsonschema.ValidationError, match=path):
        jsonschema.Draft7Validator(SCHEMA).validate(deep_merge(merged_values(), override))


@pytest.mark.parametrize("sets,message", [
    (["replicacount=3"], "additional properties 'replicacount' not allowed"),
    (["replicaCount=0"], "minimum: got 0, want 1"),
    (["podAntiAffinityPreset=medium"], "value must be one of '', 'soft', 'hard'"),
    (["Storage=lots"], "does not match pattern"),
])
def test_helm_applies_the_values_schema(sets, message):
    r = run_helm("template", "zookeeper", CHART, *[a for s in sets for a in ("--set", s)], check=False)
    assert r.returncode != 0
    assert message in r.stderr, r.stderr


# --- what every scenario must hold --------------------------------------------

def test_restricted_pod_security_standard(scenario):
    name, _, docs = scenario
    for what, spec, _ in pods_of(docs):
        assert restricted_violations(spec) == [], (name, what)
        for c in spec["containers"]:
            assert c["securityContext"]["readOnlyRootFilesystem"] is True, (name, what)
        # The servers' zkpod leave reads their StatefulSet with the token;
        # the test pod has no use for one.
        assert spec["automountServiceAccountToken"] is (what == "servers"), (name, what)


def test_selectors_select_the_servers_and_never_the_test_pod(scenario):
    name, _, docs = scenario
    sts = servers(docs)
    labels = sts["spec"]["template"]["metadata"]["labels"]
    if name == "tls":  # no helm test pod with TLS: render the default one's labels
        (test_pod,) = by_kind(render(), "Pod")
    else:
        (test_pod,) = by_kind(docs, "Pod")
    test_labels = test_pod["metadata"]["labels"]
    selectors = [sts["spec"]["selector"], one(docs, "PodDisruptionBudget")["spec"]["selector"]]
    selectors += [t["labelSelector"] for _, t in anti_affinity_terms(sts["spec"]["template"]["spec"])]
    selectors += [c["labelSelector"] for c in sts["spec"]["template"]["spec"].get("topologySpreadConstraints") or []]
    for sel in selectors:
        assert selector_matches(sel, labels), (name, sel)
        assert not selector_matches(sel, test_labels), (name, sel)
    for svc in by_kind(docs, "Service"):
        assert map_selector_matches(svc["spec"]["selector"], labels), (name, svc["metadata"]["name"])
        assert not map_selector_matches(svc["spec"]["selector"], test_labels), (name, svc["metadata"]["name"])
    assert test_pod["metadata"]["annotations"]["helm.sh/hook"] == "test"


def test_servers_flag_services_and_ports_agree(scenario):
    name, _, docs = scenario
    sts = servers(docs)
    c = server_container(docs)
    # --servers is the initial size: replicaCount at install, unless initialServers says otherwise.
    initial = merged_values(scenario[1]).get("initialServers") or sts["spec"]["replicas"]
    assert int(flag_value(c["args"], "--servers")) == initial, name
    services = {s["metadata"]["name"]: s for s in by_kind(docs, "Service")}
    headless = services[sts["spec"]["serviceName"]]
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    if name == "tls":
        # TLS-only: 2181 listens on the pod's loopback, not a container port.
        assert "tcp-client" not in ports and ports["tcp-client-tls"] == 2281
        ports["tcp-client"] = int(flag_value(c["args"], "--client_port"))
    assert ports["tcp-client"] == int(flag_value(c["args"], "--client_port"))
    assert ports["tcp-server"] == int(flag_value(c["args"], "--server_port"))
    assert ports["tcp-election"] == int(flag_value(c["args"], "--election_port"))
    for p in headless["spec"]["ports"]:
        assert ports[p["targetPort"]] == p["port"], (name, p)
    for svc in services.values():
        for p in svc["spec"]["ports"]:
            assert p["targetPort"] in ports, (name, p)
    if name == "tls":
        return
    # The test pod checks every member, on the client port.
    env = {e["name"]: e.get("value") for e in one(docs, "Pod")["spec"]["containers"][0]["env"]}
    members = env["MEMBERS"].split()
    assert len(members) == sts["spec"]["replicas"]
    assert members[0].startswith(f"{sts['metadata']['name']}-0.{sts['spec']['serviceName']}.default.svc.")
    assert env["CLIENT_PORT"] == str(ports["tcp-client"])


def test_every_written_path_is_on_a_writable_volume(scenario):
    name, _, docs = scenario
    sts = servers(docs)
    c = server_container(docs)
    spec = sts["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    claims = {t["metadata"]["name"] for t in sts["spec"].get("volumeClaimTemplates") or []}
    for flag in ("--data_dir", "--data_log_dir", "--conf_dir"):
        path = flag_value(c["args"], flag)
        mount = covering_mount(c["volumeMounts"], path)
        assert mount is not None and not mount.get("readOnly"), (name, flag)
        assert mount["name"] in claims or "emptyDir" in volumes[mount["name"]], (name, flag)
    assert covering_mount(c["volumeMounts"], "/tmp")["name"] == "tmp"
    for pod in by_kind(docs, "Pod"):
        assert covering_mount(pod["spec"]["containers"][0]["volumeMounts"], "/tmp")["name"] == "tmp"


def _dry_run_argv(docs, password_file):
    """zkpod start as the first pod would run it, with --dry-run (nothing is
    written), on the image's ZooKeeper (its default release's layout from
    scripts/zk-dist.sh: the chart's --metrics-port needs its Prometheus
    provider). heap=auto needs a cgroup memory limit this host does not have,
    so a fixed heap is appended after it (a repeated flag overrides). The
    superuser password is read from `password_file`, standing in for the
    Secret mounted at the path the chart gives."""
    sts = servers(docs)
    c = server_container(docs)
    env = {e["name"]: e["value"] for e in c.get("env") or [] if "value" in e}
    env["POD_NAMESPACE"] = "default"
    assert env["ZOO_SUPERUSER_PASSWORD_FILE"] == "/etc/zkpod/auth/password"
    env["ZOO_SUPERUSER_PASSWORD_FILE"] = str(password_file)
    if "ZOO_TLS_DIR" in env:
        # tls.*: a certificate for pod 0, made with openssl, stands in for the
        # Secret mounted at ZOO_TLS_DIR.
        from tests.lib import pki
        assert env["ZOO_TLS_DIR"] == "/etc/zookeeper/tls"
        base = Path(password_file).parent / "tls"
        if not (base / "secret").exists():
            ca = pki.make_ca(base / "ca")
            fqdn = f"{sts['metadata']['name']}-0.{sts['spec']['serviceName']}.default.svc.cluster.local"
            pki.issue(ca, base / "secret", [fqdn])
        env["ZOO_TLS_DIR"] = str(base / "secret")
    args = list(c["args"])
    if flag_value(args, "--heap").startswith("auto"):
        args.append("--heap=512M")
    args.append(f"--zk-home={image_layout()}")
    domain = f"{sts['spec']['serviceName']}.default.svc.cluster.local"
    # offline: no peer answers here, and their names must not reach the
    # machine's resolver.
    return offline([str(ZKPOD), "start", *args, "--hostname", f"{sts['metadata']['name']}-0",
                    "--domain", domain, "--dry-run"]), env


def image_layout():
    """The image's default ZooKeeper release, resolved (or from the cache)."""
    from tests.versions.matrix import image_default_version, resolve_layout

    return resolve_layout(image_default_version()).home


@pytest.fixture
def password_file(tmp_path):
    """The superuser password as the kubelet projects the Secret: a file."""
    f = tmp_path / "password"
    f.write_text("a-superuser-password-of-the-operator")
    f.chmod(0o440)
    return f


def test_zkpod_accepts_the_rendered_flags(scenario, password_file):
    name, _, docs = scenario
    assert ZKPOD.exists(), f"{ZKPOD} missing; fix: cargo build --release"
    argv, env = _dry_run_argv(docs, password_file)
    r = subprocess.run(argv, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env}, timeout=30)
    assert r.returncode == 0, f"{name}: zkpod start refused the chart's flags: {r.stderr.strip()}"
    assert "nothing was written" in r.stdout
    # No peer answers here: pod 0 bootstraps the initial members, --servers of them.
    initial = int(flag_value(server_container(docs)["args"], "--servers"))
    assert f"server 1 bootstraps one of {initial} initial servers" in r.stdout or name == "everything", r.stdout
    assert r.stdout.count("\nserver.") == initial, r.stdout
    # The password reached zkpod, which gives the JVM its digest (no warning about a missing one).
    assert "no --superuser-password-file" not in r.stderr, r.stderr
    if name == "tls":
        assert "TLS: clients on port 2281 and the quorum" in r.stdout, r.stdout
        assert "secureClientPort=2281" in r.stdout and "clientPortAddress=127.0.0.1" in r.stdout, r.stdout
        # The dry run shows the key store's path, never the private key.
        assert "keystore.pem <==\n# (the private key and the certificate chain, mode 0600: not shown)" in r.stdout
        assert "PRIVATE KEY" not in r.stdout


def test_values_reach_zoo_cfg(password_file):
    docs = render([VALUES / "everything.yaml"])
    argv, env = _dry_run_argv(docs, password_file)
    out = subprocess.run(argv, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env},
                         check=True, timeout=30).stdout
    cfg = out.split("/zoo.cfg <==\n", 1)[1].split("==>", 1)[0]
    for line in ("clientPort=2182", "tickTime=3000", "initLimit=20", "syncLimit=10", "maxClientCnxns=100",
                 "minSessionTimeout=6000", "maxSessionTimeout=90000", "autopurge.snapRetainCount=5",
                 "autopurge.purgeInterval=6", "admin.enableServer=true", "admin.serverPort=8081",
                 "quorumListenOnAllIPs=true", "snapCount=1000000", "preAllocSize=131072",
                 "admin.serverAddress=0.0.0.0", "metricsProvider.httpPort=7001",
                 # zkpod's dynamic membership.
                 "standaloneEnabled=false", "reconfigEnabled=true"):
        assert line in cfg.splitlines(), f"{line!r} not in zoo.cfg:\n{cfg}"
    # The bootstrap file: initialServers=3 servers from id 11, with the chart's ports.
    dyn = out.split("/zoo.cfg.dynamic.zkpod-bootstrap <==\n", 1)[1].split("==>", 1)[0].split()
    assert dyn == [f"server.{11 + i}=zk-all-{i}.zk-all-hs.default.svc.cluster.local:2889:3889:participant;2182"
                   for i in range(3)], dyn
    assert "4lw.commands.whitelist=srvr,ruok,mntr,conf,cons,wchs" in cfg
    assert "heap 512m" not in out  # the rendered fixed heap, 1536M, was used
    assert "-Xmx1536m" in out and "-XX:+UseG1GC" in out


# --- seed 003: the incubator chart's parameters ------------------------------

def test_seed003_readme_set_line():
    # The set line of issue 12: what that chart's README promised.
    docs = render(sets=["Replicas=5,Storage=2Gi,Cpu=200m,Memory=1Gi"])
    sts = servers(docs)
    c = server_container(docs)
    assert sts["spec"]["replicas"] == 5 and flag_value(c["args"], "--servers") == "5"
    assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "2Gi"
    assert c["resources"]["requests"] == {"cpu": "200m", "memory": "1Gi"}
    # The requested memory is the limit too (Guaranteed), and the heap is half of it.
    assert c["resources"]["limits"] == {"memory": "1Gi"}
    assert flag_value(c["args"], "--heap") == "auto"
    assert len(one(docs, "Pod")["spec"]["containers"][0]["env"][0]["value"].split()) == 5


@pytest.mark.parametrize("legacy,check", [
    ("Name=zoo", lambda d: servers(d)["metadata"]["name"] == "zookeeper-zoo"
        and servers(d)["spec"]["serviceName"] == "zookeeper-zoo-hs"),
    ("Image=localhost/zkpod", lambda d: server_container(d)["image"] == "localhost/zkpod:0.1.0"),
    ("ImageTag=dev", lambda d: server_container(d)["image"] == "zkpod:dev"),
    ("ImagePullPolicy=Always", lambda d: server_container(d)["imagePullPolicy"] == "Always"),
    ("Replicas=7", lambda d: servers(d)["spec"]["replicas"] == 7
        and flag_value(server_container(d)["args"], "--servers") == "7"),
    ("Component=zk", lambda d: all(r["metadata"]["labels"]["component"] == "zookeeper-zk"
        for r in d if r["kind"] != "Pod")
        and servers(d)["spec"]["template"]["metadata"]["labels"]["component"] == "zookeeper-zk"),
    ("Cpu=300m", lambda d: server_container(d)["resources"]["requests"]["cpu"] == "300m"),
    ("Memory=2Gi", lambda d: server_container(d)["resources"]["requests"]["memory"] == "2Gi"
        and server_container(d)["resources"]["limits"]["memory"] == "2Gi"),
    ("PeerPort=2890", lambda d: flag_value(server_container(d)["args"], "--server_port") == "2890"
        and {"name": "tcp-server", "containerPort": 2890} in server_container(d)["ports"]
        and {"name": "tcp-server", "port": 2890, "targetPort": "tcp-server", "appProtocol": "tcp"}
        in [s for s in by_kind(d, "Service") if s["spec"].get("clusterIP") == "None"][0]["spec"]["ports"]),
    ("LeaderElectionPort=3890", lambda d: flag_value(server_container(d)["args"], "--election_port") == "3890"
        and {"name": "tcp-election", "containerPort": 3890} in server_container(d)["ports"]),
    ("Storage=5Gi", lambda d: servers(d)["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "5Gi"),
])
def test_each_legacy_parameter_maps_onto_the_new_values(legacy, check):
    docs = render(sets=[legacy])
    assert check(docs), legacy
    key = legacy.split("=", 1)[0]
    assert f"legacy parameters of the incubator chart were applied: {key} (" in notes(sets=[legacy])


def test_legacy_parameters_are_every_one_the_seed_documents():
    # The parameter table of seed 003's README, read from the seed itself when
    # it is on this machine; the chart's schema must declare each of them.
    documented = ["Name", "Image", "ImageTag", "ImagePullPolicy", "Replicas", "Component", "Cpu", "Memory",
                  "PeerPort", "LeaderElectionPort", "Storage"]
    import glob
    import re
    seeds = glob.glob("/work/shared/seeds/003_*")
    if seeds:
        text = open(seeds[0]).read()
        documented = re.findall(r"^\| `(\w+)`\s+\|", text, re.M)
    assert len(documented) == 11, documented
    for p in documented:
        assert p in SCHEMA["properties"] and "incubator chart" in SCHEMA["properties"][p]["description"], p
    assert set(yaml.safe_load((VALUES / "seed003-legacy.yaml").read_text())) == set(documented)


def test_the_seed_readme_failover_selector_finds_the_pods():
    # `kubectl delete po -l component=${RELEASE-NAME}-zk` from the seed's README.
    docs = render(sets=["Component=zk"], release="myrel")
    labels = servers(docs)["spec"]["template"]["metadata"]["labels"]
    assert selector_matches({"matchLabels": {"component": "myrel-zk"}}, labels)
    # The StatefulSet's selector does not change with it (selectors are immutable).
    assert "component" not in servers(docs)["spec"]["selector"]["matchLabels"]


def test_legacy_name_keeps_the_old_resource_names():
    # The incubator chart named everything <release>-<Name>.
    docs = render(sets=["Name=zk"], release="my-release")
    assert servers(docs)["metadata"]["name"] == "my-release-zk"


@pytest.mark.parametrize("legacy,message", [
    ("Image=java", "Image=java is the old chart's plain JRE image, which has neither zkpod nor ZooKeeper in it: "
                   "this chart runs the zkpod image (docker/Dockerfile). Fix: drop Image and ImageTag, and set "
                   "image.repository and image.tag to your zkpod image"),
    ("Image=library/openjdk", "Image=library/openjdk is the old chart's plain JRE image"),
    ("ImageTag=openjdk-8-jre", "ImageTag=openjdk-8-jre is a tag of the old chart's JRE image, not of a zkpod image: "
                               "the pods would not start. Fix: drop ImageTag, and set image.tag"),
    ("Replicas=0", "at '/Replicas': minimum: got 0, want 1"),
    ("PeerPort=3888", "ports collide: client 2181, follower 3888, election 3888"),
])
def test_legacy_values_that_no_longer_make_sense_are_refused(legacy, message):
    assert message in render_error(sets=[legacy])


def test_seed003_defaults_file_is_refused_with_the_image_message():
    # A copy of the old chart's own defaults: Image=java.
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump({"Name": "zk", "Image": "java", "ImageTag": "openjdk-8-jre", "ImagePullPolicy": "Always",
                        "Replicas": 3, "Component": "zk", "Cpu": "100m", "Memory": "512Mi", "PeerPort": 2888,
                        "LeaderElectionPort": 3888, "Storage": "1Gi"}, f)
        f.flush()
        assert "Image=java is the old chart's plain JRE image" in render_error(files=[f.name])


# --- render-time refusals ----------------------------------------------------

REFUSALS = [
    (["podManagementPolicy=OrderedReady"],
     "podManagementPolicy=OrderedReady with readinessProbe.mode=serving deadlocks: pod 0 serves only in a quorum, "
     "and pod 1 is created only after pod 0 is ready. Fix: podManagementPolicy=Parallel (recommended), or "
     "readinessProbe.mode=ruok"),
    (["pdb.minAvailable=2", "pdb.maxUnavailable=1"],
     "pdb.minAvailable and pdb.maxUnavailable are both set; a PodDisruptionBudget takes one."),
    (["resources.limits=null"],
     "heapSize=auto takes a share of the container's memory limit, but resources.limits.memory is not set: zkpod "
     "would refuse to start. Fix: set resources.limits.memory (e.g. 1Gi), or a fixed heapSize (e.g. 512M)"),
    (["resources.limits.memory=100Mi"],
     "heapSize=auto gives a 50M heap from resources.limits.memory=100Mi, too small for ZooKeeper"),
    (["heapSize=auto:95%"], "heapSize=auto:95%: the share of the memory limit must be 10% to 90%"),
    (["heapSize=2G"],
     "heapSize=2G does not fit in resources.limits.memory=1Gi: the JVM would be OOMKilled. Fix: heapSize=auto"),
    (["heapSize=8M"], "heapSize=8M is below 16M"),
    (["heapSize=1024"], "heapSize=1024M does not fit in resources.limits.memory=1Gi"),
    (["jvmFlags=-Xmx2g -XX:+UseG1GC"], "jvmFlags=\"-Xmx2g -XX:+UseG1GC\" sets the heap, which zkpod sets from heapSize"),
    (["extraConfig.tickTime=3000"],
     "extraConfig.tickTime is a zoo.cfg key that zkpod derives from a flag of its own, so the two would disagree. "
     "Fix: set tickTime instead"),
    (["extraConfig.4lw\\.commands\\.whitelist=*"], "Fix: set fourlwCommandsWhitelist instead"),
    (["extraConfig.dataDir=/data"], "Fix: set (nothing: the chart mounts the data volume at /var/lib/zookeeper) instead"),
    (["extraConfig.server\\.4=zk-3:2888:3888"], "extraConfig.server.4 is a server line"),
    (["extraConfig.bad\\ key=1"], "extraConfig key \"bad key\" is not a zoo.cfg key"),
    (["containerPorts.follower=2181"], "ports collide: client 2181, follower 2181, election 3888"),
    (["adminServer.enabled=true", "containerPorts.adminServer=3888"], "ports collide: client 2181, follower 2888, election 3888, adminServer 3888"),
    (["persistence.enabled=false", "persistence.dataLogDir.enabled=true"],
     "persistence.dataLogDir.enabled=true needs persistence.enabled=true"),
    (["nodeAffinityPreset.type=hard"], "nodeAffinityPreset.type=hard needs nodeAffinityPreset.key and nodeAffinityPreset.values"),
    (["fullnameOverride=" + "z" * 53], "is 53 characters long"),
    (["fullnameOverride=ZK"], "the StatefulSet name \"ZK\" is not a DNS label"),
    (["fullnameOverride=zk.prod"], "the StatefulSet name \"zk.prod\" is not a DNS label"),
    (["minSessionTimeout=9000", "maxSessionTimeout=8000"], "minSessionTimeout=9000 is above maxSessionTimeout=8000"),
    (["podSecurityContext.runAsUser=0"], "podSecurityContext.runAsUser=0 contradicts runAsNonRoot=true"),
    (["metrics.enabled=false", "metrics.serviceMonitor.enabled=true"],
     "metrics.serviceMonitor.enabled=true with metrics.enabled=false: the ServiceMonitor would scrape a port nothing serves"),
    (["metrics.port=2181"], "ports collide: client 2181, follower 2888, election 3888, metrics 2181"),
    (["tls.client.enabled=true"], "tls.client.enabled/tls.quorum.enabled: this chart turns on client and quorum TLS together"),
    (["tls.enabled=true"], "tls.enabled=true without a Secret: zkpod needs tls.crt, tls.key and ca.crt"),
    (["tls.enabled=true", "tls.certManager.create=true", "tests.enabled=false"],
     "tls.certManager.create=true without tls.certManager.issuerRef.name"),
    (["tls.enabled=true", "tls.existingSecret=zk-tls", "tls.port=2888", "tests.enabled=false"],
     "tls.port=2888 is also a containerPorts value"),
    (["tls.enabled=true", "tls.existingSecret=zk-tls"],
     "tls.enabled=true with tests.enabled=true: the chart's helm test pod (ensemble-check) connects in plaintext"),
    (["auth.quorum.enabled=true"], "auth.client.enabled/auth.quorum.enabled=true: zkpod cannot configure SASL"),
    (["extraConfig.standaloneEnabled=false"],
     "extraConfig.standaloneEnabled is a key of zkpod's dynamic membership: zkpod decides whether ZooKeeper may "
     "reconfigure and where its committed configuration lives, and refuses the key from anywhere else (a second "
     "source could restart a server with a stale view of the ensemble). Fix: drop it; for a fixed server list "
     "(ZooKeeper 3.4), add ZOO_MEMBERSHIP=static to extraEnvVars"),
    (["extraConfig.reconfigEnabled=true"], "extraConfig.reconfigEnabled is a key of zkpod's dynamic membership"),
    (["extraConfig.dynamicConfigFile=/x"], "extraConfig.dynamicConfigFile is a key of zkpod's dynamic membership"),
    (["serviceAccount.create=false"],
     "serviceAccount.create=false needs serviceAccount.name: the pods' account must be allowed to get their "
     "StatefulSet (zkpod leave reads its replicas to tell a scale-down from a restart), and the chart will not grant "
     "that to the namespace's default account unasked. Fix: serviceAccount.create=true, or "
     "serviceAccount.name=<an existing account>"),
    (["rbac.create=false"],
     "rbac.create=false with serviceAccount.create=true: the new account zookeeper could not get the StatefulSet "
     "zookeeper, so zkpod leave (preStop) could not tell a scale-down from a restart and would remove nothing: "
     "scaled-away servers would stay voters and a later failure could cost the quorum. Fix: rbac.create=true, or "
     "bind a Role with get on statefulsets/zookeeper to an existing account yourself and set "
     "serviceAccount.create=false and serviceAccount.name"),
    (["extraEnvVars[0].name=ZOO_SUPERUSER_PASSWORD_FILE", "extraEnvVars[0].value=/run/pw"],
     "extraEnvVars sets ZOO_SUPERUSER_PASSWORD_FILE, which the chart sets itself: the pod would get two values. "
     "Fix: drop it from extraEnvVars and set auth.existingSecret instead"),
    (["extraEnvVars[0].name=ZOO_SERVERS", "extraEnvVars[0].value=5"],
     "extraEnvVars sets ZOO_SERVERS, which the chart sets itself"),
    (["extraEnvVars[0].name=ZOO_MEMBERSHIP", "extraEnvVars[0].value=static", "initialServers=3"],
     "initialServers=3 with ZOO_MEMBERSHIP=static: a static server list is the ensemble itself, so --servers must "
     "equal replicaCount (3). Fix: drop initialServers"),
    (["auth.existingSecret=zk-pw", "auth.existingSecretPasswordKey=a/b"],
     "auth.existingSecretPasswordKey=\"a/b\" is not a Secret key"),
]


@pytest.mark.parametrize("sets,message", REFUSALS, ids=[r[0][0][:40] for r in REFUSALS])
def test_invalid_combinations_fail_at_render_time_with_one_line(sets, message):
    err = render_error(sets=sets)
    # One line: what is wrong, what it means, the fix.
    assert len(err.splitlines()) == 1, err
    assert message in err, err
    assert err.startswith("Error: execution error at (zookeeper/templates/"), err


def test_refusals_also_hold_for_notes_and_the_test_pod():
    # helm install renders NOTES.txt and the hook too: the same line, not a template error.
    r = run_helm("install", "zookeeper", CHART, "--dry-run=client", "--set", "heapSize=2G", check=False)
    assert r.returncode != 0 and "does not fit in resources.limits.memory=1Gi" in r.stderr, r.stderr


def test_ordered_ready_works_with_the_ruok_readiness_mode():
    docs = render(sets=["podManagementPolicy=OrderedReady", "readinessProbe.mode=ruok"])
    c = server_container(docs)
    assert servers(docs)["spec"]["podManagementPolicy"] == "OrderedReady"
    assert c["readinessProbe"]["exec"]["command"] == ["/usr/local/bin/zkpod", "probe", "ready", "--mode", "ruok"]


# --- dynamic membership: hooks, RBAC, the superuser Secret, scaling ----------

def test_membership_hooks_service_account_and_secret(scenario):
    """The same hooks, grace period, account, Role and Secret mount as the
    kustomize base (tests/manifests checks the base against the namespace
    harness's hooks; so does this)."""
    from tests.lib import statefulset as harness_sts

    name, files, docs = scenario
    sts = servers(docs)
    spec = sts["spec"]["template"]["spec"]
    c = server_container(docs)
    assert c["lifecycle"] == {
        "postStart": {"exec": {"command": ["/usr/local/bin/zkpod", *harness_sts.POST_START]}},
        "preStop": {"exec": {"command": ["/usr/local/bin/zkpod", *harness_sts.PRE_STOP]}},
    }, name
    # zkpod leave gives up after 60 s, well before the kubelet's SIGKILL.
    assert spec["terminationGracePeriodSeconds"] > 60, name
    # A liveness kill (a restart: leave returns at once) is not held for
    # the pod's grace: the probe's own, as in the kustomize base.
    if "livenessProbe" in c:
        assert 5 <= c["livenessProbe"]["terminationGracePeriodSeconds"] <= 30, name
    assert spec["automountServiceAccountToken"] is True
    values = merged_values(files)
    account = one(docs, "ServiceAccount")
    assert spec["serviceAccountName"] == account["metadata"]["name"] == (
        values["serviceAccount"]["name"] or sts["metadata"]["name"]), name
    assert account["automountServiceAccountToken"] is values["serviceAccount"]["automountServiceAccountToken"]
    role = one(docs, "Role")
    assert role["metadata"]["name"] == f"{sts['metadata']['name']}-membership"
    assert role["rules"] == [{"apiGroups": ["apps"], "resources": ["statefulsets"],
                              "resourceNames": [sts["metadata"]["name"]], "verbs": ["get"]}], name
    binding = one(docs, "RoleBinding")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": role["metadata"]["name"]}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"]}]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["ZOO_SUPERUSER_PASSWORD_FILE"] == "/etc/zkpod/auth/password"
    (mount,) = [m for m in c["volumeMounts"] if m["mountPath"] == "/etc/zkpod/auth"]
    assert mount["readOnly"] is True
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    assert volume["secret"]["defaultMode"] == 0o440
    secrets = by_kind(docs, "Secret")
    if values["auth"]["existingSecret"]:
        assert secrets == [] and volume["secret"]["secretName"] == values["auth"]["existingSecret"]
        # The key is projected under the file name zkpod is given.
        key = values["auth"]["existingSecretPasswordKey"]
        assert volume["secret"].get("items", [{"key": "password", "path": "password"}]) == [
            {"key": key, "path": "password"}], volume
    else:
        (secret,) = secrets
        assert volume["secret"]["secretName"] == secret["metadata"]["name"] == f"{sts['metadata']['name']}-auth"
        assert "items" not in volume["secret"]
        assert secret["type"] == "Opaque" and list(secret["data"]) == ["password"]
        assert re.fullmatch(r"[A-Za-z0-9]{32}", base64.b64decode(secret["data"]["password"]).decode())
        assert secret["metadata"]["labels"] == sts["metadata"]["labels"]


def test_each_render_without_a_cluster_makes_a_new_password():
    # What the README warns GitOps users about: helm template cannot look the
    # installed Secret up, so it cannot keep its password.
    def password(docs):
        return one(docs, "Secret")["data"]["password"]
    assert password(render()) != password(render())


def test_an_existing_secret_is_mounted_as_it_is():
    docs = render(sets=["auth.existingSecret=my-zk-superuser"])
    assert by_kind(docs, "Secret") == []
    (vol,) = [v for v in servers(docs)["spec"]["template"]["spec"]["volumes"] if v["name"] == "auth"]
    assert vol == {"name": "auth", "secret": {"secretName": "my-zk-superuser", "defaultMode": 0o440}}
    assert "key password of your Secret my-zk-superuser" in notes(sets=["auth.existingSecret=my-zk-superuser"])


def test_an_existing_service_account_gets_the_binding():
    docs = render(sets=["serviceAccount.create=false", "serviceAccount.name=platform-zk"])
    assert by_kind(docs, "ServiceAccount") == []
    assert servers(docs)["spec"]["template"]["spec"]["serviceAccountName"] == "platform-zk"
    assert one(docs, "RoleBinding")["subjects"] == [{"kind": "ServiceAccount", "name": "platform-zk"}]


def test_rbac_off_needs_an_existing_account_and_says_what_it_costs():
    sets = ["rbac.create=false", "serviceAccount.create=false", "serviceAccount.name=platform-zk"]
    docs = render(sets=sets)
    assert not by_kind(docs, "Role") and not by_kind(docs, "RoleBinding") and not by_kind(docs, "ServiceAccount")
    assert servers(docs)["spec"]["template"]["spec"]["serviceAccountName"] == "platform-zk"
    text = notes(sets=sets)
    assert ("rbac.create=false: the service account platform-zk needs `get` on statefulsets/zookeeper. Without it "
            "zkpod leave cannot tell a scale-down from a restart and removes nothing, so scaled-away servers stay "
            "voters; zkpod join removes them later only if it can read the StatefulSet.") in text, text


@pytest.mark.parametrize("name", ["default", "dev", "prod", "openshift", "everything"])
def test_scaling_through_helm_changes_only_replicas(name):
    """Issue 12 item 4: `helm upgrade --set replicaCount=N` of a release
    installed with 3 changes the StatefulSet's spec.replicas and nothing else,
    byte for byte: no rolling restart, the hooks do the membership. The
    installed --servers is given as initialServers here, for every scenario
    and size; test_lookup_keeps_the_installed_servers_and_password_on_upgrade
    has Helm's lookup find it."""
    installed = template_text(SCENARIOS[name], sets=["replicaCount=3"])
    base = without_replicas(statefulset_text(installed))
    assert "- --servers=3\n" in base
    for n in (1, 2, 5, 7, 9):
        upgraded = template_text(SCENARIOS[name], sets=[f"replicaCount={n}", "initialServers=3"],
                                 extra=["--is-upgrade"])
        sts = statefulset_text(upgraded)
        assert f"\n  replicas: {n}\n" in sts, (name, n)
        assert without_replicas(sts) == base, (name, n)


@pytest.fixture
def api():
    a = LookupApi()
    yield a
    a.close()


def apply(api, text):
    """The release as `helm install` applies it: what the lookups find."""
    docs = [d for d in yaml.safe_load_all(text) if d]
    api.apply(docs)
    return docs


def test_lookup_keeps_the_installed_servers_and_password_on_upgrade(api):
    # helm install with 3, then helm upgrade --set replicaCount=5 and =1, the
    # upgrades rendered against the API (a stand-in) that holds what the
    # install applied: the chart's lookups find the StatefulSet's --servers=3
    # and the Secret's password, and keep both.
    installed_text = template_text(sets=["replicaCount=3"])
    installed = apply(api, installed_text)
    password = one(installed, "Secret")["data"]["password"]
    for n in (5, 1):
        text = template_text(sets=[f"replicaCount={n}"], extra=["--is-upgrade", *lookup_args(api)])
        assert without_replicas(statefulset_text(text)) == without_replicas(statefulset_text(installed_text)), n
        docs = [d for d in yaml.safe_load_all(text) if d]
        assert servers(docs)["spec"]["replicas"] == n
        assert flag_value(server_container(docs)["args"], "--servers") == "3"
        assert one(docs, "Secret")["data"]["password"] == password
    # The chart asked for exactly these two objects.
    assert set(api.gets) == {"/apis/apps/v1/namespaces/default/statefulsets/zookeeper",
                             "/api/v1/namespaces/default/secrets/zookeeper-auth"}, api.gets


def test_lookup_on_a_first_install_finds_nothing(api):
    # Against a cluster without the release: replicaCount, and a new password.
    docs = render(sets=["replicaCount=5"], extra=lookup_args(api))
    assert flag_value(server_container(docs)["args"], "--servers") == "5"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", base64.b64decode(one(docs, "Secret")["data"]["password"]).decode())


def test_lookup_after_a_scale_down_keeps_the_larger_initial_size(api):
    apply(api, template_text(sets=["replicaCount=5"]))
    docs = render(sets=["replicaCount=3"], extra=["--is-upgrade", *lookup_args(api)])
    assert flag_value(server_container(docs)["args"], "--servers") == "5"
    assert servers(docs)["spec"]["replicas"] == 3


def test_an_initial_servers_that_differs_from_the_installed_one_is_noted(api):
    apply(api, template_text(sets=["replicaCount=3"]))
    r = run_helm("upgrade", "--install", "zookeeper", CHART, "--set", "initialServers=5,replicaCount=5",
                 *lookup_args(api))
    text = r.stdout.split("\nNOTES:\n", 1)[1]
    assert ("initialServers=5 differs from the installed StatefulSet's --servers=3: every pod restarts, one at a "
            "time, for a flag that has no effect on a running ensemble (its committed configuration decides the "
            "membership). Set initialServers=3 to scale without restarts.") in text, text


def test_without_a_cluster_an_upgrade_follows_replica_count():
    # The documented trade-off: helm template (GitOps) cannot look up the
    # installed --servers, so it follows replicaCount (a template change, so a
    # rolling restart; harmless to the membership) unless initialServers is set.
    args = server_container(render(sets=["replicaCount=5"], extra=["--is-upgrade"]))["args"]
    assert flag_value(args, "--servers") == "5"
    args = server_container(render(sets=["replicaCount=5", "initialServers=3"], extra=["--is-upgrade"]))["args"]
    assert flag_value(args, "--servers") == "3"


def _helper_chart(tmp_path, expression):
    """A parent chart whose one template shows what a helper of the chart
    makes of values given in place of a lookup's answer: the decisions are
    exercised without a cluster."""
    parent = tmp_path / "probe"
    shutil.rmtree(parent, ignore_errors=True)
    (parent / "templates").mkdir(parents=True)
    (parent / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.0.1\n")
    (parent / "values.yaml").write_text("{}\n")
    (parent / "templates" / "probe.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n"
        f"  result: {{{{ {expression} | quote }}}}\n")
    shutil.copytree(CHART, parent / "charts" / "zookeeper")
    return parent


def _helper_result(tmp_path, expression, values):
    parent = _helper_chart(tmp_path, expression)
    vf = tmp_path / "values.json"
    vf.write_text(json.dumps(values))
    r = run_helm("template", "zk", parent, "-f", vf, check=False)
    if r.returncode != 0:
        return None, r.stderr
    (doc,) = [d for d in yaml.safe_load_all(r.stdout) if d and d["kind"] == "ConfigMap"]
    return doc["data"]["result"], r.stderr


@pytest.mark.parametrize("explicit,installed,replicas,static,servers", [
    ("", 0, 3, "", 3),        # install (or no cluster): replicaCount
    ("", 3, 5, "", 3),        # scale-up of a release installed with 3: kept
    ("", 5, 3, "", 5),        # scale-down after growing from 5: kept
    (3, 0, 5, "", 3),         # no cluster, initialServers given
    (3, 5, 5, "", 3),         # initialServers wins (NOTES warns of the restart)
    ("", 3, 3, "true", 3),    # a static server list is replicaCount itself
    ("", 0, 5, "true", 5),
])
def test_initial_servers_decision(tmp_path, explicit, installed, replicas, static, servers):
    result, err = _helper_result(
        tmp_path, 'include "zookeeper.initialServers" (dict "explicit" (toString .Values.explicit) '
                  '"installed" .Values.installed "replicas" .Values.replicas "static" .Values.static)',
        {"explicit": explicit, "installed": installed, "replicas": replicas, "static": static})
    assert result == str(servers), err


def test_installed_servers_are_read_from_the_statefulset(tmp_path):
    # The StatefulSet as the API returns it: the chart's own render, scaled
    # since to 5 replicas; --servers is what counts, not replicas.
    sts = servers(render(sets=["replicaCount=3"]))
    sts["spec"]["replicas"] = 5
    expr = 'include "zookeeper.serversOf" .Values.sts'
    assert _helper_result(tmp_path, expr, {"sts": sts})[0] == "3"
    # No StatefulSet (install, or no cluster): 0.
    assert _helper_result(tmp_path, expr, {"sts": {}})[0] == "0"
    # One without --servers (not this chart's): its replicas.
    for c in sts["spec"]["template"]["spec"]["containers"]:
        c["args"] = [a for a in c["args"] if not a.startswith("--servers=")]
    assert _helper_result(tmp_path, expr, {"sts": sts})[0] == "5"


def test_the_generated_password_is_kept_and_only_made_once(tmp_path):
    expr = 'include "zookeeper.authPassword" .Values.secret'
    # Found in the cluster (an upgrade): kept as it is.
    kept = base64.b64encode(b"the-password-made-at-install").decode()
    assert _helper_result(tmp_path, expr, {"secret": {"kind": "Secret", "data": {"password": kept}}})[0] == kept
    # None yet (an install): 32 random letters and digits, a new one each time.
    made = {_helper_result(tmp_path, expr, {"secret": {}})[0] for _ in range(2)}
    assert len(made) == 2
    for m in made:
        assert re.fullmatch(r"[A-Za-z0-9]{32}", base64.b64decode(m).decode()), m


@pytest.mark.parametrize("current,wanted,refused", [(0, 3, False), (3, 3, False), (3, 5, True), (5, 3, True)])
def test_static_membership_keeps_the_upgrade_guard(tmp_path, current, wanted, refused):
    result, err = _helper_result(
        tmp_path, 'include "zookeeper.staticScaleGuard" (dict "current" .Values.current "wanted" .Values.wanted "name" "zk")',
        {"current": current, "wanted": wanted})
    if refused:
        assert result is None
        assert (f"replicaCount={wanted} with ZOO_MEMBERSHIP=static would turn the installed {current}-server ensemble zk "
                f"into {wanted} servers by a rolling restart into a new static server list, which can elect two "
                f"leaders and lose acknowledged writes. Fix: keep replicaCount={current}, or drop ZOO_MEMBERSHIP=static "
                "from extraEnvVars") in err, err
    else:
        assert result == "", err


def test_static_membership_renders_servers_from_replica_count():
    sets = ["extraEnvVars[0].name=ZOO_MEMBERSHIP", "extraEnvVars[0].value=static", "replicaCount=5"]
    assert flag_value(server_container(render(sets=sets))["args"], "--servers") == "5"
    assert "not with ZOO_MEMBERSHIP=static" in notes(sets=sets)


# --- NOTES.txt ---------------------------------------------------------------

def test_default_notes_have_no_warnings():
    text = notes()
    assert "WARNINGS" not in text, text
    assert "helm test zookeeper -n default" in text
    assert "zookeeper-cs.default.svc.cluster.local:2181" in text
    assert "kubectl -n default exec zookeeper-0 -- zkpod status" in text
    # How to scale, and how to read the generated password.
    assert "helm upgrade zookeeper <chart> -n default --reuse-values --set replicaCount=N" in text
    assert "(--servers=3 is only the initial size and stays as it is." in text
    assert "kubectl -n default get secret zookeeper-auth -o jsonpath='{.data.password}' | base64 -d" in text


@pytest.mark.parametrize("sets,warning", [
    (["replicaCount=4"], "replicaCount=4 is even: a quorum needs 3 of 4 servers, so it survives 1 failure(s), "
                         "no more than 3 servers would. Prefer an odd number (3 or 5)."),
    (["replicaCount=1"], "replicaCount=1 runs a single voter: no fault tolerance. Use 3 or 5 in production; "
                         "`helm upgrade --reuse-values --set replicaCount=3` grows it while it serves."),
    (["terminationGracePeriodSeconds=30"], "terminationGracePeriodSeconds=30 may cut short zkpod leave (the preStop "
                                           "hook, which takes up to 60 s) on a scale-down"),
    (["initialServers=5"], "initialServers=5 is above replicaCount=3: harmless for a running ensemble, but a first "
                           "install would bootstrap 5 voters of which only 3 exist."),
    (["initialServers=7"], "a first install would bootstrap 7 voters of which only 3 exist, too few for a quorum."),
    (["podAntiAffinityPreset=hard", "replicaCount=5"],
     "podAntiAffinityPreset=hard places at most one server per node: the cluster needs at least 5 schedulable "
     "nodes, or the pods beyond the node count stay Pending"),
    (["persistence.enabled=false"], "persistence.enabled=false: the data lives in an emptyDir"),
    (["pdb.maxUnavailable=2"], "pdb.maxUnavailable=2 lets voluntary disruptions (drains) take more servers than "
                               "the quorum tolerates (1 of 3)"),
    (["pdb.minAvailable=1"], "pdb.minAvailable=1 is below the quorum of 2"),
    (["pdb.create=false"], "pdb.create=false: node drains may evict several servers at once"),
    (["heapSize=950M"], "heapSize=950M leaves less than 10% of resources.limits.memory=1Gi"),
    (["Replicas=5", "Storage=2Gi"], "legacy parameters of the incubator chart were applied: Replicas (now "
                                    "replicaCount), Storage (now persistence.size)."),
])
def test_notes_warn(sets, warning):
    text = notes(sets=sets)
    assert "WARNINGS:" in text and warning in text, text


def test_prod_values_note_the_node_count():
    assert "the cluster needs at least 3 schedulable nodes" in notes(files=SCENARIOS["prod"])


# --- values ------------------------------------------------------------------

def psc_ids(docs):
    out = []
    for _, spec, _ in pods_of(docs):
        out.append({k: v for k, v in spec["securityContext"].items() if k in ("runAsUser", "runAsGroup", "fsGroup")})
        for c in spec["containers"]:
            out.append({k: v for k, v in c["securityContext"].items() if k in ("runAsUser", "runAsGroup")})
    return out


def test_openshift_drops_the_fixed_ids_everywhere():
    assert {"runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000} in psc_ids(render())
    assert all(ids == {} for ids in psc_ids(render(sets=["openshift=true"])))
    # auto: only where the cluster serves OpenShift's security API.
    assert all(ids == {} for ids in psc_ids(render(sets=["openshift=auto"], extra=["--api-versions", "security.openshift.io/v1"])))
    assert {"runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000} in psc_ids(render(sets=["openshift=auto"]))
    # Container-level fixed ids go too.
    docs = render(sets=["openshift=true", "containerSecurityContext.runAsUser=1000"])
    assert all(ids == {} for ids in psc_ids(docs))


def test_separate_transaction_log_volume():
    docs = render(sets=["persistence.dataLogDir.enabled=true", "persistence.dataLogDir.size=4Gi",
                        "persistence.dataLogDir.storageClass=fast"])
    sts = servers(docs)
    claims = {t["metadata"]["name"]: t["spec"] for t in sts["spec"]["volumeClaimTemplates"]}
    assert set(claims) == {"data", "datalog"}
    assert claims["datalog"]["resources"]["requests"]["storage"] == "4Gi"
    assert claims["datalog"]["storageClassName"] == "fast"
    assert "storageClassName" not in claims["data"]
    c = server_container(docs)
    assert covering_mount(c["volumeMounts"], flag_value(c["args"], "--data_log_dir"))["name"] == "datalog"
    assert covering_mount(c["volumeMounts"], flag_value(c["args"], "--data_dir"))["name"] == "data"


def test_persistence_disabled_uses_an_emptydir():
    docs = render(sets=["persistence.enabled=false"])
    sts = servers(docs)
    assert "volumeClaimTemplates" not in sts["spec"]
    vols = {v["name"]: v for v in sts["spec"]["template"]["spec"]["volumes"]}
    assert vols["data"] == {"name": "data", "emptyDir": {"sizeLimit": "10Gi"}}


def test_storage_class_dash_means_the_empty_class():
    docs = render(sets=["persistence.storageClass=-"])
    assert servers(docs)["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] == ""


@pytest.mark.parametrize("heap,flag", [("auto", "auto"), ("auto:60%", "auto:60%"), ("512M", "512M"), ("256", "256M")])
def test_heap_size(heap, flag):
    assert flag_value(server_container(render(sets=[f"heapSize={heap}"]))["args"], "--heap") == flag


def test_anti_affinity_presets_and_override():
    def kinds(docs):
        return [k for k, _ in anti_affinity_terms(servers(docs)["spec"]["template"]["spec"])]
    assert kinds(render()) == ["preferred"]
    assert kinds(render(sets=["podAntiAffinityPreset=hard"])) == ["required"]
    assert "affinity" not in servers(render(sets=["podAntiAffinityPreset="]))["spec"]["template"]["spec"]
    own = render(sets=["affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey=topology.kubernetes.io/zone",
                       "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels.app\\.kubernetes\\.io/instance=zookeeper"])
    terms = anti_affinity_terms(servers(own)["spec"]["template"]["spec"])
    assert [(k, t["topologyKey"]) for k, t in terms] == [("required", "topology.kubernetes.io/zone")]


def test_node_affinity_preset():
    docs = render(sets=["nodeAffinityPreset.type=hard", "nodeAffinityPreset.key=node.example/zk",
                        "nodeAffinityPreset.values={a,b}"])
    na = servers(docs)["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]
    assert na == {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "node.example/zk", "operator": "In", "values": ["a", "b"]}]}]}}


def test_topology_spread_constraints_get_the_selector():
    docs = render(sets=["topologySpreadConstraints[0].maxSkew=1",
                        "topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone",
                        "topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway"])
    (c,) = servers(docs)["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert c["labelSelector"] == {"matchLabels": {"app.kubernetes.io/name": "zookeeper",
                                                  "app.kubernetes.io/instance": "zookeeper"}}


def test_pod_level_values():
    docs = render(sets=["podAnnotations.a=b", "nodeSelector.disk=ssd", "priorityClassName=high",
                        "tolerations[0].key=k", "tolerations[0].operator=Exists", "podLabels.x=y",
                        "extraEnvVars[0].name=ZOO_DNS_TTL", "extraEnvVars[0].value=30"])
    tpl = servers(docs)["spec"]["template"]
    spec = tpl["spec"]
    assert tpl["metadata"]["annotations"] == {
        "a": "b",
        # metrics.enabled (the default): the usual scrape annotations.
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "7000",
        "prometheus.io/path": "/metrics",
    } and tpl["metadata"]["labels"]["x"] == "y"
    assert spec["nodeSelector"] == {"disk": "ssd"} and spec["priorityClassName"] == "high"
    assert spec["tolerations"] == [{"key": "k", "operator": "Exists"}]
    assert spec["containers"][0]["env"][-1] == {"name": "ZOO_DNS_TTL", "value": "30"}
    # The selector stays put (podLabels never reach it).
    assert servers(docs)["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "zookeeper",
                                                                "app.kubernetes.io/instance": "zookeeper"}


def test_zookeeper_settings_become_flags():
    args = server_container(render(sets=[
        "tickTime=3000", "initLimit=15", "syncLimit=7", "maxClientCnxns=0", "autopurge.snapRetainCount=4",
        "autopurge.purgeInterval=0", "fourlwCommandsWhitelist=srvr\\, cons", "minServerId=2", "logLevel=DEBUG",
        "extraConfig.snapCount=50000", "listenOnAllIPs=true"]))["args"]
    for a in ("--tick_time=3000", "--init_limit=15", "--sync_limit=7", "--max_client_cnxns=0",
              "--snap_retain_count=4", "--purge_interval=0", "--4lw-whitelist=srvr,cons", "--id-offset=2",
              "--log_level=DEBUG", "--set=snapCount=50000", "--quorum-listen-on-all-ips"):
        assert a in args, (a, args)


def test_cluster_domain_reaches_zkpod_and_the_test_pod():
    docs = render(sets=["clusterDomain=cluster.example"])
    env = {e["name"]: e.get("value") for e in server_container(docs)["env"]}
    assert env["ZOO_CLUSTER_DOMAIN"] == "cluster.example"
    test_env = {e["name"]: e.get("value") for e in one(docs, "Pod")["spec"]["containers"][0]["env"]}
    assert test_env["MEMBERS"].split()[0] == "zookeeper-0.zookeeper-hs.default.svc.cluster.example"
    assert test_env["CLIENT_SERVICE"] == "zookeeper-cs.default.svc.cluster.example:2181"


def test_image_reference():
    assert server_container(render())["image"] == "zkpod:0.1.0"
    assert server_container(render(sets=["image.registry=localhost", "image.tag=x"]))["image"] == "localhost/zkpod:x"
    digest = "sha256:" + "ab" * 32
    assert server_container(render(sets=[f"image.digest={digest}"]))["image"] == f"zkpod@{digest}"


def test_names():
    assert servers(render(release="zookeeper"))["metadata"]["name"] == "zookeeper"
    assert servers(render(release="kafka-zookeeper"))["metadata"]["name"] == "kafka-zookeeper"
    assert servers(render(release="zk"))["metadata"]["name"] == "zk-zookeeper"
    assert servers(render(release="zk", sets=["fullnameOverride=zk"]))["metadata"]["name"] == "zk"
    docs = render(release="zk", sets=["fullnameOverride=zk"])
    assert sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs) == [
        "Pod/zk-test", "PodDisruptionBudget/zk-pdb", "Role/zk-membership", "RoleBinding/zk-membership",
        "Secret/zk-auth", "Service/zk-cs", "Service/zk-hs", "ServiceAccount/zk", "StatefulSet/zk"]


def test_tests_can_be_disabled():
    assert not by_kind(render(sets=["tests.enabled=false"]), "Pod")


def test_template_text_is_stable():
    # Two renders of the same input are byte-identical (no timestamps, no
    # random names), which the golden renders rely on, except for the
    # generated password, which must differ.
    a, b = template_text(), template_text()
    assert a != b
    assert mask_generated_password(a) == mask_generated_password(b)
    assert template_text(sets=["auth.existingSecret=x"]) == template_text(sets=["auth.existingSecret=x"])


def test_umbrella_globals():
    # Bitnami-style globals from a parent chart: used only where the chart's own value is empty.
    docs = render(sets=["global.imageRegistry=localhost", "global.storageClass=gold",
                        "global.imagePullSecrets={shared}", "image.pullSecrets={own}"])
    spec = servers(docs)["spec"]
    assert server_container(docs)["image"] == "localhost/zkpod:0.1.0"
    assert spec["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "gold"
    assert spec["template"]["spec"]["imagePullSecrets"] == [{"name": "own"}, {"name": "shared"}]
    assert one(docs, "Pod")["spec"]["imagePullSecrets"] == [{"name": "own"}, {"name": "shared"}]
    docs = render(sets=["global.imageRegistry=localhost", "image.registry=localhost:5000",
                        "global.storageClass=gold", "persistence.storageClass=silver"])
    assert server_container(docs)["image"] == "localhost:5000/zkpod:0.1.0"
    assert servers(docs)["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "silver"


def test_client_node_port():
    def client_port(docs):
        return next(s for s in by_kind(docs, "Service") if s["metadata"]["name"].endswith("-cs"))["spec"]["ports"][0]
    assert "nodePort" not in client_port(render(sets=["service.nodePorts.client=30181"]))  # ClusterIP
    assert client_port(render(sets=["service.type=NodePort", "service.nodePorts.client=30181"]))["nodePort"] == 30181
    assert "nodePort" not in client_port(render(sets=["service.type=NodePort"]))


def test_tls_values_mount_the_secret_and_offer_only_tls_outside_the_pod():
    """tls.* (issue 13): the Secret at ZOO_TLS_DIR, the TLS port on the
    container and both Services, and (plaintextClient loopback) no 2181."""
    docs = render(sets=["tls.enabled=true", "tls.existingSecret=my-tls", "tests.enabled=false"])
    sts = one(docs, "StatefulSet")
    spec = sts["spec"]["template"]["spec"]
    (c,) = spec["containers"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["ZOO_TLS_DIR"] == "/etc/zookeeper/tls"
    assert env["ZOO_SECURE_CLIENT_PORT"] == "2281" and env["ZOO_PLAINTEXT_CLIENT"] == "loopback"
    vol = next(v for v in spec["volumes"] if v["name"] == "tls")
    assert vol["secret"] == {"secretName": "my-tls", "defaultMode": 0o440}
    assert {"name": "tls", "mountPath": "/etc/zookeeper/tls", "readOnly": True} in c["volumeMounts"]
    assert [p["containerPort"] for p in c["ports"] if "client" in p["name"]] == [2281]
    for svc in by_kind(docs, "Service"):
        ports = [p["port"] for p in svc["spec"]["ports"]]
        assert 2281 in ports and 2181 not in ports, svc["metadata"]["name"]
    assert not by_kind(docs, "Certificate")
    # plaintextClient=all keeps 2181 next to 2281.
    docs = render(sets=["tls.enabled=true", "tls.existingSecret=my-tls", "tls.plaintextClient=all",
                        "tests.enabled=false"])
    for svc in by_kind(docs, "Service"):
        ports = [p["port"] for p in svc["spec"]["ports"]]
        assert 2281 in ports and 2181 in ports
    # certManager.create: a Certificate for every pod's FQDN, in the Secret mounted.
    docs = render(sets=["tls.enabled=true", "tls.certManager.create=true", "tls.certManager.issuerRef.name=ca",
                        "replicaCount=5", "tests.enabled=false"], namespace="kafka")
    (cert,) = by_kind(docs, "Certificate")
    names = cert["spec"]["dnsNames"]
    for i in range(5):
        assert f"zookeeper-{i}.zookeeper-hs.kafka.svc.cluster.local" in names
    assert "*.zookeeper-hs.kafka.svc.cluster.local" in names
    assert {"server auth", "client auth"} <= set(cert["spec"]["usages"])
    spec = one(docs, "StatefulSet")["spec"]["template"]["spec"]
    vol = next(v for v in spec["volumes"] if v["name"] == "tls")
    assert vol["secret"]["secretName"] == cert["spec"]["secretName"]

