"""The identity cache on its own: round trips, the provenance index, damage, and where it cannot be written."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from uqgui.core import cache as cache_module
from uqgui.core.cache import IdentityCache, clear_cache, is_damage
from uqgui.core.history import CommitMeta

A = "a" * 40
B = "b" * 40
C = "c" * 40
D = "d0d1d2d3" + "e" * 32


def meta(commit_id: str, subject: str = "kvm: a subject", provenance: list[str] | None = None,
         paths: list[str] | None = None) -> CommitMeta:
    """A CommitMeta with sensible defaults."""
    return CommitMeta(commit_id, subject, "A U Thor", "author@example.org", 1262304060,
                      ["hw/apic.c"] if paths is None else paths, provenance or [])


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[IdentityCache]:
    """A fresh cache in a temporary folder."""
    c = IdentityCache(tmp_path)
    yield c
    c.close()


def test_metas_round_trip(cache: IdentityCache) -> None:
    m = meta(A, "caf\u00e9: r\u00e9parer", [D], ["h\u00e9.c", "tab\there.c"])
    cache.store_metas([m, meta(B, paths=[])])
    got = cache.metas([A, B, C])
    assert set(got) == {A, B}
    assert got[A] == m
    assert got[B].paths == [] and got[B].paths_key is None
    assert cache.missing_metas([A, B, C]) == [C]


def test_a_new_file_has_large_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    """16 KiB pages for a new cache; a file made with sqlite's default 4 KiB pages is read and written as it is."""
    (tmp_path / "new").mkdir()
    fresh = IdentityCache(tmp_path / "new")
    fresh.store_metas([meta(A)])
    assert not fresh.warnings  # a file, not the in-memory fallback
    assert fresh.db.execute("PRAGMA page_size").fetchone()[0] == cache_module.PAGE_SIZE == 16384
    fresh.close()
    old_folder = tmp_path / "old"
    old_folder.mkdir()
    made = sqlite3.connect(old_folder / IdentityCache.FILE_NAME)
    made.execute("PRAGMA page_size = 4096")
    made.execute("PRAGMA journal_mode = WAL")
    made.executescript(cache_module._SCHEMA)
    made.execute("INSERT INTO info VALUES ('schema', ?)", (cache_module.SCHEMA_VERSION,))
    made.commit()
    made.close()
    old = IdentityCache(old_folder)
    old.store_metas([meta(B)])
    assert old.db.execute("PRAGMA page_size").fetchone()[0] == 4096 and not old.warnings
    assert set(old.metas([B])) == {B}
    old.close()


def test_reverse_provenance_index_with_abbreviated_ids_and_slot_membership(cache: IdentityCache) -> None:
    cache.store_metas([meta(A, provenance=[D[:7]]), meta(B, provenance=[D]), meta(C, provenance=[D[:9] + "0"])])
    cache.set_slot("set:up", B, [A, B], replace=True)
    # Without a slot: every commit naming D (C names another commit sharing D's first 7 digits).
    assert cache.naming([D]) == {D: [A, B]}
    # With a slot: only its members.
    cache.set_slot("set:small", A, [A], replace=True)
    assert cache.naming([D], "set:small") == {D: [A]}
    assert cache.naming([D], "set:up") == {D: [A, B]}
    assert cache.naming([C]) == {}
    # A commit never names itself into a match.
    cache.store_metas([meta(D, provenance=[D])])
    assert D not in cache.naming([D]).get(D, [])


def _plans(cache: IdentityCache, call: Callable[[], object]) -> list[str]:
    """The query plans of the SELECTs CALL runs on CACHE (captured with their bound values)."""
    statements: list[str] = []
    cache.db.set_trace_callback(statements.append)
    try:
        call()
    finally:
        cache.db.set_trace_callback(None)
    plans = []
    for sql in statements:
        if sql.lstrip().upper().startswith("SELECT"):
            plans.append(" / ".join(str(r[-1]) for r in cache.db.execute("EXPLAIN QUERY PLAN " + sql)))
    return plans


def test_slot_lookups_never_walk_the_whole_slot(cache: IdentityCache) -> None:
    """Warm runs must not touch every member of an 80k-commit slot: keys are looked up first."""
    cache.store_metas([meta(f"{i:040x}", provenance=[D]) for i in range(50)])
    cache.set_slot("set:up", A, [f"{i:040x}" for i in range(50)], replace=True)
    plans = _plans(cache, lambda: (cache.naming([D], "set:up"), cache.in_slot("set:up", "paths_key", ["k"]),
                                   cache.in_slot("set:up", "author_key", ["k"]), cache.unreadable_in_slot("set:up")))
    assert len(plans) == 4
    for plan in plans:
        assert "SCAN m" not in plan and "SCAN c" not in plan and "SCAN p" not in plan, plan
        assert "SEARCH m USING PRIMARY KEY (slot=? AND id=?)" in plan, plan


def test_patch_ids_and_similarities_round_trip(cache: IdentityCache) -> None:
    cache.store_patch_ids({A: "1" * 40, B: None})
    assert cache.patch_ids([A, B, C]) == {A: "1" * 40, B: None}
    cache.store_similarities({(A, B): (0.5, 0.75)})
    assert cache.similarities([(A, B), (B, A), (A, C)]) == {(A, B): (0.5, 0.75)}


def test_slots_grow_incrementally_and_old_ones_are_evicted(cache: IdentityCache) -> None:
    cache.set_slot("set:up", A, [A], replace=True)
    cache.set_slot("set:up", B, [B], replace=False)
    assert sorted(cache.slot_ids("set:up")) == [A, B] and cache.slot_tip("set:up") == B
    assert not cache.slot_complete("set:up")
    cache.mark_slot_complete("set:up")
    assert cache.slot_complete("set:up")
    cache.set_slot("set:up", C, [C], replace=True)
    assert cache.slot_ids("set:up") == [C] and not cache.slot_complete("set:up")
    for i in range(cache_module.MAX_SLOTS + 2):
        cache.set_slot(f"set:other{i}", A, [A], replace=True)
    assert cache.slot_tip("set:up") is None  # the least recently used was dropped
    assert cache.slot_size(f"set:other{cache_module.MAX_SLOTS + 1}") == 1


def test_garbage_file_is_rebuilt_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / IdentityCache.FILE_NAME).write_bytes(b"garbage" * 1000)
    c = IdentityCache(tmp_path)
    try:
        assert len(c.warnings) == 1 and "damaged" in c.warnings[0] and "rebuilt" in c.warnings[0]
        c.store_metas([meta(A)])
        assert A in c.metas([A])
    finally:
        c.close()
    again = IdentityCache(tmp_path)
    try:
        assert again.warnings == [] and A in again.metas([A])
    finally:
        again.close()


def test_old_schema_is_discarded_silently(tmp_path: Path) -> None:
    c = IdentityCache(tmp_path)
    c.store_metas([meta(A)])
    c.db.execute("UPDATE info SET value = 'old' WHERE key = 'schema'")
    c.close()
    again = IdentityCache(tmp_path)
    try:
        assert again.warnings == [] and again.metas([A]) == {}
    finally:
        again.close()


def test_unusable_folder_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    c = IdentityCache(blocker)
    try:
        assert len(c.warnings) == 1 and "in memory" in c.warnings[0]
        c.store_metas([meta(A)])
        assert A in c.metas([A])
    finally:
        c.close()
    assert blocker.read_text() == "a file where the cache folder should be"


def test_reset_starts_empty(cache: IdentityCache) -> None:
    cache.store_metas([meta(A)])
    cache.reset(sqlite3.DatabaseError("database disk image is malformed"))
    assert cache.metas([A]) == {} and "damaged" in cache.warnings[-1]


def test_is_damage_tells_damage_from_busy() -> None:
    assert is_damage(sqlite3.DatabaseError("file is not a database"))
    assert is_damage(sqlite3.DatabaseError("database disk image is malformed"))
    assert not is_damage(sqlite3.OperationalError("database is locked"))
    assert not is_damage(sqlite3.OperationalError("attempt to write a readonly database"))
    assert not is_damage(ValueError("x"))


def test_two_connections_write_side_by_side(tmp_path: Path) -> None:
    one, two = IdentityCache(tmp_path), IdentityCache(tmp_path)
    try:
        one.store_metas([meta(A)])
        two.store_metas([meta(B)])
        assert set(one.metas([A, B])) == set(two.metas([A, B])) == {A, B}
    finally:
        one.close()
        two.close()


def test_clear_cache(tmp_path: Path) -> None:
    assert clear_cache(tmp_path) is False
    IdentityCache(tmp_path).close()
    assert clear_cache(tmp_path) is True
    assert list(tmp_path.iterdir()) == []


def test_bulk_store_rebuilds_the_indexes(cache: IdentityCache, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold scan's bulk insert drops and rebuilds the indexes: they must all be back, and used."""
    monkeypatch.setattr(cache_module, "BULK_ROWS", 3)

    def index_names() -> set[str]:
        rows = cache.db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'commits'")
        return {r[0] for r in rows} & {"commits_paths", "commits_subject", "commits_author"}

    with cache.bulk(3):
        assert index_names() == set()
        cache.store_metas([meta(A, "kvm: first subject")])
        cache.store_metas([meta(B, "kvm: second subject", paths=["x.c"]), meta(C, "kvm: third subject", paths=["y.c"])])
    assert index_names() == {"commits_paths", "commits_subject", "commits_author"}
    cache.set_slot("set:up", C, [A, B, C], replace=True)
    assert cache.in_slot("set:up", "subject_key", ["kvm: second subject"]) == {"kvm: second subject": [B]}
    plans = _plans(cache, lambda: cache.in_slot("set:up", "paths_key", [meta(A).paths_key or ""]))
    assert plans and "USING COVERING INDEX commits_paths" in plans[0]


def test_indexes_come_back_after_a_bulk_store_was_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "BULK_ROWS", 1)
    c = IdentityCache(tmp_path)
    with pytest.raises(KeyboardInterrupt), c.bulk(5):
        c.store_metas([meta(A)])
        c.db.execute("DROP INDEX IF EXISTS commits_paths")  # as if the finally never ran
        raise KeyboardInterrupt
    c.db.execute("DROP INDEX IF EXISTS commits_subject")
    c.close()
    again = IdentityCache(tmp_path)
    try:
        rows = again.db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'commits'")
        assert {"commits_paths", "commits_subject", "commits_author"} <= {r[0] for r in rows}
        assert A in again.metas([A])
    finally:
        again.close()


def test_switching_a_new_file_to_wal_waits_while_another_process_creates_it() -> None:
    """sqlite answers "locked" at once, without the busy handler, when two processes create the file together."""

    class Racing:
        def __init__(self) -> None:
            self.calls = 0

        def execute(self, sql: str) -> None:
            self.calls += 1
            if self.calls < 3:
                raise sqlite3.OperationalError("database is locked")

    racing = Racing()
    cache_module._switch_to_wal(racing)  # type: ignore[arg-type]
    assert racing.calls == 3

    class Broken(Racing):
        def execute(self, sql: str) -> None:
            raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError, match="disk"):
        cache_module._switch_to_wal(Broken())  # type: ignore[arg-type]
