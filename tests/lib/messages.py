"""zkpod's messages that more than one suite asserts, phrase by phrase, so the
suites agree on what zkpod must say (the Rust tests assert the same text).
Pure.
"""

from __future__ import annotations


def stale_myid(myid_path: str, found: int, own: int, pod: str) -> list[str]:
    """The phrases of zkpod's refusal (exit 5) to start on a volume whose myid
    names another server: what is wrong, that nothing changed, both fixes."""
    return [
        f"{myid_path} says this volume belongs to server {found}, but this pod ({pod}) is server {own}",
        "nothing was changed",
        f"attach server {found}'s own volume to this pod",
        f"if this volume really should become server {own}'s, "
        "restart once with --accept-new-id (ZOO_ACCEPT_NEW_ID=true)",
    ]


def refused(endpoint: str) -> str:
    """The probe's line when nothing listens on `endpoint` (host:port)."""
    return f"{endpoint} refused the connection: no ZooKeeper is listening there"


def not_serving_without_quorum(endpoint: str) -> list[str]:
    """The phrases of the readiness probe's verdict on a server that runs but
    has no quorum."""
    return [f"{endpoint} is not serving requests", "has not joined a quorum yet"]


def assert_says(text: str, phrases: list[str], who: str = "") -> None:
    """Every phrase is in `text`; the failure names the first one missing."""
    for p in phrases:
        assert p in text, f"{who + ': ' if who else ''}expected {p!r} in: {text}"
