"""Where the details pane's commit was chosen, and what the pane says before one is."""

from __future__ import annotations

# Apart from the pane itself: the window names these before it builds the pane (after its first paint).
# Where the shown commit was chosen: the downstream list, a queue commit, or the queue's base row.
ORIGIN_DOWNSTREAM, ORIGIN_QUEUE, ORIGIN_BASE = "downstream", "queue", "base"

PROMPT = "Select a commit to see its message, diff, files and match."
