"""The users' manifests of tests/cluster/seeds/, adapted only where a
current single-node cluster without a registry forces it. Pure functions;
`adapt` returns the documents and the list of every change it made."""

import copy

HOSTNAME = "kubernetes.io/hostname"


def selects(selector, labels):
    """Whether a label selector (matchLabels/matchExpressions) selects labels."""
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def adapt(docs, image):
    """(documents, changes): the manifest with the image replaced, pulls that
    need a registry made local, policy/v1beta1 PDBs as policy/v1, and a
    required anti-affinity that would keep a single node to one pod removed."""
    docs = copy.deepcopy(docs)
    changes = []
    for d in docs:
        kind, name = d["kind"], d["metadata"]["name"]
        if kind == "PodDisruptionBudget" and d["apiVersion"] == "policy/v1beta1":
            d["apiVersion"] = "policy/v1"
            changes.append(f"{kind}/{name}: apiVersion policy/v1beta1 -> policy/v1 (v1beta1 was removed in 1.25)")
        if kind != "StatefulSet":
            continue
        tmpl = d["spec"]["template"]
        spec, labels = tmpl["spec"], tmpl["metadata"].get("labels") or {}
        anti = (spec.get("affinity") or {}).get("podAntiAffinity") or {}
        req = anti.get("requiredDuringSchedulingIgnoredDuringExecution")
        if req:
            keep = [t for t in req if not (t.get("topologyKey") == HOSTNAME and selects(t.get("labelSelector") or {}, labels))]
            if len(keep) != len(req):
                changes.append(f"{kind}/{name}: required pod anti-affinity on {HOSTNAME} removed (one node)")
                if keep:
                    anti["requiredDuringSchedulingIgnoredDuringExecution"] = keep
                else:
                    del anti["requiredDuringSchedulingIgnoredDuringExecution"]
        for c in spec["containers"]:
            if c.get("image") != image:
                changes.append(f"{kind}/{name}: container {c['name']}: image {c.get('image')} -> {image}")
                c["image"] = image
            if c.get("imagePullPolicy") == "Always":
                c["imagePullPolicy"] = "IfNotPresent"
                changes.append(f"{kind}/{name}: container {c['name']}: imagePullPolicy Always -> IfNotPresent (no registry)")
    return docs, changes
