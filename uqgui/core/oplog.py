"""The operation log: every mutation recorded with its refs before and after; undo puts them back.

Each operation is written as `pending` before its refs move and marked `done` after, so a
process killed in between leaves a log that the next start reconciles against the refs: the
operation either happened or it did not, and the log says which. Objects are never deleted.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import NothingToUndoError, RefMovedError
from .names import OPLOG_FILE
from .refs import RefChange, update_refs
from .repo import Repo

PENDING, DONE, UNDONE, ABORTED, DISCARDED = "pending", "done", "undone", "aborted", "discarded"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS operations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    command TEXT NOT NULL,
    description TEXT NOT NULL,
    refs TEXT NOT NULL,
    config TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    operation INTEGER NOT NULL,
    action TEXT NOT NULL
);
"""


@dataclass
class ConfigChange:
    """A git config section's entries before and after (None: the section did not exist)."""

    section: str
    old: list[tuple[str, str]] | None
    new: list[tuple[str, str]] | None

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the log."""
        return {"section": self.section, "old": self.old, "new": self.new}

    @staticmethod
    def from_json(data: dict[str, Any]) -> ConfigChange:
        """Read back what to_json wrote."""
        def pairs(v: Any) -> list[tuple[str, str]] | None:
            return None if v is None else [(str(k), str(x)) for k, x in v]
        return ConfigChange(data["section"], pairs(data["old"]), pairs(data["new"]))


@dataclass
class Operation:
    """One recorded command."""

    id: int
    time: float
    command: str
    description: str
    refs: list[RefChange]
    config: list[ConfigChange] = field(default_factory=list)
    state: str = PENDING

    def to_json(self) -> dict[str, Any]:
        """The JSON form `uq oplog --json` prints."""
        return {
            "id": self.id, "time": self.time, "command": self.command, "description": self.description,
            "state": self.state, "refs": [r.to_json() for r in self.refs], "config": [c.to_json() for c in self.config],
        }


class OperationLog:
    """The persistent log of one repository, under its git dir."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.path = repo.uq_dir() / OPLOG_FILE
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA busy_timeout = 60000")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.executescript(_SCHEMA)
        self.reconcile()

    def close(self) -> None:
        """Close the log."""
        self.db.close()

    # -- reading --------------------------------------------------------------------
    def operations(self) -> list[Operation]:
        """Every operation, oldest first."""
        return [_operation(row) for row in self.db.execute("SELECT * FROM operations ORDER BY id")]

    def events(self) -> list[dict[str, Any]]:
        """Every do/undo/redo event, oldest first, with its operation's description."""
        rows = self.db.execute(
            "SELECT e.id, e.time, e.action, o.id, o.command, o.description FROM events e "
            "JOIN operations o ON o.id = e.operation ORDER BY e.id"
        )
        return [
            {"event": r[0], "time": r[1], "action": r[2], "operation": r[3], "command": r[4], "description": r[5]}
            for r in rows
        ]

    def _latest(self, state: str) -> Operation | None:
        order = "DESC"
        row = self.db.execute(f"SELECT * FROM operations WHERE state = ? ORDER BY id {order} LIMIT 1", (state,)).fetchone()
        return _operation(row) if row else None

    def can_undo(self) -> Operation | None:
        """The operation undo would reverse, or None."""
        return self._latest(DONE)

    def can_redo(self) -> Operation | None:
        """The operation redo would apply again, or None."""
        row = self.db.execute(
            "SELECT * FROM operations WHERE state = ? AND id > coalesce((SELECT max(id) FROM operations WHERE state = ?), 0) "
            "ORDER BY id ASC LIMIT 1", (UNDONE, DONE)
        ).fetchone()
        return _operation(row) if row else None

    # -- recording ------------------------------------------------------------------
    def begin(self, command: str, description: str, refs: list[RefChange], config: list[ConfigChange]) -> int:
        """Write a pending operation before anything moves; return its id."""
        cur = self.db.execute(
            "INSERT INTO operations (time, command, description, refs, config, state) VALUES (?,?,?,?,?,?)",
            (time.time(), command, description, json.dumps([r.to_json() for r in refs]),
             json.dumps([c.to_json() for c in config]), PENDING),
        )
        return int(cur.lastrowid or 0)

    def finish(self, op_id: int) -> None:
        """Mark an operation done; a new operation ends what could be redone."""
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("UPDATE operations SET state = ? WHERE state = ?", (DISCARDED, UNDONE))
        self.db.execute("UPDATE operations SET state = ? WHERE id = ?", (DONE, op_id))
        self.db.execute("INSERT INTO events (time, operation, action) VALUES (?,?,?)", (time.time(), op_id, "do"))
        self.db.execute("COMMIT")

    def abort(self, op_id: int) -> None:
        """Mark an operation that did not happen."""
        self.db.execute("UPDATE operations SET state = ? WHERE id = ?", (ABORTED, op_id))

    def reconcile(self) -> None:
        """Settle operations left pending by a killed process, by looking at the refs."""
        for row in self.db.execute("SELECT * FROM operations WHERE state = ?", (PENDING,)).fetchall():
            op = _operation(row)
            current = {r.name: self.repo.ref_target(r.name) for r in op.refs}
            if all(current[r.name] == r.new for r in op.refs):
                self.finish(op.id)
            elif all(current[r.name] == r.old for r in op.refs):
                self.abort(op.id)

    # -- undo and redo ----------------------------------------------------------------
    def undo(self, force: bool = False) -> Operation:
        """Put back the refs (and config) of the latest done operation."""
        op = self.can_undo()
        if op is None:
            raise NothingToUndoError("There is nothing to undo in this repository's operation log.")
        self._move(op, [r.reversed() for r in op.refs], force, "undo")
        from .config import restore_sections  # local: config imports this module's types

        restore_sections(self.repo, [ConfigChange(c.section, c.new, c.old) for c in op.config])
        self._set_state(op.id, UNDONE, "undo")
        op.state = UNDONE
        return op

    def redo(self, force: bool = False) -> Operation:
        """Apply again the operation undone most recently."""
        op = self.can_redo()
        if op is None:
            raise NothingToUndoError("There is nothing to redo.", title="Nothing to redo")
        self._move(op, op.refs, force, "redo")
        from .config import restore_sections

        restore_sections(self.repo, op.config)
        self._set_state(op.id, DONE, "redo")
        op.state = DONE
        return op

    def _move(self, op: Operation, changes: list[RefChange], force: bool, verb: str) -> None:
        moved = [c for c in changes if self.repo.ref_target(c.name) != c.old]
        if moved and not force:
            names = ", ".join(f"{c.name} (now {(self.repo.ref_target(c.name) or 'deleted')[:12]})" for c in moved)
            raise RefMovedError(
                f"Cannot {verb} '{op.description}': {names} moved since (by another git?). "
                f"Nothing was changed. Use --force to {verb} anyway.",
            )
        if force:
            changes = [RefChange(c.name, self.repo.ref_target(c.name), c.new) for c in changes]
        update_refs(self.repo.git_dir, changes, f"uq {verb}: {op.description}")

    def _set_state(self, op_id: int, state: str, action: str) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("UPDATE operations SET state = ? WHERE id = ?", (state, op_id))
        self.db.execute("INSERT INTO events (time, operation, action) VALUES (?,?,?)", (time.time(), op_id, action))
        self.db.execute("COMMIT")


def _operation(row: tuple[Any, ...]) -> Operation:
    refs = [RefChange(r["name"], r["old"], r["new"]) for r in json.loads(row[4])]
    config = [ConfigChange.from_json(c) for c in json.loads(row[5])]
    return Operation(int(row[0]), float(row[1]), str(row[2]), str(row[3]), refs, config, str(row[6]))
