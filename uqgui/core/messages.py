"""Commit message edits: sign-off and provenance lines added the way git adds them."""

from __future__ import annotations

import re

_TRAILER_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*:\s|\(cherry picked from commit [0-9a-f]+\)$|\[.*\]$)")


def ends_with_trailer_block(message: str) -> bool:
    """True when the last paragraph of MESSAGE is made of trailer lines (and is not the subject)."""
    paragraphs = [p for p in message.strip("\n").split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return False
    lines = [line for line in paragraphs[-1].splitlines() if line.strip()]
    return bool(lines) and all(_TRAILER_LINE.match(line) for line in lines)


def add_trailer_lines(message: str, lines: list[str]) -> str:
    """Append LINES to the trailer block of MESSAGE (starting one), skipping a duplicate last line."""
    text = message.rstrip("\n")
    existing = text.splitlines()
    to_add = [line for line in lines if not (existing and existing[-1].strip() == line)]
    if not to_add:
        return text + "\n"
    separator = "\n" if ends_with_trailer_block(text) else "\n\n"
    if not text.strip():
        separator = ""
    return text + separator + "\n".join(to_add) + "\n"


def pick_trailers(commit_id: str, signoff: str | None, provenance: str) -> list[str]:
    """The lines a pick adds: provenance (git's `-x` line or an Upstream-commit trailer) then sign-off."""
    lines: list[str] = []
    if provenance == "cherry-pick":
        lines.append(f"(cherry picked from commit {commit_id})")
    elif provenance == "trailer":
        lines.append(f"Downstream-commit: {commit_id}")
    if signoff:
        lines.append(f"Signed-off-by: {signoff}")
    return lines
