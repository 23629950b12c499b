"""zkpod's Python test suites (the Rust tests are tests/*.rs).

- tests/lib/         shared helpers of every suite (see its __init__.py)
- tests/namespaces/  real ZooKeeper started through `zkpod start`, each server a
                     "pod" in its own UTS+mount namespace (needs root)
- tests/containers/  the shipped image run as the StatefulSet's pods with podman
                     (needs root and podman)
- tests/manifests/   the Kubernetes manifests checked without a cluster (needs kubectl)

Each suite is a package: import the helpers as `from tests.lib import hosts`.
scripts/test.sh runs them all; each suite's docstring says how to run it alone.
"""
