"""Real ZooKeeper (Debian's package) started through `zkpod start`, each server
a "pod" in its own UTS+mount namespace with a kubelet-style /etc/hosts and its
own loopback address (tests/lib/harness.py). test_ensemble.py: a 3-server
ensemble, restarts, swapped data dirs, an arbitrary uid; test_probe_real.py:
the probes and diagnostics against real servers.

Needs root (unshare, bind mounts, chown), zookeeper, a JRE, util-linux, kazoo
and a built zkpod (cargo build). Without root every test is skipped, saying so.
Run alone: sudo scripts/test-namespaces.sh (or sudo python3 -m pytest -q tests/namespaces).
"""
