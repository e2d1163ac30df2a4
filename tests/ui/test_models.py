"""The item models: qtmodeltester after every change, filters, counts, sorting, MIME data, 100k rows."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from uqgui.core.divergence import HOW_PATCH_ID, HOW_SUBJECT, LANDED, QUEUED, REMAINING, Divergence, Entry, Match
from uqgui.core.history import CommitMeta
from uqgui.core.listing import SOURCE_GIT, DownstreamListing
from uqgui.core.oplog import ABORTED, DONE, UNDONE, Operation
from uqgui.core.refs import RefChange
from uqgui.ui.models.downstream import (COL_DATE, COL_STATE, COL_SUBJECT, COMMIT_ID_ROLE, STATE_ROLE,
                                        DownstreamModel, compile_globs)
from uqgui.ui.models.mime import COMMIT_IDS_MIME, SOURCE_DOWNSTREAM, commit_ids_mime, read_commit_ids
from uqgui.ui.models.oplog import OperationLogModel
from uqgui.ui.models.queue import IS_BASE_ROLE, POSITION_ROLE, QueueModel
from uqgui.ui.models.states import (S_LANDED_EXACT, S_LANDED_MORPHED, S_NO_DIFF, S_PENDING, S_QUEUED,
                                    S_REMAINING, TEST_BADGES)
from uqgui.ui.queries import CommitRow


def cid(n: int) -> str:
    return f"{n:08x}".ljust(40, "e")


def entry(n: int, subject: str, state: str = REMAINING, paths: list[str] | None = None, author: str = "Avi Kivity",
          how: str = HOW_PATCH_ID, where: str = "upstream") -> Entry:
    meta = CommitMeta(cid(n), subject, author, author.split()[0].lower() + "@redhat.com", 1262304000 + n * 60,
                      ["qemu-kvm.c"] if paths is None else paths)
    e = Entry(meta, state)
    if state in (LANDED, QUEUED):
        e.match = Match(cid(10_000 + n), how, 1.0, where, "same patch-id")
    return e


def sample() -> Divergence:
    entries = [
        entry(1, "kvm: in-kernel pit", paths=["hw/i8254-kvm.c"]),
        entry(2, "qemu-kvm: signalfd", QUEUED, ["compatfd.c"], "Marcelo Tosatti", where="queue"),
        entry(3, "kvm: debug registers", LANDED, ["hw/apic.c"], "Jan Kiszka"),
        entry(4, "kvm: tpr patching", LANDED, ["kvm-tpr-opt.c", "pc-bios/optionrom/vapic.S"], how=HOW_SUBJECT),
        entry(5, "Empty", paths=[]),
        entry(6, "device-assignment: msix", paths=["hw/device-assignment.c"], author="Sheng Yang"),
    ]
    return Divergence(cid(100), cid(200), cid(300), entries, [cid(10_002)], [])


@pytest.fixture
def downstream(qapp):
    # The model filters and sorts itself (no proxy): the second name reads like the old tests.
    model = DownstreamModel()
    return model, model


def rows_of(model, role=COMMIT_ID_ROLE) -> list:
    return [model.index(r, 0).data(role) for r in range(model.rowCount())]


def test_downstream_model_passes_modeltester(qtmodeltester, downstream):
    model, proxy = downstream
    qtmodeltester.check(model)
    model.set_divergence(sample())
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)
    model.sort(COL_SUBJECT, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model)
    proxy.set_filters(text="kvm")
    qtmodeltester.check(proxy)
    model.set_divergence(None)
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)


def test_default_order_is_remaining_first_then_newest(downstream):
    model, _ = downstream
    model.set_divergence(sample())
    states = rows_of(model, STATE_ROLE)
    assert states == [S_REMAINING, S_REMAINING, S_QUEUED, S_LANDED_EXACT, S_LANDED_MORPHED, S_NO_DIFF]
    assert rows_of(model)[:2] == [cid(1), cid(6)]  # divergence order (newest first) within a state


def test_state_badges_glyph_colour_and_queue_position(downstream):
    model, _ = downstream
    model.set_divergence(sample())
    glyphs = {model.index(r, COL_STATE).data(STATE_ROLE): model.index(r, COL_STATE).data() for r in range(6)}
    assert glyphs[S_REMAINING] == "●"
    assert glyphs[S_QUEUED] == "◐ #1"
    assert glyphs[S_LANDED_EXACT] == "✓"
    assert glyphs[S_LANDED_MORPHED] == "✓~"
    assert glyphs[S_NO_DIFF] == "○"
    colours = {model.index(r, COL_STATE).data(Qt.ItemDataRole.ForegroundRole).name() for r in range(6)}
    assert len(colours) == 5
    assert "same patch-id" in model.index(3, COL_SUBJECT).data(Qt.ItemDataRole.ToolTipRole)


def test_filters_and_counts(downstream):
    model, proxy = downstream
    seen = []
    proxy.counts_changed.connect(lambda counts, shown, total: seen.append((counts, shown, total)))
    model.set_divergence(sample())
    assert proxy.rowCount() == 6
    assert seen[-1][0][S_REMAINING] == 2 and seen[-1][1:] == (6, 6)
    proxy.set_filters(text="KVM")
    assert proxy.rowCount() == 4
    proxy.set_filters(states={S_REMAINING})
    assert rows_of(proxy) == [cid(1)]
    # Counts ignore the state filter: they tell what the text filter holds in each state.
    assert seen[-1][0] == {S_REMAINING: 1, S_QUEUED: 1, S_LANDED_EXACT: 1, S_LANDED_MORPHED: 1, S_NO_DIFF: 0,
                           S_PENDING: 0}
    assert seen[-1][1] == 1
    proxy.set_filters(text="", states=None, path_glob="hw/")
    assert set(rows_of(proxy)) == {cid(1), cid(3), cid(6)}
    proxy.set_filters(path_glob="*.S")
    assert rows_of(proxy) == [cid(4)]
    proxy.set_filters(path_glob="", author="sheng")
    assert rows_of(proxy) == [cid(6)]
    proxy.set_filters(author="", text=cid(3)[:8])
    assert rows_of(proxy) == [cid(3)]


def test_glob_compilation():
    rx = compile_globs("hw/*.c, target-ia64")
    assert rx is not None
    assert rx.match("hw/apic.c") and rx.match("target-ia64/cpu.h") and not rx.match("vl.c")
    assert compile_globs("  ") is None


def test_sort_keeps_selection_on_the_same_commit(downstream):
    model, proxy = downstream
    model.set_divergence(sample())
    persistent = QPersistentModelIndex(proxy.index(rows_of(proxy).index(cid(4)), 0))
    proxy.sort(COL_SUBJECT, Qt.SortOrder.AscendingOrder)
    subjects = [proxy.index(r, COL_SUBJECT).data() for r in range(proxy.rowCount())]
    assert subjects == sorted(subjects, key=str.casefold)
    assert persistent.data(COMMIT_ID_ROLE) == cid(4)
    proxy.sort(COL_DATE, Qt.SortOrder.DescendingOrder)
    assert rows_of(proxy)[0] == cid(6)  # newest first, like git log
    assert persistent.data(COMMIT_ID_ROLE) == cid(4)


def test_date_sorts_as_the_arrow_says_and_the_first_click_lists_newest_first(downstream):
    """Ascending is oldest first on Date, as it is A to Z on Subject and Author (Qt's arrow)."""
    model, _ = downstream
    model.set_divergence(sample())
    model.sort(COL_DATE, Qt.SortOrder.AscendingOrder)
    assert rows_of(model) == [cid(n) for n in range(1, 7)]
    model.sort(COL_DATE, Qt.SortOrder.DescendingOrder)
    assert rows_of(model) == [cid(n) for n in range(6, 0, -1)]
    assert model.headerData(COL_DATE, Qt.Orientation.Horizontal,
                            Qt.ItemDataRole.InitialSortOrderRole) == Qt.SortOrder.DescendingOrder.value
    model.sort(-1)  # the default order is unchanged: remaining first, newest first within a state
    assert rows_of(model, STATE_ROLE)[:3] == [S_REMAINING, S_REMAINING, S_QUEUED]
    assert rows_of(model)[:2] == [cid(1), cid(6)]


def test_update_in_place_keeps_selection(downstream, qtmodeltester):
    model, proxy = downstream
    div = sample()
    model.set_divergence(div)
    persistent = QPersistentModelIndex(model.index(rows_of(model).index(cid(6)), 0))
    again = sample()
    again.entries[5].state = QUEUED
    again.entries[5].match = Match(cid(999), HOW_PATCH_ID, 1.0, "queue", "same patch-id")
    model.set_divergence(again)
    qtmodeltester.check(model)
    assert persistent.data(COMMIT_ID_ROLE) == cid(6)
    assert persistent.data(STATE_ROLE) == S_QUEUED


def test_mime_data_carries_ids_oldest_first(downstream):
    model, proxy = downstream
    model.set_divergence(sample())
    indexes = [proxy.index(r, 0) for r in range(proxy.rowCount()) if proxy.index(r, 0).data(COMMIT_ID_ROLE)
               in (cid(1), cid(6))]
    data = proxy.mimeData(indexes)
    assert data.hasFormat(COMMIT_IDS_MIME)
    ids, source = read_commit_ids(data)
    assert source == SOURCE_DOWNSTREAM
    assert ids == [cid(6), cid(1)]  # cid(6) is older: it sits later in the divergence (newest first)


def queue_model_with(n: int) -> QueueModel:
    model = QueueModel()
    base = CommitRow(cid(500), "Merge remote branch 'qemu-kvm/uq/master'", "Anthony", "a@b", 1262304000)
    model.set_series(base, [CommitRow(cid(600 + i), f"patch {i}", "Jan", "j@k", 1262304000 + i) for i in range(n)],
                     "qemu/master")
    return model


def test_queue_model_passes_modeltester(qtmodeltester, qapp):
    model = QueueModel()
    qtmodeltester.check(model)
    model = queue_model_with(3)
    qtmodeltester.check(model)
    assert model.rowCount() == 4
    assert [model.index(r, 0).data(POSITION_ROLE) for r in range(4)] == [3, 2, 1, 0]
    assert model.index(3, 0).data(IS_BASE_ROLE) is True
    assert "base: qemu/master" in model.index(3, 1).data()
    assert model.index(0, 2).data() == TEST_BADGES["not-run"].glyph
    model.set_test_state(cid(602), "failed")
    assert model.index(0, 2).data() == "✗"
    qtmodeltester.check(model)


def test_queue_drop_positions(qapp):
    model = queue_model_with(3)
    requests = []
    model.pick_requested.connect(lambda ids, pos: requests.append((ids, pos)))
    data = commit_ids_mime([cid(1)], SOURCE_DOWNSTREAM)
    for row, expected in ((0, 3), (1, 2), (3, 0), (-1, 0)):
        assert model.canDropMimeData(data, Qt.DropAction.CopyAction, row, 0, QModelIndex())
        assert model.dropMimeData(data, Qt.DropAction.CopyAction, row, 0, QModelIndex())
        assert requests[-1] == ([cid(1)], expected)
    # Items are not drop targets (a drop on a row will mean squash later); the root is.
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsDropEnabled
    assert model.flags(QModelIndex()) & Qt.ItemFlag.ItemIsDropEnabled


def test_queue_reorder_refused_until_the_core_can(qapp):
    model = queue_model_with(3)
    data = model.mimeData([model.index(0, 0)])
    assert not model.canDropMimeData(data, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsDragEnabled
    model.reorder_enabled = True
    orders = []
    model.reorder_requested.connect(orders.append)
    # Move the top commit (patch 2) just above the base.
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, 3, 0, QModelIndex()) is False
    assert orders == [[cid(602), cid(600), cid(601)]]


def test_oplog_model(qtmodeltester, qapp):
    model = OperationLogModel()
    qtmodeltester.check(model)
    ops = [Operation(1, 1.3e9, "pick", "pick 1 commit at position 2 of uq/master",
                     [RefChange("refs/heads/uq/master", cid(1), cid(2))], [], UNDONE),
           Operation(2, 1.3e9 + 5, "profile-add", "add profile stable", [], [], DONE),
           Operation(3, 1.3e9 + 9, "pick", "pick 1 commit at position 3 of uq/master",
                     [RefChange("refs/heads/uq/master", cid(2), cid(3))], [], ABORTED)]
    model.set_operations(ops)
    qtmodeltester.check(model)
    assert model.index(1, 3).data() == "add profile stable"
    assert "refs/heads/uq/master" in model.index(2, 3).data(Qt.ItemDataRole.ToolTipRole)
    # A refused operation moved nothing: its tooltip says so instead of showing arrows.
    refused = model.index(0, 3).data(Qt.ItemDataRole.ToolTipRole)
    assert "nothing was changed" in refused and "→" not in refused
    assert model.index(2, 0).data(Qt.ItemDataRole.FontRole).strikeOut()


def test_hundred_thousand_rows_load_filter_and_sort_fast(downstream, qapp):
    model, proxy = downstream
    states = [REMAINING, QUEUED, LANDED]
    entries = [entry(i, f"kvm: change {i}", states[i % 3], [f"hw/dev{i % 50}.c"]) for i in range(100_000)]
    div = Divergence(cid(1), cid(2), None, entries, [], [])
    start = time.perf_counter()
    model.set_divergence(div)
    loaded = time.perf_counter() - start
    assert proxy.rowCount() == 100_000
    start = time.perf_counter()
    proxy.set_filters(path_glob="hw/dev7.c")
    filtered = time.perf_counter() - start
    assert proxy.rowCount() == 2000
    start = time.perf_counter()
    proxy.set_filters(path_glob="")
    proxy.sort(COL_SUBJECT, Qt.SortOrder.AscendingOrder)
    sorted_in = time.perf_counter() - start
    # Generous bounds for a slow CI machine; measured here: well under a second each.
    assert loaded < 3.0 and filtered < 3.0 and sorted_in < 3.0, (loaded, filtered, sorted_in)


def pending_of(div: Divergence) -> DownstreamListing:
    return DownstreamListing.pending_columns(
        [(e.meta.id, e.meta.subject, e.meta.author_name, e.meta.author_email, e.meta.author_time, None)
         for e in div.entries], SOURCE_GIT)


def test_pending_rows_take_their_states_in_place(downstream, qtmodeltester):
    model, _ = downstream
    div = sample()
    model.set_listing(pending_of(div))
    qtmodeltester.check(model)
    assert set(rows_of(model, STATE_ROLE)) == {S_PENDING}
    assert rows_of(model) == [e.meta.id for e in div.entries]  # newest first while pending
    assert model.index(0, COL_STATE).data() == "…"
    persistent = QPersistentModelIndex(model.index(rows_of(model).index(cid(3)), 0))
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.set_listing(DownstreamListing.from_divergence(div))
    qtmodeltester.check(model)
    assert not resets  # the same commits: a layout change, so the selection stays
    assert persistent.data(COMMIT_ID_ROLE) == cid(3) and persistent.data(STATE_ROLE) == S_LANDED_EXACT


def test_streamed_parts_are_appended(downstream, qtmodeltester):
    model, _ = downstream
    div = sample()
    whole = pending_of(div)
    first = DownstreamListing.pending_columns(list(zip(whole.ids[:2], whole.subjects[:2], whole.author_names[:2],
                                                       whole.author_emails[:2], whole.author_times[:2],
                                                       whole.paths[:2])), SOURCE_GIT)
    rest = DownstreamListing.pending_columns(list(zip(whole.ids[2:], whole.subjects[2:], whole.author_names[2:],
                                                      whole.author_emails[2:], whole.author_times[2:],
                                                      whole.paths[2:])), SOURCE_GIT)
    counts = []
    model.counts_changed.connect(lambda c, shown, total: counts.append((c[S_PENDING], shown, total)))
    model.set_listing(first)
    inserted = []
    model.rowsInserted.connect(lambda parent, a, b: inserted.append((a, b)))
    model.extend_listing(rest)
    qtmodeltester.check(model)
    assert inserted == [(2, 5)]
    assert rows_of(model) == whole.ids and model.row_of(cid(6)) == 5
    assert counts[-1] == (6, 6, 6)


def test_filtering_keeps_the_selection_on_its_commit(downstream, qtmodeltester):
    model, _ = downstream
    model.set_divergence(sample())
    kept = QPersistentModelIndex(model.index(rows_of(model).index(cid(4)), 0))
    hidden = QPersistentModelIndex(model.index(rows_of(model).index(cid(6)), 0))
    model.set_filters(text="tpr")
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    assert kept.isValid() and kept.row() == 0 and kept.data(COMMIT_ID_ROLE) == cid(4)
    assert not hidden.isValid()
    model.set_filters(text="")
    assert model.rowCount() == 6


def test_hundred_thousand_rows_reset_and_paint_without_per_row_python(qapp):
    from uqgui.ui.widgets.downstream_pane import CommitTableView

    calls = {"n": 0}

    class Counting(DownstreamModel):
        def rowCount(self, parent=QModelIndex()):  # noqa: N802, B008
            calls["n"] += 1
            return super().rowCount(parent)

        def flags(self, index):
            calls["n"] += 1
            return super().flags(index)

    model = Counting()
    view = CommitTableView()
    view.setModel(model)
    view.resize(900, 600)
    view.show()
    qapp.processEvents()
    big = DownstreamListing.pending_columns([(f"{i:040x}", f"kvm: change {i}", "Avi", "avi@redhat.com", i, None)
                                             for i in range(100_000)], SOURCE_GIT)
    calls["n"] = 0
    start = time.perf_counter()
    model.set_listing(big)
    qapp.processEvents()
    view.viewport().repaint()
    elapsed = time.perf_counter() - start
    assert model.rowCount() == 100_000
    # A QTreeView makes two to four Python calls per row here (300,000+); a table only per visible row.
    assert calls["n"] < 5000, calls
    assert elapsed < 1.0, elapsed  # measured here: about 30 ms
    view.scrollToBottom()
    qapp.processEvents()
    assert view.rowAt(view.viewport().height() - 2) >= 99_000


def test_queue_numbers_are_the_hash_column_s():
    from uqgui.ui.models.queue import queue_numbers

    assert queue_numbers(0, 1) == "#1"  # on the base: the oldest
    assert queue_numbers(2, 1) == "#3"
    assert queue_numbers(2, 3) == "#3-#5"
