"""The maintainer's identity for new commits, as git would take it (environment, then config)."""

from __future__ import annotations

import email.utils
import os
import re
import time
from datetime import datetime, timezone

import pygit2

from .errors import UqError
from .repo import Repo

_RAW_DATE = re.compile(r"^@?(\d+)(?:\s+([+-])(\d\d):?(\d\d))?$")
# git's own "iso" format puts a space before the zone ("2005-04-07 22:13:13 +0200"); ISO 8601 does not.
_SPACE_BEFORE_ZONE = re.compile(r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)\s+([+-]\d\d:?\d\d|Z)$")
DATE_FORMATS_HELP = ("'1112911993 +0200', 'Thu, 07 Apr 2005 22:13:13 +0200' (RFC 2822) or "
                     "'2005-04-07T22:13:13+02:00' (ISO 8601)")


def _raw_date(text: str) -> tuple[int, int] | None:
    """git's internal format: seconds since the epoch and an optional +hhmm zone."""
    m = _RAW_DATE.match(text)
    if not m:
        return None
    offset = 0
    if m.group(2):
        offset = int(m.group(3)) * 60 + int(m.group(4))
        offset = -offset if m.group(2) == "-" else offset
    return int(m.group(1)), offset


def _rfc2822_date(text: str) -> datetime | None:
    """An e-mail style date; '-0000' (zone unknown) counts as UTC, as git reads it."""
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _iso_date(text: str) -> datetime | None:
    """An ISO 8601 date; without a zone it is local time, as git reads it."""
    try:
        parsed = datetime.fromisoformat(_SPACE_BEFORE_ZONE.sub(r"\1\2", text))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.astimezone()


def parse_git_date(text: str) -> tuple[int, int] | None:
    """Parse a GIT_COMMITTER_DATE-style value to (seconds, offset minutes), or None."""
    text = text.strip()
    raw = _raw_date(text)
    if raw is not None:
        return raw
    parsed = _rfc2822_date(text) or _iso_date(text)
    if parsed is None:
        return None
    delta = parsed.utcoffset()
    return int(parsed.timestamp()), int(delta.total_seconds() // 60) if delta else 0


def _committer_date() -> tuple[int, int]:
    """GIT_COMMITTER_DATE when set (an error when unreadable, as with git), else now in local time."""
    text = os.environ.get("GIT_COMMITTER_DATE", "")
    if text.strip():
        when = parse_git_date(text)
        if when is None:
            # Falling back to "now" would give commits a date the user did not ask for.
            raise UqError(
                f"GIT_COMMITTER_DATE is set to '{text}', which is not a date uq can read. "
                f"Use a form such as {DATE_FORMATS_HELP}, or unset it.",
                title="Bad committer date",
            )
        return when
    now = time.time()
    delta = datetime.fromtimestamp(now).astimezone().utcoffset()
    return int(now), int(delta.total_seconds() // 60) if delta else 0


def committer_identity(repo: Repo) -> tuple[str | None, str | None]:
    """(name, email) in git's order: GIT_COMMITTER_*, committer.*, user.*, then EMAIL for the address."""
    name = (os.environ.get("GIT_COMMITTER_NAME") or repo.config_value("committer.name")
            or repo.config_value("user.name"))
    email_address = (os.environ.get("GIT_COMMITTER_EMAIL") or repo.config_value("committer.email")
                     or repo.config_value("user.email") or os.environ.get("EMAIL"))
    return name, email_address


def maintainer_signature(repo: Repo, signoff: bool = False) -> pygit2.Signature:
    """The committer signature as git takes it (see committer_identity), at now or GIT_COMMITTER_DATE.

    SIGNOFF: the new commits are to be signed off too, which an error then says (the same identity signs).
    """
    name, email_address = committer_identity(repo)
    if not name or not email_address:
        # Every new commit needs a committer, signed off or not (a replay only rewrites its committer).
        signed = ", and cannot be signed off without it" if signoff else ""
        raise UqError(
            f"Your git identity is not set: new commits need a committer identity{signed}. Run "
            "`git config --global user.name \"Your Name\"` and `git config --global user.email you@example.org`.",
            title="Git identity missing",
        )
    when = _committer_date()
    return pygit2.Signature(name, email_address, when[0], when[1])
