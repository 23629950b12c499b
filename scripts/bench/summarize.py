#!/usr/bin/env python3
"""Turns hyperfine JSON exports into the Markdown summary of scripts/bench.sh.

    summarize.py table TITLE JSON REF_NAME [TARGET_NOTE]
        one table: each command's median, mean +- sd, min, and its ratio to
        the command named REF_NAME (and to the others, in words).
    summarize.py stats FILE
        median and max of whitespace-separated numbers (peak RSS in KiB).
"""

import json
import statistics
import sys


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def table(title: str, path: str, ref: str, note: str = "") -> str:
    results = json.load(open(path))["results"]
    by_name = {r["command"]: r for r in results}
    if ref not in by_name:
        raise SystemExit(f"summarize: no command named {ref!r} in {path}: {list(by_name)}")
    base = by_name[ref]["median"]
    out = [f"### {title}", ""]
    out.append("| command | median ms | mean ± sd ms | min ms | runs | median / " + ref + " |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for r in results:
        out.append(
            f"| {r['command']} | {ms(r['median'])} | {ms(r['mean'])} ± {ms(r['stddev'] or 0)} | "
            f"{ms(r['min'])} | {len(r['times'])} | {r['median'] / base:.2f}x |"
        )
    names = [r["command"] for r in results]
    out.append("")
    for a in names:
        for b in names:
            if a < b:
                ra, rb = by_name[a]["median"], by_name[b]["median"]
                out.append(f"- median {a} / {b} = {ra / rb:.2f} ({b} / {a} = {rb / ra:.2f})")
    if note:
        out += ["", note]
    return "\n".join(out) + "\n"


def stats(path: str) -> str:
    # GNU time adds a "Command exited with non-zero status N" line before the
    # figure when the command fails: keep only the lines that are a number.
    vals = [float(ln) for ln in open(path).read().splitlines() if ln.strip().isdigit()]
    return f"median {statistics.median(vals):.0f} KiB, max {max(vals):.0f} KiB over {len(vals)} runs"


if __name__ == "__main__":
    if sys.argv[1] == "table":
        print(table(*sys.argv[2:]), end="")
    elif sys.argv[1] == "stats":
        print(stats(sys.argv[2]))
    else:
        raise SystemExit(__doc__)
