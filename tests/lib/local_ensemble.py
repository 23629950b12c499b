#!/usr/bin/env python3
"""The CLI behind scripts/local-ensemble.sh: a ZooKeeper ensemble of
namespace pods (tests/lib/harness.py) on this machine, managed the way the
StatefulSet controller and the kubelet manage the shipped manifest
(tests/lib/statefulset.py), so that scaling works locally exactly as it does
with `kubectl scale`.

    python3 tests/lib/local_ensemble.py up --dir DIR [--zkpod BIN] [--replicas 3]
    python3 tests/lib/local_ensemble.py scale N --dir DIR
    python3 tests/lib/local_ensemble.py status --dir DIR
    python3 tests/lib/local_ensemble.py down --dir DIR

`up` starts every member below the replica count that is not running (the
first `up` makes the ensemble, with --servers = its replicas, and a random
superuser password in DIR/password); `scale N` starts new ordinals with the
same command and environment and stops the ones at or beyond N, highest
first, after their preStop hook. State lives in DIR/ensemble.json.

Needs root (namespaces, bind mounts). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(REPO))

from tests.lib import harness as h  # noqa: E402
from tests.lib.fourlw import CLIENT_PORT, four_letter, parse_srvr_mode, port_open  # noqa: E402
from tests.lib.statefulset import MAX_PODS, StatefulSet  # noqa: E402
from tests.lib.wait import WaitTimeout, wait_until  # noqa: E402


def state_path(base: Path) -> Path:
    return base / "ensemble.json"


def load(base: Path) -> dict | None:
    p = state_path(base)
    return json.loads(p.read_text()) if p.exists() else None


def save(base: Path, sts: StatefulSet) -> None:
    state = {
        "zkpod": str(sts.zkpod),
        "initial": sts.initial,
        "replicas": sts.replicas,
        "heap": sts.heap,
        "pods": {
            str(i): {"name": p.name, "ip": p.ip, "pid": p.proc.pid if p.proc else 0, "conf_dir": str(p.conf_dir)}
            for i, p in sorted(sts.pods.items())
            if p.running()
        },
    }
    state_path(base).write_text(json.dumps(state, indent=2) + "\n")


def restore(base: Path, st: dict) -> StatefulSet:
    """The StatefulSet as `up` left it, with its running pods reattached."""
    sts = StatefulSet(
        base,
        Path(st["zkpod"]),
        initial=st["initial"],
        replicas=st["replicas"],
        password_file=base / "password",
        heap=st["heap"],
    )
    for i, p in st["pods"].items():
        if p["pid"] and h.ours(p["pid"], p["conf_dir"]):
            pod = sts.pod(int(i))
            pod.proc = h.Proc(pod.name, [], pod.log, pid=p["pid"])
    return sts


def members(ip: str) -> str:
    """`version, voters` of a member's committed configuration."""
    try:
        conf = four_letter(ip, CLIENT_PORT, "conf", timeout=2.0)
    except OSError:
        return "-"
    voters = sum(1 for line in conf.splitlines() if line.startswith("server.") and ":observer" not in line)
    version = next((line.split("=", 1)[1] for line in conf.splitlines() if line.startswith("version=")), "?")
    return f"configuration {version}, {voters} voters"


def wait_settled(sts: StatefulSet, n: int, timeout: float) -> None:
    """Waits for every hook, then for pods 0..n-1 to serve."""
    sts.wait_hooks(timeout)

    def serving():
        modes = {}
        for i in range(n):
            try:
                modes[i] = parse_srvr_mode(four_letter(h.ensemble_ip(i), CLIENT_PORT, "srvr", timeout=1.0))
            except OSError:
                modes[i] = None
        return modes if all(m in h.SERVING_MODES for m in modes.values()) else None

    wait_until(f"{n} servers serving", serving, timeout, on_fail=sts.logs)


def print_connect(sts: StatefulSet) -> None:
    conn = ",".join(f"{h.ensemble_ip(i)}:{CLIENT_PORT}" for i in range(sts.replicas))
    print(f"connect string: {conn}")
    print(f"  /usr/share/zookeeper/bin/zkCli.sh -server {conn}")
    print(f"  {sts.zkpod} status --host {h.ensemble_ip(0)} --port {CLIENT_PORT}")


def state_of(args):
    """The ensemble's directory and its saved state (None when it is not up)."""
    base = Path(args.dir).resolve()
    return base, load(base)


def cmd_up(args) -> int:
    base, st = state_of(args)
    # The namespace-pod tests that drive this CLI hold the lock already.
    held = True if os.environ.get("ZKPOD_LOCAL_LOCK_HELD") == "1" else h.lock(block=False)
    if held is None:
        print(
            f"local-ensemble: the namespace-pod tests are running (they hold {h.LOCK_PATH}) and use "
            "these addresses; start the ensemble when they are done",
            file=sys.stderr,
        )
        return 1
    if st is None:
        if args.replicas > MAX_PODS:
            print(f"local-ensemble: at most {MAX_PODS} pods (127.0.0.10-19)", file=sys.stderr)
            return 2
        busy = [h.ensemble_ip(i) for i in range(args.replicas) if port_open(h.ensemble_ip(i), CLIENT_PORT)]
        if busy:
            print(
                f"local-ensemble: client port {CLIENT_PORT} is already taken on {', '.join(busy)} "
                "(another ensemble, or the namespace-pod tests); stop it first",
                file=sys.stderr,
            )
            return 1
        base.mkdir(parents=True, exist_ok=True)
        os.chmod(base, 0o755)
        pw = base / "password"
        pw.write_text(secrets.token_urlsafe(24) + "\n")
        os.chmod(pw, 0o644)  # the pods' uid 1000 reads it, as from a Secret volume
        zk = Path(args.zkpod).resolve() if args.zkpod else h.zkpod_binary("release")
        sts = StatefulSet(base, zk, initial=args.replicas, replicas=args.replicas, password_file=pw, heap=args.heap)
    else:
        sts = restore(base, st)
    missing = [i for i in range(sts.replicas) if not sts.pod(i).running()]
    for i in missing:
        sts.start_pod(i)
    if missing:
        print(f"started {', '.join(f'zk-{i}' for i in missing)} (logs: {base}/zk-N/server.log); waiting ...")
    if not settle(base, sts, sts.replicas, args.timeout):
        return 1
    print(f"up: {sts.replicas} servers ({members(h.ensemble_ip(0))})")
    print_connect(sts)
    return 0


def settle(base: Path, sts: StatefulSet, replicas: int, timeout: float) -> bool:
    """Waits until `replicas` servers serve one config, then records the
    state for the next command; says why on stderr when they do not."""
    try:
        wait_settled(sts, replicas, timeout)
        return True
    except (h.HarnessError, WaitTimeout) as e:
        print(f"local-ensemble: {e}", file=sys.stderr)
        return False
    finally:
        save(base, sts)
        sts.api.close()


def cmd_scale(args) -> int:
    base, st = state_of(args)
    if st is None:
        print(f"local-ensemble: not up (no {state_path(base)}); run up first", file=sys.stderr)
        return 1
    if not 1 <= args.replicas <= MAX_PODS:
        print(f"local-ensemble: replicas must be 1..{MAX_PODS}", file=sys.stderr)
        return 2
    sts = restore(base, st)
    t0 = time.monotonic()
    sts.scale(args.replicas)
    if not settle(base, sts, args.replicas, args.timeout):
        return 1
    print(f"scaled to {args.replicas} in {time.monotonic() - t0:.1f} s ({members(h.ensemble_ip(0))})")
    return 0


def cmd_status(args) -> int:
    base, st = state_of(args)
    if st is None:
        print(f"not up (no {state_path(base)})")
        return 3
    sts = restore(base, st)
    up = 0
    for i in range(max([sts.replicas, *map(int, st["pods"])]) if st["pods"] else sts.replicas):
        pod = sts.pod(i)
        alive = pod.running()
        up += alive and i < sts.replicas
        mode = None
        if alive:
            try:
                mode = parse_srvr_mode(four_letter(pod.ip, CLIENT_PORT, "srvr", timeout=2.0))
            except OSError:
                pass
        pid = pod.proc.pid if alive else "-"
        print(f"{pod.name} {pod.ip}:{CLIENT_PORT} pid={pid} mode={mode or 'not serving'} {members(pod.ip) if alive else ''}".rstrip())
    sts.api.close()
    return 0 if up == sts.replicas else 1


def cmd_down(args) -> int:
    base, st = state_of(args)
    if st is None:
        print(f"not up (no {state_path(base)})")
        return 0
    for p in st["pods"].values():
        if p["pid"] and h.ours(p["pid"], p["conf_dir"]):
            h.kill_group(p["pid"])
            print(f"stopped {p['name']} (pid {p['pid']})")
    state_path(base).unlink()
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start every missing member and wait until they serve")
    up.add_argument("--dir", required=True, help="state and data directory")
    up.add_argument("--zkpod", help="zkpod binary (default: the release build)")
    up.add_argument("--replicas", type=int, default=3, help="the first up's replicas (= --servers)")
    up.add_argument("--heap", default="128M")
    up.add_argument("--timeout", type=float, default=h.QUORUM_TIMEOUT * 2)
    sc = sub.add_parser("scale", help="what kubectl scale statefulset zk --replicas=N does")
    sc.add_argument("replicas", type=int)
    sc.add_argument("--dir", required=True)
    sc.add_argument("--timeout", type=float, default=h.QUORUM_TIMEOUT * 3)
    for name in ("status", "down"):
        p = sub.add_parser(name)
        p.add_argument("--dir", required=True)
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("local-ensemble: needs root (namespaces and bind mounts); run it with sudo", file=sys.stderr)
        return 2
    try:
        return {"up": cmd_up, "scale": cmd_scale, "status": cmd_status, "down": cmd_down}[args.cmd](args)
    except h.HarnessError as e:
        print(f"local-ensemble: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
