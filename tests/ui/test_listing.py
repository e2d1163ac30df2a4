"""The Qt-free listing: quick first rows (git config, the identity cache, git log), filters, sorting, slices."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.scenario import DOWNSTREAM, QUEUE, UPSTREAM, Scenario
from uqgui.core import listing, quickstart
from uqgui.core.listing import (S_PENDING, S_QUEUED, S_REMAINING, SOURCE_CACHE, DownstreamListing, ListingFilter,
                                compute_listing, read_listing_answer, write_listing_answer)
from uqgui.core.quickstart import Prefetch, QuickProfile, choose_quick_profile, peek_cached_listing, quick_start


def rev_list(path: Path, *args: str) -> list[str]:
    out = subprocess.run(["git", "-C", str(path), "rev-list", "--no-merges", *args], capture_output=True, text=True,
                         check=True).stdout
    return out.split()


def tips(path: Path) -> tuple[str, str]:
    down, up = (rev_list(path, "-1", ref)[0] for ref in (DOWNSTREAM, UPSTREAM))
    return down, up


def test_known_cache_schema_is_the_cache_s():
    # The quick listing reads identity.sqlite directly (it must not import pygit2): when the cache
    # changes its layout, this fails until quickstart.py learns the new one.
    from uqgui.core.cache import SCHEMA_VERSION

    assert SCHEMA_VERSION in quickstart.KNOWN_CACHE_SCHEMAS


def test_listing_modules_load_neither_qt_nor_pygit2():
    code = ("import sys, uqgui.core.listing, uqgui.core.quickstart as q; q.quick_start('.'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygit2', 'PySide6', 'shiboken6')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_quick_start_before_and_after_the_cache_is_warm(scenario: Scenario):
    start = quick_start(scenario.path)
    assert start is not None
    assert start.profile == QuickProfile("master", "qemu-kvm/master", "qemu/master", "uq/master")
    assert start.git_dir == (scenario.path / ".git").resolve() and start.shown == scenario.path.resolve()
    assert start.tips[:2] == tips(scenario.path)
    assert [c.subject for c in start.queue_commits] == ["qemu-kvm: signalfd support", "vl: return 2"]
    assert start.queue_base is not None and start.queue_base.subject == "kvm: in-kernel pit"
    assert start.downstream is None  # nothing computed yet: the caller lists with git log

    divergence, full = compute_listing(scenario.path, DOWNSTREAM, UPSTREAM, QUEUE)
    warm = quick_start(scenario.path)
    assert warm is not None and warm.downstream is not None
    quick = warm.downstream
    assert quick.source == SOURCE_CACHE and not quick.complete
    assert quick.ids == full.ids == [e.meta.id for e in divergence.entries]
    assert quick.subjects == full.subjects and quick.paths == full.paths
    assert set(quick.states) == {S_PENDING}


def test_peek_refuses_an_unknown_cache_layout(scenario: Scenario, monkeypatch):
    compute_listing(scenario.path, DOWNSTREAM, UPSTREAM, QUEUE)
    git_dir = (scenario.path / ".git").resolve()
    assert peek_cached_listing(git_dir, *tips(scenario.path)) is not None
    monkeypatch.setattr(quickstart, "KNOWN_CACHE_SCHEMAS", frozenset({"no such layout"}))
    assert peek_cached_listing(git_dir, *tips(scenario.path)) is None


def test_quick_profile_choice():
    a, b = QuickProfile("a", "d", "u", "q"), QuickProfile("b", "d", "u", "q")
    assert choose_quick_profile([a], None, None) is a
    assert choose_quick_profile([a, b], None, None) is None  # a guess: the core decides
    assert choose_quick_profile([a, b], "b", None) is b
    assert choose_quick_profile([a, b], None, "b") is b
    assert choose_quick_profile([a, b], "a", "b") is b  # the one chosen last time wins
    assert choose_quick_profile([a, b], "gone", None) is None


def test_git_log_listing_streams_in_batches(scenario: Scenario, monkeypatch):
    monkeypatch.setattr(quickstart, "GIT_BATCH", 2)
    batches: list[int] = []
    rows: list[str] = []

    def take(batch):
        batches.append(len(batch))
        rows.extend(r[0] for r in batch)

    git_dir = (scenario.path / ".git").resolve()
    assert quickstart.list_commits_streaming(git_dir, DOWNSTREAM, UPSTREAM, take)
    assert rows == rev_list(scenario.path, DOWNSTREAM, f"^{UPSTREAM}")
    assert len(batches) >= 2


def test_prefetch_hands_over_git_log_parts(scenario: Scenario):
    prefetch = Prefetch.start(scenario.path)
    start = prefetch.future.result(30)
    assert start is not None and start.downstream is None
    parts: list[DownstreamListing] = []
    prefetch.subscribe(parts.append)
    prefetch._thread.join(30)
    ids = [i for part in parts for i in part.ids]
    assert ids == rev_list(scenario.path, DOWNSTREAM, f"^{UPSTREAM}")


def test_prefetch_of_a_plain_folder_is_none(tmp_path: Path):
    assert Prefetch.start(tmp_path).future.result(30) is None


def test_filters_counts_and_sort_orders(scenario: Scenario):
    _, full = compute_listing(scenario.path, DOWNSTREAM, UPSTREAM, QUEUE)
    mask, counts = ListingFilter(text="KVM").apply(full)
    kept = {full.subjects[i] for i, keep in enumerate(mask) if keep}
    assert kept == {"kvm: in-kernel pit", "qemu-kvm: signalfd support", "kvm: debug registers", "kvm: tpr patching"}
    mask, counts = ListingFilter(states=frozenset({S_QUEUED})).apply(full)
    assert sum(mask) == 1 and counts[S_REMAINING] == 3  # counts ignore the state filter
    assert counts[listing.S_NO_DIFF] == 1 and counts[listing.S_LANDED_EXACT] == counts[listing.S_LANDED_MORPHED] == 1
    mask, _ = ListingFilter(path_glob="hw/").apply(full)
    assert {full.subjects[i] for i, keep in enumerate(mask) if keep} == {
        "kvm: in-kernel pit", "kvm: debug registers", "device-assignment: msix"}
    by_date = full.sort_order("date")
    assert [full.author_times[i] for i in by_date] == sorted(full.author_times, reverse=True)
    default = full.sort_order("")
    assert [full.states[i] for i in default] == [S_REMAINING] * 3 + [S_QUEUED, listing.S_LANDED_EXACT,
                                                                     listing.S_LANDED_MORPHED, listing.S_NO_DIFF]
    pending = DownstreamListing.pending_columns([(i, s, "n", "e", 1, None) for i, s in (("a", "x"), ("b", "y"))],
                                                listing.SOURCE_GIT)
    mask, _ = ListingFilter(path_glob="hw/").apply(pending)
    assert mask == [False, False]  # paths not known yet never match a path filter


def test_listing_answer_travels_in_slices(scenario: Scenario, monkeypatch):
    divergence, full = compute_listing(scenario.path, DOWNSTREAM, UPSTREAM, QUEUE)
    monkeypatch.setattr(listing, "SLICE_ROWS", 3)
    out = io.BytesIO()
    write_listing_answer(out, divergence, full)
    loads: list[int] = []

    def load(stream):
        loads.append(1)
        return pickle.load(stream)

    again, copy = read_listing_answer(out.getvalue(), load)
    assert len(loads) == 1 + 3  # a header and three slices of (at most) three rows
    assert again.to_json() == divergence.to_json()
    for name in ("ids", "states", "subjects_folded", "ranks", "index", "queued_source", "queue_positions"):
        assert getattr(copy, name) == getattr(full, name), name


@pytest.mark.parametrize("rows", [0, 1, 5])
def test_pending_columns_of_any_size(rows):
    made = DownstreamListing.pending_columns([(f"{i:040x}", f"s{i}", "N", "E", i, None) for i in range(rows)], "x")
    assert len(made) == rows and made.index == {f"{i:040x}": i for i in range(rows)}
