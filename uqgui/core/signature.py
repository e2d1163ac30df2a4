"""The maintainer's identity for new commits, as git would take it (config, then environment)."""

from __future__ import annotations

import os
import re
import time
from datetime import datetime

import pygit2

from .errors import UqError
from .repo import Repo

_RAW_DATE = re.compile(r"^@?(\d+)(?:\s+([+-])(\d\d):?(\d\d))?$")


def parse_git_date(text: str) -> tuple[int, int] | None:
    """Parse a GIT_COMMITTER_DATE-style value to (seconds, offset minutes), or None."""
    text = text.strip()
    m = _RAW_DATE.match(text)
    if m:
        offset = 0
        if m.group(2):
            offset = int(m.group(3)) * 60 + int(m.group(4))
            offset = -offset if m.group(2) == "-" else offset
        return int(m.group(1)), offset
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    delta = parsed.utcoffset()
    return int(parsed.timestamp()), int(delta.total_seconds() // 60) if delta else 0


def maintainer_signature(repo: Repo) -> pygit2.Signature:
    """The committer signature: user.name / user.email (or GIT_COMMITTER_*), at now or GIT_COMMITTER_DATE."""
    name = os.environ.get("GIT_COMMITTER_NAME") or repo.config_value("user.name")
    email = os.environ.get("GIT_COMMITTER_EMAIL") or repo.config_value("user.email") or os.environ.get("EMAIL")
    if not name or not email:
        raise UqError(
            "Your git identity is not set, so new commits cannot be signed off. Run "
            "`git config --global user.name \"Your Name\"` and `git config --global user.email you@example.org`.",
            title="Git identity missing",
        )
    when = parse_git_date(os.environ.get("GIT_COMMITTER_DATE", ""))
    if when is None:
        now = time.time()
        delta = datetime.fromtimestamp(now).astimezone().utcoffset()
        when = (int(now), int(delta.total_seconds() // 60) if delta else 0)
    return pygit2.Signature(name, email, when[0], when[1])
