"""The persistent identity cache: sqlite under the git dir, keyed by commit id.

sqlite is the standard library's well-kept store: transactions survive a killed process, WAL
mode lets two processes (the GUI and a `uq` in a terminal) read and write side by side, and a
damaged file is simply deleted and rebuilt, since everything in it can be recomputed from git.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .history import CommitMeta

SCHEMA_VERSION = "3"
MAX_SLOTS = 6
MAX_RANGES = 16

_SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commits (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    author_time INTEGER NOT NULL,
    paths TEXT NOT NULL,
    paths_key TEXT,
    subject_key TEXT,
    author_key TEXT NOT NULL,
    provenance TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS commits_paths ON commits(paths_key);
CREATE INDEX IF NOT EXISTS commits_subject ON commits(subject_key);
CREATE INDEX IF NOT EXISTS commits_author ON commits(author_key);
CREATE TABLE IF NOT EXISTS patch_ids (id TEXT PRIMARY KEY, patch_id TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS patch_ids_value ON patch_ids(patch_id);
CREATE TABLE IF NOT EXISTS unreadable (id TEXT PRIMARY KEY, reason TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS slots (name TEXT PRIMARY KEY, tip TEXT NOT NULL, used REAL NOT NULL, complete INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS members (slot TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (slot, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ranges (key TEXT PRIMARY KEY, ids TEXT NOT NULL, used REAL NOT NULL);
"""


class IdentityCache:
    """Patch identities and reachability sets, persisted per repository."""

    FILE_NAME = "identity.sqlite"

    def __init__(self, folder: Path) -> None:
        self.path = folder / self.FILE_NAME
        self.warnings: list[str] = []
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:
            self.warnings.append(f"The identity cache {self.path} was damaged ({exc}); it was rebuilt.")
            self.discard_files()
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout = 60000")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.executescript(_SCHEMA)
            row = db.execute("SELECT value FROM info WHERE key = 'schema'").fetchone()
            if row is None:
                db.execute("INSERT OR REPLACE INTO info VALUES ('schema', ?)", (SCHEMA_VERSION,))
            elif row[0] != SCHEMA_VERSION:
                db.close()
                self.discard_files()
                return self._open()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def discard_files(self) -> None:
        """Delete the cache files (the database and its WAL companions)."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE, so concurrent writers queue up)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- commit metadata ------------------------------------------------------------
    def store_metas(self, metas: Iterable[CommitMeta]) -> None:
        """Remember the metadata of scanned commits."""
        rows = [
            (m.id, m.subject, m.author_name, m.author_email, m.author_time, "\0".join(m.paths), m.paths_key,
             m.subject_key, m.author_key, " ".join(m.provenance))
            for m in metas
        ]
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO commits VALUES (?,?,?,?,?,?,?,?,?,?)", rows)

    def metas(self, ids: Sequence[str]) -> dict[str, CommitMeta]:
        """Cached metadata for IDS (those not cached are absent)."""
        found: dict[str, CommitMeta] = {}
        for batch in _batches(ids):
            marks = ",".join("?" * len(batch))
            for row in self.db.execute(f"SELECT * FROM commits WHERE id IN ({marks})", batch):
                found[row[0]] = _meta_from_row(row)
        return found

    def missing_metas(self, ids: Sequence[str]) -> list[str]:
        """The ids among IDS with no cached metadata and not known to be unreadable."""
        known: set[str] = set()
        for batch in _batches(ids):
            marks = ",".join("?" * len(batch))
            known.update(r[0] for r in self.db.execute(f"SELECT id FROM commits WHERE id IN ({marks})", batch))
            known.update(r[0] for r in self.db.execute(f"SELECT id FROM unreadable WHERE id IN ({marks})", batch))
        return [i for i in ids if i not in known]

    # -- patch-ids ------------------------------------------------------------------
    def store_patch_ids(self, patch_ids: dict[str, str | None]) -> None:
        """Remember computed patch-ids (None: the commit has an empty diff)."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO patch_ids VALUES (?,?)", list(patch_ids.items()))

    def patch_ids(self, ids: Sequence[str]) -> dict[str, str | None]:
        """Cached patch-ids of IDS."""
        found: dict[str, str | None] = {}
        for batch in _batches(ids):
            marks = ",".join("?" * len(batch))
            found.update(self.db.execute(f"SELECT id, patch_id FROM patch_ids WHERE id IN ({marks})", batch).fetchall())
        return found

    # -- unreadable commits ---------------------------------------------------------
    def store_unreadable(self, reasons: dict[str, str]) -> None:
        """Remember commits whose objects could not be read (so warnings persist)."""
        if reasons:
            with self.transaction() as db:
                db.executemany("INSERT OR REPLACE INTO unreadable VALUES (?,?)", list(reasons.items()))

    def unreadable_in_slot(self, slot: str) -> dict[str, str]:
        """Unreadable commits that belong to SLOT."""
        rows = self.db.execute(
            "SELECT u.id, u.reason FROM unreadable u JOIN members m ON m.id = u.id WHERE m.slot = ?", (slot,)
        )
        return dict(rows.fetchall())

    def unreadable(self, ids: Sequence[str]) -> dict[str, str]:
        """Unreadable commits among IDS."""
        found: dict[str, str] = {}
        for batch in _batches(ids):
            marks = ",".join("?" * len(batch))
            found.update(self.db.execute(f"SELECT id, reason FROM unreadable WHERE id IN ({marks})", batch).fetchall())
        return found

    # -- reachability sets ------------------------------------------------------------
    def slot_tip(self, slot: str) -> str | None:
        """The tip the set SLOT was last computed for."""
        row = self.db.execute("SELECT tip FROM slots WHERE name = ?", (slot,)).fetchone()
        return row[0] if row else None

    def set_slot(self, slot: str, tip: str, ids: Iterable[str], replace: bool) -> None:
        """Record that SLOT (at TIP) holds IDS (added to, or replacing, what it held)."""
        with self.transaction() as db:
            if replace:
                db.execute("DELETE FROM members WHERE slot = ?", (slot,))
            db.executemany("INSERT OR IGNORE INTO members VALUES (?, ?)", ((slot, i) for i in ids))
            db.execute("INSERT OR REPLACE INTO slots VALUES (?, ?, ?, 0)", (slot, tip, time.time()))
            stale = db.execute("SELECT name FROM slots ORDER BY used DESC LIMIT -1 OFFSET ?", (MAX_SLOTS,)).fetchall()
            for (name,) in stale:
                db.execute("DELETE FROM members WHERE slot = ?", (name,))
                db.execute("DELETE FROM slots WHERE name = ?", (name,))

    def slot_complete(self, slot: str) -> bool:
        """True when every member of SLOT has its metadata scanned (or is known unreadable)."""
        row = self.db.execute("SELECT complete FROM slots WHERE name = ?", (slot,)).fetchone()
        return bool(row and row[0])

    def mark_slot_complete(self, slot: str) -> None:
        """Record that every member of SLOT has been scanned."""
        with self.transaction() as db:
            db.execute("UPDATE slots SET complete = 1, used = ? WHERE name = ?", (time.time(), slot))

    def slot_ids(self, slot: str) -> list[str]:
        """Every commit id in SLOT."""
        return [r[0] for r in self.db.execute("SELECT id FROM members WHERE slot = ?", (slot,))]

    def slot_size(self, slot: str) -> int:
        """How many commits SLOT holds."""
        return int(self.db.execute("SELECT count(*) FROM members WHERE slot = ?", (slot,)).fetchone()[0])

    def slot_missing_metas(self, slot: str) -> list[str]:
        """Members of SLOT with no metadata and not known unreadable."""
        rows = self.db.execute(
            "SELECT m.id FROM members m WHERE m.slot = ? AND NOT EXISTS (SELECT 1 FROM commits c WHERE c.id = m.id)"
            " AND NOT EXISTS (SELECT 1 FROM unreadable u WHERE u.id = m.id)",
            (slot,),
        )
        return [r[0] for r in rows]

    def in_slot(self, slot: str, column: str, values: Iterable[str]) -> dict[str, list[str]]:
        """Members of SLOT whose COLUMN (paths_key, subject_key, author_key) is among VALUES."""
        assert column in ("paths_key", "subject_key", "author_key")
        found: dict[str, list[str]] = {}
        for batch in _batches(sorted(set(values))):
            marks = ",".join("?" * len(batch))
            rows = self.db.execute(
                f"SELECT c.{column}, c.id FROM commits c JOIN members m ON m.id = c.id "
                f"WHERE m.slot = ? AND c.{column} IN ({marks})",
                [slot, *batch],
            )
            for value, commit_id in rows:
                found.setdefault(value, []).append(commit_id)
        return found

    def slot_ids_with_prefix(self, slot: str, prefix: str) -> list[str]:
        """Members of SLOT whose id starts with PREFIX (an abbreviated id in a trailer)."""
        rows = self.db.execute(
            "SELECT id FROM members WHERE slot = ? AND id >= ? AND id < ?", (slot, prefix, prefix + "g")
        )
        return [r[0] for r in rows]

    # -- cached revision ranges -------------------------------------------------------
    def range_ids(self, key: str) -> list[str] | None:
        """A cached rev-list answer for KEY (tips on both sides), or None."""
        row = self.db.execute("SELECT ids FROM ranges WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return row[0].split()

    def store_range(self, key: str, ids: Sequence[str]) -> None:
        """Remember a rev-list answer for KEY, keeping the most recent few."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO ranges VALUES (?, ?, ?)", (key, " ".join(ids), time.time()))
            db.execute(
                "DELETE FROM ranges WHERE key IN (SELECT key FROM ranges ORDER BY used DESC LIMIT -1 OFFSET ?)",
                (MAX_RANGES,),
            )


def _meta_from_row(row: tuple[object, ...]) -> CommitMeta:
    paths = str(row[5])
    provenance = str(row[9])
    return CommitMeta(
        id=str(row[0]),
        subject=str(row[1]),
        author_name=str(row[2]),
        author_email=str(row[3]),
        author_time=int(row[4]),  # type: ignore[call-overload]
        paths=paths.split("\0") if paths else [],
        provenance=provenance.split() if provenance else [],
    )


def _batches(items: Sequence[str], size: int = 900) -> Iterator[list[str]]:
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def clear_cache(folder: Path) -> bool:
    """Delete the identity cache in FOLDER; True when there was one."""
    path = folder / IdentityCache.FILE_NAME
    existed = path.exists()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return existed
