"""The operation log: every mutation recorded with its refs before and after; undo puts them back.

Every step that moves refs (doing, undoing or redoing an operation) is first written to the log
as an *intent*, then the refs move in one git transaction, then the config sections in one
atomic rewrite, then the intent is settled. All of it runs under an exclusive lock file, which
the system releases when a process dies, so whoever takes the lock next knows that any intent
still open belongs to a dead process and settles it by looking at the refs and config:

- everything at the target: the step happened; it is recorded as done;
- everything at the start: it did not happen;
- some pieces at the target, the rest at the start: the moved ones are put back (it did not happen);
- anything anywhere else (someone moved it meanwhile): nothing is touched and the log says so
  (state `interrupted` for an operation that was being done).

Objects are never deleted; refs are moved with reflog entries. Nothing another git did is lost
either: a command finding a ref the log had moved somewhere else first logs that as an
operation of its own ("outside"); an undo forced over such a change logs it as undone, above
the operation it undoes (redo brings back both, in order); a redo forced over one records that
the operation now starts from there (undo brings it back).

Test hook: with the environment variable UQ_TEST_PAUSE_AT set to `before-refs` or `after-refs`,
a step prints "uq: paused at STAGE" on stderr and sleeps there, so a test can kill it at a
known point. It costs one dictionary lookup otherwise.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from .errors import ConfigMovedError, NothingToUndoError, RefMovedError, UqError
from .names import OPLOG_FILE
from .refs import RefChange, ref_value, update_refs
from .repo import Repo

PENDING, DONE, UNDONE, ABORTED, DISCARDED, INTERRUPTED = (
    "pending", "done", "undone", "aborted", "discarded", "interrupted")
DO, UNDO, REDO = "do", "undo", "redo"
OUTSIDE = "outside"  # the command recording what another git changed to refs the log had moved
PAUSE_ENV = "UQ_TEST_PAUSE_AT"
LOCK_FILE = "oplog.lock"
LOCK_TIMEOUT = 30.0  # seconds to wait for another uq's operation to finish

_SCHEMA = """
CREATE TABLE IF NOT EXISTS operations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    command TEXT NOT NULL,
    description TEXT NOT NULL,
    refs TEXT NOT NULL,
    config TEXT NOT NULL,
    state TEXT NOT NULL,
    intent TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    operation INTEGER NOT NULL,
    action TEXT NOT NULL
);
"""
_COLUMNS = "id, time, command, description, refs, config, state, intent"


@dataclass
class ConfigChange:
    """A git config section's entries before and after (None: the section did not exist)."""

    section: str
    old: list[tuple[str, str]] | None
    new: list[tuple[str, str]] | None

    def reversed(self) -> ConfigChange:
        """The change that puts the section back."""
        return ConfigChange(self.section, self.new, self.old)

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
    intent: str | None = None  # do / undo / redo while that step is under way
    # Not stored: how a step just taken went. FORCED_OVER: it went over another git's move (a forced
    # undo or redo). KEPT: after a forced undo, the operation logged for that move (redo brings it back).
    forced_over: bool = False
    kept: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form `uq oplog --json` prints."""
        return {
            "id": self.id, "time": self.time, "command": self.command, "description": self.description,
            "state": self.state, "intent": self.intent, "refs": [r.to_json() for r in self.refs],
            "config": [c.to_json() for c in self.config],
            **({"forced_over": True} if self.forced_over else {}),
            **({"kept": self.kept} if self.kept is not None else {}),
        }


def pause_point(stage: str) -> None:
    """Test hook (see the module docstring): stop here when UQ_TEST_PAUSE_AT names STAGE."""
    if os.environ.get(PAUSE_ENV) == stage:
        sys.stderr.write(f"uq: paused at {stage}\n")
        sys.stderr.flush()
        time.sleep(3600)


P = ParamSpec("P")
R = TypeVar("R")


def log_unavailable(path: Any, exc: BaseException) -> UqError:
    """The error for a log that cannot be opened, read or written: what to do about it."""
    return UqError(
        f"The operation log {path} cannot be used ({exc}). Make {path.parent} writable; if the file is "
        "damaged, move it aside (undo history is lost, your refs are not).",
        title="Operation log unavailable",
    )


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """A public method whose sqlite failures and unreadable rows become log_unavailable()."""
    @wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (sqlite3.DatabaseError, DamagedRowError) as exc:
            raise log_unavailable(args[0].path, exc) from exc  # type: ignore[attr-defined]
    return run


class DamagedRowError(ValueError):
    """A row of the log that does not read back as an operation."""


class OperationLog:
    """The persistent log of one repository, under its git dir."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.path = repo.uq_dir() / OPLOG_FILE
        self._lock_path = repo.uq_dir() / LOCK_FILE
        self._lock_fd = -1
        self._lock_depth = 0
        try:
            self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 60000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.executescript(_SCHEMA)
            columns = {row[1] for row in self.db.execute("PRAGMA table_info(operations)")}
            if "intent" not in columns:  # a log written before intents were recorded
                self.db.execute("ALTER TABLE operations ADD COLUMN intent TEXT")
                self.db.execute("UPDATE operations SET intent = ? WHERE state = ?", (DO, PENDING))
            self.reconcile()
        except (sqlite3.Error, DamagedRowError) as exc:
            if hasattr(self, "db"):
                self.close()
            raise log_unavailable(self.path, exc) from exc

    def close(self) -> None:
        """Close the log."""
        self.db.close()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    # -- the lock -------------------------------------------------------------------
    @contextmanager
    def lock(self, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """Hold the repository's operation lock (re-entrant); settle dead processes' steps first."""
        if self._lock_depth == 0:
            if not self._try_lock(blocking_for=timeout):
                try:
                    holder = self._lock_path.read_text(errors="replace").strip() or "another process"
                except OSError:
                    holder = "another process"
                raise UqError(
                    f"Another uq operation is running on this repository (pid {holder}); nothing was "
                    "changed. Try again when it has finished.",
                    title="Repository busy",
                )
            os.ftruncate(self._lock_fd, 0)
            os.pwrite(self._lock_fd, str(os.getpid()).encode(), 0)
        self._lock_depth += 1
        try:
            if self._lock_depth == 1:
                self._settle_open_intents()
            yield
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _try_lock(self, blocking_for: float) -> bool:
        if self._lock_fd < 0:
            try:
                self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as exc:
                raise UqError(
                    f"The operation lock {self._lock_path} cannot be opened ({exc.strerror or exc}). "
                    f"Make {self._lock_path.parent} writable, and remove {self._lock_path} if it is not a "
                    "plain file. Nothing was changed.",
                    title="Operation log unavailable",
                ) from exc
        deadline = time.monotonic() + blocking_for
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)

    # -- reading --------------------------------------------------------------------
    @_guarded
    def operations(self) -> list[Operation]:
        """Every operation, oldest first."""
        return [_operation(row) for row in self.db.execute(f"SELECT {_COLUMNS} FROM operations ORDER BY id")]

    @_guarded
    def operation(self, op_id: int) -> Operation:
        """One operation by id."""
        row = self.db.execute(f"SELECT {_COLUMNS} FROM operations WHERE id = ?", (op_id,)).fetchone()
        if row is None:
            raise UqError(f"There is no operation #{op_id} in the log.", title="Unknown operation")
        return _operation(row)

    @_guarded
    def events(self) -> list[dict[str, Any]]:
        """Every do/undo/redo event (and settled interruptions), oldest first, with its operation."""
        rows = self.db.execute(
            "SELECT e.id, e.time, e.action, o.id, o.command, o.description FROM events e "
            "JOIN operations o ON o.id = e.operation ORDER BY e.id"
        )
        return [
            {"event": r[0], "time": r[1], "action": r[2], "operation": r[3], "command": r[4], "description": r[5]}
            for r in rows
        ]

    @_guarded
    def can_undo(self) -> Operation | None:
        """The operation undo would reverse, or None."""
        row = self.db.execute(f"SELECT {_COLUMNS} FROM operations WHERE state = ? ORDER BY id DESC LIMIT 1",
                              (DONE,)).fetchone()
        return _operation(row) if row else None

    @_guarded
    def can_redo(self) -> Operation | None:
        """The operation redo would apply again, or None."""
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM operations WHERE state = ? "
            "AND id > coalesce((SELECT max(id) FROM operations WHERE state = ?), 0) ORDER BY id ASC LIMIT 1",
            (UNDONE, DONE),
        ).fetchone()
        return _operation(row) if row else None

    # -- recording ------------------------------------------------------------------
    @_guarded
    def record(self, command: str, description: str, refs: list[RefChange], config: list[ConfigChange]) -> Operation:
        """Do an operation: log it as pending, move its refs, write its config, mark it done.

        A ref that another git moved since the log last left it is first logged as an outside
        change, so undo goes back through it rather than over it.
        """
        with self.lock():
            logged = self._logged_values()
            moved = [RefChange(r.name, logged[r.name], r.old) for r in refs
                     if r.name in logged and logged[r.name] != r.old]
            redoable = self._redoable()
            outside = self.note(OUTSIDE, f"changes made outside uqgui before: {description}", moved) if moved else None
            cur = self.db.execute(
                "INSERT INTO operations (time, command, description, refs, config, state, intent) "
                "VALUES (?,?,?,?,?,?,?)",
                (time.time(), command, description, json.dumps([r.to_json() for r in refs]),
                 json.dumps([c.to_json() for c in config]), PENDING, DO),
            )
            op = self.operation(int(cur.lastrowid or 0))
            try:
                self._step(op, DO, refs, config, force=False)
            finally:
                if outside is not None and self.operation(op.id).state == ABORTED:
                    # Refused: the log is as it was, the other git's move unrecorded and redo still there.
                    self._forget(outside.id, redoable)
            return self.operation(op.id)

    @_guarded
    def note(self, command: str, description: str, refs: list[RefChange],
             config: list[ConfigChange] | None = None, undone: bool = False) -> Operation:
        """Log an operation whose refs another program already moved (a fetch, another git), so that
        it can be undone like the others. UNDONE: log it as undone (its change taken back).

        Like any new change, it ends what could be redone: that was undone before it happened.
        """
        with self.lock():
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("UPDATE operations SET state = ? WHERE state = ?", (DISCARDED, UNDONE))
            cur = self.db.execute(
                "INSERT INTO operations (time, command, description, refs, config, state, intent) "
                "VALUES (?,?,?,?,?,?,NULL)",
                (time.time(), command, description, json.dumps([r.to_json() for r in refs]),
                 json.dumps([c.to_json() for c in config or []]), UNDONE if undone else DONE),
            )
            op_id = int(cur.lastrowid or 0)
            self._event(op_id, DO)
            if undone:
                self._event(op_id, UNDO)
            self.db.execute("COMMIT")
            return self.operation(op_id)

    def _redoable(self) -> list[int]:
        """The ids of the operations redo can still apply."""
        return [int(row[0]) for row in self.db.execute("SELECT id FROM operations WHERE state = ?", (UNDONE,))]

    def _forget(self, op_id: int, redoable: list[int]) -> None:
        """Drop the operation just noted for a step that then did not happen (nothing of it took place),
        and make REDOABLE (what its noting discarded) redoable again."""
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("DELETE FROM events WHERE operation = ?", (op_id,))
        self.db.execute("DELETE FROM operations WHERE id = ?", (op_id,))
        # Its number goes back too: the next operation takes it, and the log shows no gap.
        for table in ("operations", "events"):
            self.db.execute(f"UPDATE sqlite_sequence SET seq = (SELECT coalesce(max(id), 0) FROM {table}) "
                            "WHERE name = ?", (table,))
        self.db.executemany("UPDATE operations SET state = ? WHERE id = ?", [(UNDONE, i) for i in redoable])
        self.db.execute("COMMIT")

    def _logged_values(self) -> dict[str, str | None]:
        """Each ref the log has moved, at the value the log left it: after the latest done operation
        that moves it, else before the first undone one (the one redo would apply next)."""
        values: dict[str, str | None] = {}
        done = self.db.execute("SELECT refs FROM operations WHERE state = ? ORDER BY id DESC", (DONE,)).fetchall()
        for (refs_json,) in done:
            for r in json.loads(refs_json):
                values.setdefault(r["name"], r["new"])
        undone = self.db.execute("SELECT refs FROM operations WHERE state = ? ORDER BY id ASC", (UNDONE,)).fetchall()
        for (refs_json,) in undone:
            for r in json.loads(refs_json):
                values.setdefault(r["name"], r["old"])
        return values

    @_guarded
    def reconcile(self) -> None:
        """Settle steps left open by a killed process; skipped while a live process holds the lock."""
        if self._lock_depth:
            self._settle_open_intents()
            return
        if not self._try_lock(blocking_for=0):
            return  # its owner is alive and will settle its own step
        try:
            self._settle_open_intents()
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    # -- undo and redo ----------------------------------------------------------------
    @_guarded
    def undo(self, force: bool = False, expected: int | None = None) -> Operation:
        """Put back the refs (and config) of the latest done operation (only if it is EXPECTED, when given)."""
        with self.lock():
            op = self.can_undo()
            if op is None:
                raise NothingToUndoError("There is nothing to undo in this repository's operation log.")
            _refuse_unexpected(op, expected, UNDO)
            refs, config = [r.reversed() for r in op.refs], [c.reversed() for c in op.config]
            force = force or self._made_already(refs, config)
            if force and self._moved(refs, config):
                return self._undo_over_outside(op, refs, config)
            self._step(op, UNDO, refs, config, force)
            return self.operation(op.id)

    @_guarded
    def redo(self, force: bool = False, expected: int | None = None) -> Operation:
        """Apply again the operation undone most recently (only if it is EXPECTED, when given)."""
        with self.lock():
            op = self.can_redo()
            if op is None:
                raise NothingToUndoError("There is nothing to redo: no operation was undone since the "
                                         "last one was done.", title="Nothing to redo")
            _refuse_unexpected(op, expected, REDO)
            force = force or self._made_already(op.refs, op.config)
            if force and self._moved(op.refs, op.config):
                return self._redo_over_outside(op)
            self._step(op, REDO, op.refs, op.config, force)
            return self.operation(op.id)

    def _made_already(self, refs: list[RefChange], config: list[ConfigChange]) -> bool:
        """True when another git made this very step already: everything is where it starts or ends,
        and something where it ends. Then there is nothing of the other git's to lose, nor to ask about."""
        ref_now, conf_now = self._now(refs, config)
        at_end = [now == r.new for r, now in zip(refs, ref_now)] + [now == c.new for c, now in zip(config, conf_now)]
        at_start = [now == r.old for r, now in zip(refs, ref_now)] + [now == c.old for c, now in zip(config, conf_now)]
        return any(at_end) and all(e or s for e, s in zip(at_end, at_start))

    def _moved(self, refs: list[RefChange], config: list[ConfigChange]) -> bool:
        """True when some ref or config section is neither where the step starts nor where it ends."""
        from .config import read_section

        return any(ref_value(self.repo.git, r.name) not in (r.old, r.new) for r in refs) or any(
            read_section(self.repo, c.section) not in (c.old, c.new) for c in config)

    def _now(self, refs: list[RefChange],
             config: list[ConfigChange]) -> tuple[list[str | None], list[list[tuple[str, str]] | None]]:
        """What REFS and CONFIG sections hold now."""
        from .config import read_section

        return ([ref_value(self.repo.git, r.name) for r in refs],
                [read_section(self.repo, c.section) for c in config])

    def _undo_over_outside(self, op: Operation, refs: list[RefChange], config: list[ConfigChange]) -> Operation:
        """Undo OP over what another git did since: that is logged first, as an undone operation above OP.

        Redo then brings back OP, and after it the other git's change; undo goes on below OP. What
        could be redone before is discarded: the other git's change came after it. If the step is
        refused (nothing moved), the note goes and what could be redone is back, as it was.
        """
        ref_now, conf_now = self._now(refs, config)
        redoable = self._redoable()  # the other git's change ended them; a refusal brings them back
        outside = self.note(
            OUTSIDE, f"changes made outside uqgui after #{op.id}",
            [RefChange(r.name, r.old, now) for r, now in zip(refs, ref_now) if now != r.old],
            [ConfigChange(c.section, c.old, now) for c, now in zip(config, conf_now) if now != c.old],
            undone=True)
        try:
            self._step(op, UNDO, [RefChange(r.name, now, r.new) for r, now in zip(refs, ref_now)],
                       [ConfigChange(c.section, now, c.new) for c, now in zip(config, conf_now)], force=False)
        finally:
            if self.operation(op.id).state == DONE:
                self._forget(outside.id, redoable)
        undone = self.operation(op.id)
        undone.forced_over, undone.kept = True, outside.id
        return undone

    def _redo_over_outside(self, op: Operation) -> Operation:
        """Redo OP over what another git did since it was undone: OP now starts from there.

        Its log entry records what it moves the refs from, so undo brings back the other git's
        change; what can be redone after OP stays. Refused, OP is left as it was.
        """
        ref_now, conf_now = self._now(op.refs, op.config)
        refs = [RefChange(r.name, now, r.new) for r, now in zip(op.refs, ref_now)]
        config = [ConfigChange(c.section, now, c.new) for c, now in zip(op.config, conf_now)]
        self._rewrite(op.id, refs, config)
        try:
            self._step(op, REDO, refs, config, force=False)
        finally:
            if self.operation(op.id).state != DONE:
                self._rewrite(op.id, op.refs, op.config)
        redone = self.operation(op.id)
        redone.forced_over = True
        return redone

    def _rewrite(self, op_id: int, refs: list[RefChange], config: list[ConfigChange]) -> None:
        self.db.execute("UPDATE operations SET refs = ?, config = ? WHERE id = ?",
                        (json.dumps([r.to_json() for r in refs]), json.dumps([c.to_json() for c in config]), op_id))

    # -- the steps ------------------------------------------------------------------------
    def _step(self, op: Operation, action: str, refs: list[RefChange], config: list[ConfigChange],
              force: bool) -> None:
        """Move REFS and CONFIG from old to new for ACTION on OP, journaled; roll back on failure."""
        from .config import apply_changes, ensure_config_writable, read_section  # local: config imports this module

        if action != DO:
            self._check_unmoved(op, action, refs, config, force)
            if force:
                # Forced: start from what is there now, so a failure puts back exactly that.
                refs = [RefChange(r.name, ref_value(self.repo.git, r.name), r.new) for r in refs]
                config = [ConfigChange(c.section, read_section(self.repo, c.section), c.new) for c in config]
            self._set_intent(op.id, action)
        refs_moved = False
        try:
            if config:
                ensure_config_writable(self.repo)
            pause_point("before-refs")
            update_refs(self.repo.git_dir, refs, f"uq {action}: {op.description}")
            refs_moved = True
            pause_point("after-refs")
            apply_changes(self.repo, config)
        except UqError as exc:
            # Both writes are all-or-nothing: a refused ref transaction moved nothing, and a
            # refused config write wrote nothing, so only refs that did move need putting back.
            if not refs_moved:
                self._cancel(op.id, action, "abort")
                raise
            try:
                update_refs(self.repo.git_dir, [r.reversed() for r in refs],
                            f"uq {action} rolled back: {op.description}")
            except UqError as again:
                self._cancel(op.id, action, "interrupt")
                raise UqError(
                    f"{first_sentence(exc.message)}, and the refs already moved could not be put back: "
                    f"{again.message} The operation is marked interrupted in the log.",
                    details=f"{exc.details}\n{again.details}", title=exc.title,
                    hint=" ".join(filter(None, (again.hint, "See `uq oplog`."))),
                ) from exc
            self._cancel(op.id, action, "abort")
            raise
        except BaseException:
            # Ctrl-C or worse, maybe while git was committing: look at what actually moved.
            self._resolve(op, action, refs, config, failed=True)
            raise
        self._complete(op.id, action)

    def _check_unmoved(self, op: Operation, action: str, refs: list[RefChange], config: list[ConfigChange],
                       force: bool) -> None:
        if force:
            return
        from .config import read_section

        moved = [f"{r.name} (now {(ref_value(self.repo.git, r.name) or 'deleted')[:12]})"
                 for r in refs if ref_value(self.repo.git, r.name) != r.old]
        changed = [f"config section [{c.section}]" for c in config if read_section(self.repo, c.section) != c.old]
        if moved or changed:
            kind = RefMovedError if moved else ConfigMovedError
            error = kind(
                f"Cannot {action} '{op.description}': {', '.join(moved + changed)} changed since (by another "
                f"git?). Nothing was changed.",
                hint=f"Use --force to {action} anyway (what the other git did is kept in the log, so it can be "
                     "brought back).",
            )
            error.operation_id = op.id  # what a later "anyway" must still be about
            raise error

    def _set_intent(self, op_id: int, action: str) -> None:
        self.db.execute("UPDATE operations SET intent = ? WHERE id = ?", (action, op_id))

    def _complete(self, op_id: int, action: str) -> None:
        final = UNDONE if action == UNDO else DONE
        self.db.execute("BEGIN IMMEDIATE")
        if action == DO:
            # A new operation ends what could be redone.
            self.db.execute("UPDATE operations SET state = ? WHERE state = ?", (DISCARDED, UNDONE))
        self.db.execute("UPDATE operations SET state = ?, intent = NULL WHERE id = ?", (final, op_id))
        self._event(op_id, action)
        self.db.execute("COMMIT")

    def _cancel(self, op_id: int, action: str, outcome: str) -> None:
        """End a step that did not happen (OUTCOME 'abort') or whose result is unknown ('interrupt')."""
        self.db.execute("BEGIN IMMEDIATE")
        if action == DO:
            state = ABORTED if outcome == "abort" else INTERRUPTED
            self.db.execute("UPDATE operations SET state = ?, intent = NULL WHERE id = ?", (state, op_id))
        else:
            self.db.execute("UPDATE operations SET intent = NULL WHERE id = ?", (op_id,))
        self._event(op_id, f"{action}-{outcome}")
        self.db.execute("COMMIT")

    def _event(self, op_id: int, action: str) -> None:
        self.db.execute("INSERT INTO events (time, operation, action) VALUES (?,?,?)", (time.time(), op_id, action))

    def _settle_open_intents(self) -> None:
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM operations WHERE intent IS NOT NULL ORDER BY id").fetchall()
        for row in rows:
            op = _operation(row)
            action = op.intent or DO
            if action == UNDO:
                self._resolve(op, action, [r.reversed() for r in op.refs], [c.reversed() for c in op.config], False)
            else:
                self._resolve(op, action, op.refs, op.config, False)

    def _resolve(self, op: Operation, action: str, refs: list[RefChange], config: list[ConfigChange],
                 failed: bool) -> None:
        """Settle OP's open ACTION from where REFS and CONFIG are now (the rules in the module docstring).

        FAILED: the step raised, so a step found complete is still rolled back (the caller reports
        an error, and the user must not be told 'nothing changed' while something did).
        """
        from .config import apply_changes, read_section

        ref_now = {r.name: ref_value(self.repo.git, r.name) for r in refs}
        conf_now = {c.section: read_section(self.repo, c.section) for c in config}
        at_new = [ref_now[r.name] == r.new for r in refs] + [conf_now[c.section] == c.new for c in config]
        at_old = [ref_now[r.name] == r.old for r in refs] + [conf_now[c.section] == c.old for c in config]
        if not failed and all(at_new):
            self._complete(op.id, action)
            return
        if not all(n or o for n, o in zip(at_new, at_old)):
            self._cancel(op.id, action, "interrupt")
            return
        outcome = "abort"
        try:
            apply_changes(self.repo, [c.reversed() for c in config if conf_now[c.section] != c.old])
        except UqError:
            outcome = "interrupt"
        try:
            update_refs(self.repo.git_dir, [r.reversed() for r in refs if ref_now[r.name] != r.old],
                        f"uq {action} rolled back: {op.description}")
        except UqError:
            outcome = "interrupt"
        self._cancel(op.id, action, outcome)


def _refuse_unexpected(op: Operation, expected: int | None, action: str) -> None:
    """Refuse when the operation ACTION would take is not EXPECTED (the one the user was asked about)."""
    if expected is not None and op.id != expected:
        raise RefMovedError(
            f"The operation to {action} is now '{op.description}' (#{op.id}), not #{expected} that was asked "
            f"about: another undo or redo ran meanwhile. Nothing was changed; {action} again to see what it "
            "would do.",
        )


def first_sentence(text: str) -> str:
    """TEXT up to its first full stop or semicolon (a message's statement of what went wrong)."""
    for i, ch in enumerate(text):
        if ch in ".;" and (i + 1 == len(text) or text[i + 1] == " "):
            return text[:i]
    return text


def _operation(row: tuple[Any, ...]) -> Operation:
    try:
        refs = [RefChange(r["name"], r["old"], r["new"]) for r in json.loads(row[4])]
        config = [ConfigChange.from_json(c) for c in json.loads(row[5])]
    except (ValueError, KeyError, TypeError) as exc:
        raise DamagedRowError(f"operation #{row[0]} is unreadable: {exc}") from exc
    return Operation(int(row[0]), float(row[1]), str(row[2]), str(row[3]), refs, config, str(row[6]),
                     None if row[7] is None else str(row[7]))
