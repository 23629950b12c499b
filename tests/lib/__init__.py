"""Helpers shared by every Python test suite (tests/namespaces, tests/containers,
tests/manifests). Importing this package imports nothing else: each module
needs only what it names, so the harness CLI runs without pytest or kazoo.

- hosts     /etc/hosts as the kubelet writes it
- wait      wait_until: poll until true, fail naming what was awaited
- digest    byte-for-byte tree digest (content, mode, owner, size, mtime)
- fourlw    our own four-letter-word client (the oracle, independent of zkpod),
            srvr/mntr parsing
- clients   the real clients: Debian's zkCli.sh, kazoo
- messages  zkpod's message phrases that more than one suite asserts
- procs     /proc readers and process-group kill
- needs     why a test cannot run here (root, tools), for skip reasons
- k8s       render the kustomize overlays, selectors, Pod Security checks
- harness   namespace pods: ZooKeeper through `zkpod start` in UTS+mount
            namespaces; also the CLI behind scripts/local-ensemble.sh

Tests of the helpers themselves: test_helpers.py (no root needed).
"""
