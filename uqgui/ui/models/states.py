"""One glyph and one colour per commit state, the same in every view (UI.md "States, at a glance")."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette

from ...core.divergence import HOW_PATCH_ID, LANDED, QUEUED, Entry

# Display states: the core's three states, landed split by evidence, and commits with no diff.
S_REMAINING = "remaining"
S_QUEUED = "queued"
S_LANDED_EXACT = "landed-exact"
S_LANDED_MORPHED = "landed-morphed"
S_NO_DIFF = "no-diff"
DISPLAY_STATES = (S_REMAINING, S_QUEUED, S_LANDED_EXACT, S_LANDED_MORPHED, S_NO_DIFF)


@dataclass(frozen=True)
class Badge:
    """How a state looks: a glyph that carries it without colour, a colour, and words."""

    glyph: str
    light: str  # colour on a light background
    dark: str  # colour on a dark background
    label: str
    rank: int  # default order: the work still to do first

    def color(self, palette: QPalette) -> QColor:
        """The badge colour that reads well on PALETTE's base colour."""
        dark_base = palette.color(QPalette.ColorRole.Base).lightness() < 128
        return QColor(self.dark if dark_base else self.light)


BADGES: dict[str, Badge] = {
    S_REMAINING: Badge("●", "#c0620a", "#f0a050", "remaining", 0),
    S_QUEUED: Badge("◐", "#2f64c0", "#7fa8f0", "queued", 1),
    S_LANDED_EXACT: Badge("✓", "#21803a", "#6cd38a", "landed (exact)", 2),
    S_LANDED_MORPHED: Badge("✓~", "#16806f", "#5fd0bd", "landed (morphed)", 3),
    S_NO_DIFF: Badge("○", "#7a7a7a", "#a0a0a0", "no diff", 4),
}

# Test badges for queue commits (filled in by the background-tests issue).
T_NOT_RUN, T_RUNNING, T_PASSED, T_FAILED, T_CACHED, T_STALE = (
    "not-run", "running", "passed", "failed", "cached", "stale")
TEST_BADGES: dict[str, Badge] = {
    T_NOT_RUN: Badge("·", "#7a7a7a", "#a0a0a0", "tests not run", 0),
    T_RUNNING: Badge("◌", "#2f64c0", "#7fa8f0", "tests running", 1),
    T_PASSED: Badge("✓", "#21803a", "#6cd38a", "tests passed", 2),
    T_FAILED: Badge("✗", "#c0201a", "#f07070", "tests failed", 3),
    T_CACHED: Badge("✓", "#16806f", "#5fd0bd", "tests passed (cached result)", 4),
    T_STALE: Badge("?", "#8a6d00", "#d8c060", "tests stale", 5),
}


def display_state(entry: Entry) -> str:
    """The display state of a divergence entry."""
    if entry.state == LANDED:
        exact = entry.match is not None and entry.match.how == HOW_PATCH_ID
        return S_LANDED_EXACT if exact else S_LANDED_MORPHED
    if entry.state == QUEUED:
        return S_QUEUED
    if entry.no_diff:
        return S_NO_DIFF
    return S_REMAINING
