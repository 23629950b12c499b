"""A byte-for-byte fingerprint of a directory tree, to prove that a refused
start left a data volume untouched: every entry's type, mode, owner, size,
mtime, and content (files) or target (symlinks). Both pod suites use it.
Tested in test_helpers.py.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


def tree_digest(root) -> dict[str, str]:
    """{relative path ("." for the root): "mode uid:gid size mtime_ns" plus
    " sha256" (files) or " -> target" (symlinks)}. Equal digests mean the
    same tree, metadata included; compare two with `changes`."""
    root = Path(root)
    out = {".": _entry(root)}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for n in sorted(dirnames + filenames):
            p = Path(dirpath, n)
            out[str(p.relative_to(root))] = _entry(p)
    return out


def _entry(p: Path) -> str:
    st = p.lstat()
    meta = f"{stat.filemode(st.st_mode)} {st.st_uid}:{st.st_gid} {st.st_size} {st.st_mtime_ns}"
    if stat.S_ISREG(st.st_mode):
        meta += " " + hashlib.sha256(p.read_bytes()).hexdigest()
    elif stat.S_ISLNK(st.st_mode):
        meta += " -> " + os.readlink(p)
    return meta


def changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """What differs between two tree_digest results, one line per entry, for
    an assertion message; empty when they are equal."""
    out = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path), after.get(path)
        if a != b:
            out.append(f"{path}: {a or '(absent)'} -> {b or '(absent)'}")
    return out
