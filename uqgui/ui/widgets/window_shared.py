"""What the main window's parts share: job keys, how long a status message stays, ref names as people say them."""

from __future__ import annotations

# Job keys: a newer job with the same key supersedes the older one.
JOB_OPEN, JOB_QUEUE, JOB_DIVERGENCE, JOB_DETAILS, JOB_COMMAND, JOB_FINGERPRINT, JOB_REFS, JOB_DEMO = (
    "open", "queue", "divergence", "details", "command", "fingerprint", "refs", "demo")
JOB_LISTING, JOB_FETCH = "listing", "fetch"
STATUS_MESSAGE_MS = 10_000


def short_ref(name: str) -> str:
    """A ref as people say it: qemu/master, not refs/remotes/qemu/master."""
    for prefix in ("refs/heads/", "refs/remotes/", "refs/tags/"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name

