"""A test oracle: does a text name uq's command line (an option or a uq command) outside git commands?

The core puts such advice in an error's hint, never in its message: the window shows the message
alone, and has menus where uq has options.
"""

from __future__ import annotations

import re

_UQ_COMMANDS = "add|cache|credential|demo|fetch|list|oplog|pick|profile|redo|remove|reorder|show|status|undo"
# Not uq's command line even when it looks like it: a git command, in backticks or bare (to the end of
# its clause), and a quoted subject or name ("kvm: add --foo", 'uq: fix').
_NOT_OURS = re.compile(r"`git\b[^`]*`|\bgit[ \t]+[a-z][\w-]*(?:[ \t]+[^\s,;()`]+)*|\"[^\"\n]*\""
                       r"|(?<!\w)'[^'\n]*'(?!\w)")
# An option (after a space: not a path's "/--x" or a date range's "--"), uq's "uq: " prefix, or a uq
# command (not the prose "uq operation" or the branch "uq/master").
_COMMAND_LINE = re.compile(rf"(?<![^\s(`])--[a-zA-Z][\w-]*|`uq\b|\buq:|\buq[ \t]+(?:{_UQ_COMMANDS})\b")


def names_command_line(text: str) -> bool:
    """True when TEXT names uq's command line (an option or a uq command) outside any git command."""
    return _COMMAND_LINE.search(_NOT_OURS.sub(" ", text)) is not None
