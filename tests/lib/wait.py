"""wait_until: poll a condition until it holds, or fail naming what was
awaited, how long, and the last thing seen. Used by every suite that waits for
a server, a pod or a probe. Pure Python; tested in test_helpers.py.
"""

from __future__ import annotations

import time
from typing import Callable, Optional


class WaitTimeout(AssertionError):
    """The condition did not hold in time (an AssertionError, so pytest
    reports it as a failed check)."""


def wait_until(
    what: str,
    pred: Callable[[], object],
    timeout: float,
    interval: float = 0.25,
    on_fail: Optional[Callable[[], str]] = None,
    ignore: tuple[type[BaseException], ...] = (),
):
    """Calls `pred` every `interval` seconds until it returns a truthy value,
    and returns that value. After `timeout` seconds raises WaitTimeout naming
    `what`, the last value (or exception) seen, and `on_fail()`'s text (e.g.
    server logs). Exceptions of the types in `ignore` count as "not yet" (a
    poll may fail while a server starts); any other exception propagates at
    once (e.g. "the server exited")."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            last = pred()
            if last:
                return last
        except ignore as e:
            last = e
        if time.monotonic() > deadline:
            extra = on_fail() if on_fail else ""
            raise WaitTimeout(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})\n{extra}")
        time.sleep(interval)
