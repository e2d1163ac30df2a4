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
from .identity import author_key, paths_key, subject_key

# Bump when the layout or what a row means changes (e.g. new provenance patterns): old files are rebuilt.
SCHEMA_VERSION = "8"  # 8: patch-ids of binary changes are no longer kept (they go stale)
PROVENANCE_PREFIX = 7
MAX_SLOTS = 6
MAX_RANGES = 16
MAX_RESULTS = 8
BULK_ROWS = 20000
PAGE_SIZE = 16384
_COMMIT_INDEXES = (("commits_paths", "paths_key"), ("commits_subject", "subject_key"), ("commits_author", "author_key"))

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
-- seq: the position in `git rev-list` order (newest first; later additions get smaller numbers).
CREATE TABLE IF NOT EXISTS members (slot TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (slot, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ranges (key TEXT PRIMARY KEY, ids TEXT NOT NULL, used REAL NOT NULL);
CREATE TABLE IF NOT EXISTS provenance (prefix TEXT NOT NULL, named TEXT NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (prefix, named, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, data TEXT NOT NULL, used REAL NOT NULL);
CREATE TABLE IF NOT EXISTS similarity (a TEXT NOT NULL, b TEXT NOT NULL, files REAL NOT NULL, alike REAL NOT NULL,
    PRIMARY KEY (a, b)) WITHOUT ROWID;
"""


class MetaRows:
    """Commit metadata as table rows, gathered over a streaming scan and stored at once.

    Stored batch by batch, each transaction would rewrite most of the table's pages (commit
    ids are random keys); one sorted insert at the end writes each page once.
    """

    def __init__(self) -> None:
        self.commits: list[tuple[object, ...]] = []
        self.named: list[tuple[str, str, str]] = []

    def add(self, metas: Iterable[CommitMeta]) -> list[tuple[str, str | None]]:
        """Turn METAS into rows (the objects themselves need not be kept); return their (id, paths key)."""
        added: list[tuple[str, str | None]] = []
        for m in metas:
            # The keys straight from identity.py: CommitMeta's cached properties cost a third more here.
            key = paths_key(m.paths) if m.paths else None
            self.commits.append((m.id, m.subject, m.author_name, m.author_email, m.author_time, _paths_value(m.paths),
                                 key, subject_key(m.subject), author_key(m.author_email, m.author_time),
                                 " ".join(m.provenance)))
            if m.provenance:
                self.named.extend((n[:PROVENANCE_PREFIX], n, m.id) for n in m.provenance)
            added.append((m.id, key))
        return added

    def __len__(self) -> int:
        return len(self.commits)


class IdentityCache:
    """Patch identities and reachability sets, persisted per repository."""

    FILE_NAME = "identity.sqlite"

    def __init__(self, folder: Path | None) -> None:
        self.path: Path | None = folder / self.FILE_NAME if folder is not None else None
        self.warnings: list[str] = []
        self.db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        """Open the file; rebuild it when damaged; fall back to memory when it cannot be used at all."""
        if self.path is None:
            return self._open(":memory:")
        try:
            return self._open(str(self.path))
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                return self._in_memory(exc)
            self.warnings.append(f"The identity cache {self.path} was damaged ({exc}); it was rebuilt.")
        except OSError as exc:
            return self._in_memory(exc)
        try:
            self.discard_files()
            return self._open(str(self.path))
        except (sqlite3.DatabaseError, OSError) as exc:
            return self._in_memory(exc)

    def _in_memory(self, exc: BaseException) -> sqlite3.Connection:
        self.warnings.append(
            f"The identity cache {self.path} could not be used ({exc}); this run keeps it in memory, so the "
            "next run starts cold. Check that the repository's git dir is writable."
        )
        return self._open(":memory:")

    def reset(self, reason: BaseException) -> None:
        """Throw the damaged cache away and start an empty one (everything in it can be recomputed)."""
        self.warnings.append(f"The identity cache {self.path or '(memory)'} was damaged ({reason}); it was rebuilt.")
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        if self.path is None:
            self.db = self._open(":memory:")
            return
        try:
            self.discard_files()
            self.db = self._open(str(self.path))
        except (sqlite3.DatabaseError, OSError) as exc:
            self.db = self._in_memory(exc)

    def use_memory(self, reason: BaseException) -> None:
        """Give up on the file for this run (locked for too long, read-only) and go on in memory."""
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        self.db = self._in_memory(reason)

    def _open(self, target: str) -> sqlite3.Connection:
        db = sqlite3.connect(target, timeout=60, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout = 60000")
            if target != ":memory:":
                # Only a new, empty file takes it (an existing one keeps its size): larger pages
                # mean fewer reads and writes of the file while a cold scan fills it.
                db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                _switch_to_wal(db)
                db.execute("PRAGMA synchronous = NORMAL")
            db.executescript(_SCHEMA)
            row = db.execute("SELECT value FROM info WHERE key = 'schema'").fetchone()
            if row is None:
                db.execute("INSERT OR IGNORE INTO info VALUES ('schema', ?)", (SCHEMA_VERSION,))
            elif row[0] != SCHEMA_VERSION:
                db.close()
                self.discard_files()
                return self._open(target)
        except BaseException:
            db.close()
            raise
        return db

    def discard_files(self) -> None:
        """Delete the cache files (the database and its WAL companions)."""
        if self.path is None:
            return
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
        """Remember the metadata of scanned commits (and index the commits their trailers name)."""
        rows = MetaRows()
        rows.add(metas)
        self.store_rows(rows)

    def store_rows(self, rows: MetaRows) -> None:
        """Store ROWS in one transaction, in key order (B-tree inserts then touch each page once)."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO commits VALUES (?,?,?,?,?,?,?,?,?,?)", sorted(rows.commits))
            db.executemany("INSERT OR IGNORE INTO provenance VALUES (?,?,?)", sorted(rows.named))

    @contextmanager
    def bulk(self, expected_rows: int) -> Iterator[None]:
        """Around storing EXPECTED_ROWS commits: for a cold scan, drop the indexes and build them after.

        Building an index once (one sort) is about three times faster than updating it row by
        row. Should the process die in between, opening the cache recreates the indexes.
        """
        if expected_rows < BULK_ROWS:
            yield
            return
        with self.transaction() as db:
            for name, _ in _COMMIT_INDEXES:
                db.execute(f"DROP INDEX IF EXISTS {name}")
        try:
            yield
        finally:
            with self.transaction() as db:
                for name, column in _COMMIT_INDEXES:
                    db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON commits({column})")

    def has_commits(self) -> bool:
        """True when any commit's metadata is cached."""
        return self.db.execute("SELECT 1 FROM commits LIMIT 1").fetchone() is not None

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

    def forget_unreadable_unless(self, fingerprint: str) -> bool:
        """Forget unreadable marks recorded under another object-store FINGERPRINT; True if any were.

        Objects may come back (a fetch, a repair): then those commits are read again, and the
        upstream slots are rescanned for the members that were skipped.
        """
        row = self.db.execute("SELECT value FROM info WHERE key = 'objects'").fetchone()
        if row is not None and row[0] == fingerprint:
            return False
        has_marks = self.db.execute("SELECT 1 FROM unreadable LIMIT 1").fetchone() is not None
        with self.transaction() as db:
            if has_marks:
                db.execute("DELETE FROM unreadable")
                db.execute("UPDATE slots SET complete = 0")
            db.execute("INSERT OR REPLACE INTO info VALUES ('objects', ?)", (fingerprint,))
        return has_marks

    def unreadable_in_slot(self, slot: str) -> dict[str, str]:
        """Unreadable commits that belong to SLOT."""
        rows = self.db.execute(
            "SELECT u.id, u.reason FROM unreadable u CROSS JOIN members m ON m.slot = ? AND m.id = u.id", (slot,)
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

    def set_slot(self, slot: str, tip: str, ids: Sequence[str], replace: bool) -> None:
        """Record that SLOT (at TIP) holds IDS, in rev-list order (added to, or replacing, what it held)."""
        with self.transaction() as db:
            if replace:
                db.execute("DELETE FROM members WHERE slot = ?", (slot,))
                start = 0
            else:
                row = db.execute("SELECT min(seq) FROM members WHERE slot = ?", (slot,)).fetchone()
                start = (int(row[0]) if row and row[0] is not None else 0) - len(ids)
            rows = sorted((slot, commit_id, start + n) for n, commit_id in enumerate(ids))
            db.executemany("INSERT OR IGNORE INTO members VALUES (?, ?, ?)", rows)
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
        return [r[0] for r in self.db.execute("SELECT id FROM members WHERE slot = ? ORDER BY seq", (slot,))]

    def slot_size(self, slot: str) -> int:
        """How many commits SLOT holds."""
        return int(self.db.execute("SELECT count(*) FROM members WHERE slot = ?", (slot,)).fetchone()[0])

    def slot_missing_metas(self, slot: str) -> list[str]:
        """Members of SLOT with no metadata and not known unreadable."""
        rows = self.db.execute(
            "SELECT m.id FROM members m WHERE m.slot = ? AND NOT EXISTS (SELECT 1 FROM commits c WHERE c.id = m.id)"
            " AND NOT EXISTS (SELECT 1 FROM unreadable u WHERE u.id = m.id) ORDER BY m.seq",
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
                # CROSS JOIN fixes the order: look the few keys up first, then check membership,
                # never walk the tens of thousands of members.
                f"SELECT c.{column}, c.id FROM commits c CROSS JOIN members m ON m.slot = ? AND m.id = c.id "
                f"WHERE c.{column} IN ({marks})",
                [slot, *batch],
            )
            for value, commit_id in rows:
                found.setdefault(value, []).append(commit_id)
        return found

    def paths_in_slot(self, slot: str, keys: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """Members of SLOT touching exactly the path sets KEYS, as (id, author e-mail) per key."""
        found: dict[str, list[tuple[str, str]]] = {}
        for batch in _batches(sorted(set(keys))):
            marks = ",".join("?" * len(batch))
            rows = self.db.execute(
                f"SELECT c.paths_key, c.id, c.author_email FROM commits c CROSS JOIN members m "
                f"ON m.slot = ? AND m.id = c.id WHERE c.paths_key IN ({marks})",
                [slot, *batch],
            )
            for key, commit_id, email in rows:
                found.setdefault(key, []).append((commit_id, email))
        return found

    def slot_order(self, slot: str, ids: Sequence[str]) -> dict[str, int]:
        """The rev-list position of each of IDS that is a member of SLOT.

        git reads commits much faster in history order (a parent's tree is still in its cache),
        so bulk passes are fed in this order rather than in hash order.
        """
        found: dict[str, int] = {}
        for batch in _batches(ids):
            marks = ",".join("?" * len(batch))
            found.update(self.db.execute(
                f"SELECT id, seq FROM members WHERE slot = ? AND id IN ({marks})", [slot, *batch]
            ).fetchall())
        return found

    def slot_ids_with_prefix(self, slot: str, prefix: str) -> list[str]:
        """Members of SLOT whose id starts with PREFIX (an abbreviated id in a trailer)."""
        rows = self.db.execute(
            "SELECT id FROM members WHERE slot = ? AND id >= ? AND id < ?", (slot, prefix, prefix + "g")
        )
        return [r[0] for r in rows]

    def naming(self, ids: Sequence[str], slot: str | None = None) -> dict[str, list[str]]:
        """For each of IDS, the commits (members of SLOT when given) whose provenance names it.

        Trailers may abbreviate ids, so rows are keyed by the first 7 hex digits and the full
        value is compared afterwards: one indexed query per batch, joined with the slot.
        """
        by_prefix: dict[str, list[str]] = {}
        for i in ids:
            by_prefix.setdefault(i[:PROVENANCE_PREFIX], []).append(i)
        found: dict[str, list[str]] = {}
        for batch in _batches(sorted(by_prefix)):
            marks = ",".join("?" * len(batch))
            if slot is None:
                rows = self.db.execute(f"SELECT prefix, named, id FROM provenance WHERE prefix IN ({marks})", batch)
            else:
                rows = self.db.execute(
                    f"SELECT p.prefix, p.named, p.id FROM provenance p CROSS JOIN members m ON m.slot = ? AND m.id = p.id "
                    f"WHERE p.prefix IN ({marks})",
                    [slot, *batch],
                )
            for prefix, named, commit_id in rows:
                for target in by_prefix.get(prefix, []):
                    if target.startswith(named) and commit_id != target:
                        found.setdefault(target, [])
                        if commit_id not in found[target]:
                            found[target].append(commit_id)
        return found

    # -- line similarity of candidate twins -------------------------------------------
    def similarities(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[float, float]]:
        """Cached (files, lines) similarity of each (a, b) pair in PAIRS."""
        wanted = set(pairs)
        found: dict[tuple[str, str], tuple[float, float]] = {}
        for batch in _batches(sorted({a for a, _ in wanted})):
            marks = ",".join("?" * len(batch))
            for a, b, files, alike in self.db.execute(
                f"SELECT a, b, files, alike FROM similarity WHERE a IN ({marks})", batch
            ):
                if (a, b) in wanted:
                    found[(a, b)] = (float(files), float(alike))
        return found

    def store_similarities(self, values: dict[tuple[str, str], tuple[float, float]]) -> None:
        """Remember (files, lines) similarities of pairs of commits."""
        if values:
            with self.transaction() as db:
                db.executemany("INSERT OR REPLACE INTO similarity VALUES (?,?,?,?)",
                               [(a, b, f, l) for (a, b), (f, l) in values.items()])

    # -- whole answers ------------------------------------------------------------------
    def result(self, key: str) -> str | None:
        """A remembered answer (opaque text) for KEY, or None."""
        row = self.db.execute("SELECT data FROM results WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def store_result(self, key: str, data: str) -> None:
        """Remember an answer for KEY, keeping the most recent few."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?)", (key, data, time.time()))
            db.execute(
                "DELETE FROM results WHERE key IN (SELECT key FROM results ORDER BY used DESC LIMIT -1 OFFSET ?)",
                (MAX_RESULTS,),
            )

    # -- cached revision ranges -------------------------------------------------------
    def range_ids(self, key: str) -> list[str] | None:
        """A cached rev-list answer for KEY (tips on both sides), or None."""
        row = self.db.execute("SELECT ids FROM ranges WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return str(row[0]).split()

    def store_range(self, key: str, ids: Sequence[str]) -> None:
        """Remember a rev-list answer for KEY, keeping the most recent few."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO ranges VALUES (?, ?, ?)", (key, " ".join(ids), time.time()))
            db.execute(
                "DELETE FROM ranges WHERE key IN (SELECT key FROM ranges ORDER BY used DESC LIMIT -1 OFFSET ?)",
                (MAX_RANGES,),
            )


def _switch_to_wal(db: sqlite3.Connection, attempts: int = 100) -> None:
    """Put DB in WAL mode, waiting while another process creates the same new file.

    Switching a new file to WAL needs it exclusively, and sqlite answers "database is locked"
    at once rather than calling the busy handler: two processes starting cold would otherwise
    see one of them give up on the file.
    """
    for attempt in range(attempts):
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def _paths_value(paths: list[str]) -> str | bytes:
    """The paths column: text, or the raw bytes when a path is not UTF-8 (sqlite text must be)."""
    joined = "\0".join(paths)
    if joined.isascii():
        return joined
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:  # a file name in another encoding, read as surrogate escapes
        return joined.encode("utf-8", "surrogateescape")
    return joined


def paths_from_value(value: object) -> list[str]:
    """The paths stored by `_paths_value` (text, or bytes holding a name that is not UTF-8)."""
    text = value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else str(value or "")
    return text.split("\0") if text else []


def _meta_from_row(row: tuple[object, ...]) -> CommitMeta:
    provenance = str(row[9])
    meta = CommitMeta(
        id=str(row[0]),
        subject=str(row[1]),
        author_name=str(row[2]),
        author_email=str(row[3]),
        author_time=int(row[4]),  # type: ignore[call-overload]
        paths=paths_from_value(row[5]),
        provenance=provenance.split() if provenance else [],
    )
    # The keys were computed when the row was stored: do not recompute them (regexes, sha1).
    meta.__dict__.update(paths_key=row[6], subject_key=row[7], author_key=row[8])
    return meta


def _batches(items: Sequence[str], size: int = 900) -> Iterator[list[str]]:
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def is_damage(exc: BaseException) -> bool:
    """True when a sqlite error means the file is damaged (rebuild it), not merely busy or unwritable."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    text = str(exc).lower()
    if any(word in text for word in ("malformed", "not a database", "corrupt", "disk image")):
        return True
    return not isinstance(exc, (sqlite3.OperationalError, sqlite3.IntegrityError, sqlite3.ProgrammingError))


def clear_cache(folder: Path) -> bool:
    """Delete the identity cache in FOLDER; True when there was one."""
    path = folder / IdentityCache.FILE_NAME
    existed = path.exists()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return existed
