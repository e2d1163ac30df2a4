"""One glyph and one colour per commit state, the same in every view (UI.md "States, at a glance")."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette

# The states themselves live in the Qt-free listing module (the worker computes them there).
from ...core.listing import (DISPLAY_STATES, S_LANDED_EXACT, S_LANDED_MORPHED, S_NO_DIFF, S_PENDING, S_QUEUED,
                             S_REMAINING, display_state)

__all__ = ["BADGES", "Badge", "DISPLAY_STATES", "S_LANDED_EXACT", "S_LANDED_MORPHED", "S_NO_DIFF", "S_PENDING",
           "S_QUEUED", "S_REMAINING", "TEST_BADGES", "counted", "display_state"]


@dataclass(frozen=True)
class Badge:
    """How a state looks: a glyph that carries it without colour, a colour, and words.

    Each colour reads as text (4.5:1 or more) on its palette's base and alternate base: a test checks.
    """

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
    S_REMAINING: Badge("●", "#a35200", "#f0a050", "remaining", 0),
    S_QUEUED: Badge("◐", "#2f64c0", "#7fa8f0", "queued", 1),
    S_LANDED_EXACT: Badge("✓", "#1d7434", "#6cd38a", "landed (exact)", 2),
    S_LANDED_MORPHED: Badge("✓~", "#12705f", "#5fd0bd", "landed (morphed)", 3),
    S_NO_DIFF: Badge("○", "#666666", "#a0a0a0", "no diff", 4),
    # Listed before the divergence arrived (a cold cache): the state is being computed.
    S_PENDING: Badge("…", "#666666", "#a0a0a0", "state being computed", 0),
}

def counted(state: str, count: int) -> str:
    """COUNT commits in STATE as the counts line says it: "1,204 remaining", "state being computed for 1 commit"."""
    if state == S_PENDING:
        # Its label is no adjective to put after a number ("4,000 state being computed").
        return f"{BADGES[state].label} for {count:,} commit{'' if count == 1 else 's'}"
    return f"{count:,} {BADGES[state].label}"


# Test badges for queue commits (filled in by the background-tests issue).
T_NOT_RUN, T_RUNNING, T_PASSED, T_FAILED, T_CACHED, T_STALE = (
    "not-run", "running", "passed", "failed", "cached", "stale")
TEST_BADGES: dict[str, Badge] = {
    T_NOT_RUN: Badge("·", "#666666", "#a0a0a0", "tests not run", 0),
    T_RUNNING: Badge("◌", "#2f64c0", "#7fa8f0", "tests running", 1),
    T_PASSED: Badge("✓", "#1d7434", "#6cd38a", "tests passed", 2),
    T_FAILED: Badge("✗", "#c0201a", "#f07070", "tests failed", 3),
    T_CACHED: Badge("✓", "#12705f", "#5fd0bd", "tests passed (cached result)", 4),
    T_STALE: Badge("?", "#735c00", "#d8c060", "tests stale", 5),
}
