"""Reading /proc and stopping process groups: which program a PID runs, as
whom, and what else is in its group. Linux only; reading another user's
process needs root.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def proc_status(pid: int) -> dict[str, str]:
    """/proc/PID/status as a dict; {} when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {k: v.strip() for k, v in (ln.split(":", 1) for ln in text.splitlines() if ":" in ln)}


def proc_exe(pid: int) -> str:
    """The executable PID runs, or "" when it is gone."""
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def proc_cmdline(pid: int) -> list[str]:
    """PID's argv, or [] when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def proc_ids(pid: int) -> tuple[list[int], list[int], list[int]]:
    """(real/effective/saved/fs uids, the same gids, supplementary groups)."""
    st = proc_status(pid)
    return (
        [int(x) for x in st["Uid"].split()],
        [int(x) for x in st["Gid"].split()],
        [int(x) for x in st.get("Groups", "").split()],
    )


def group_members(pgid: int) -> list[int]:
    """PIDs (thread-group leaders) whose process group is `pgid`."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields: state ppid pgrp ...
        if int(fields[2]) == pgid:
            pids.append(int(d))
    return sorted(pids)


def kill_group(pgid: int, term_wait: float = 15.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + term_wait
    while time.monotonic() < deadline:
        if not [p for p in group_members(pgid) if proc_status(p).get("State", "Z")[:1] != "Z"]:
            return
        time.sleep(0.1)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
