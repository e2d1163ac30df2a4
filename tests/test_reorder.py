"""Reordering the queue: an in-memory replay from the first moved commit, one undo step."""

from __future__ import annotations

import pytest

from tests.builder import RepoBuilder
from tests.test_pick import (QUEUE, Scenario, assert_fsck_clean, git, make_scenario, pick, queue_subjects,
                             queue_tip, snapshot, uq)


@pytest.fixture
def queued(builder: RepoBuilder) -> Scenario:
    """The pick scenario with four features queued (no conflicts between them)."""
    s = make_scenario(builder)
    pick(s, s.features[:4])
    return s


def queue_ids(s: Scenario) -> list[str]:
    """The queue's commit ids, oldest first."""
    return git(s.path, "rev-list", "--reverse", f"upstream..{QUEUE}").split()


def test_reorder_replays_from_the_first_moved_commit(queued: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Swapping the top two keeps the two below untouched (same ids) and keeps each patch's tree change."""
    before = queue_ids(queued)
    outside = snapshot(queued.path)
    new_order = [before[0], before[1], before[3], before[2]]
    rc, out, err = uq(capsys, queued.path, "reorder", *new_order)
    assert rc == 0, err
    after = queue_ids(queued)
    assert after[:2] == before[:2]
    assert queue_subjects(queued.path) == [f"feature {i}: add feature-{i}.c" for i in (0, 1, 3, 2)]
    # The final tree is the same: the same four files were added, only the order changed.
    assert git(queued.path, "rev-parse", f"{after[-1]}^{{tree}}") == git(queued.path, "rev-parse", f"{before[-1]}^{{tree}}")
    # Nothing outside the queue branch moved: HEAD, index, work tree, other refs.
    now = snapshot(queued.path)
    assert now["HEAD"] == outside["HEAD"] and now["index"] == outside["index"] and now["files"] == outside["files"]
    assert_fsck_clean(queued.path)


def test_reorder_is_one_undo_step(queued: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Undo puts the queue back exactly; redo puts the reordered tip back."""
    tip = queue_tip(queued.path)
    ids = queue_ids(queued)
    assert uq(capsys, queued.path, "reorder", *reversed(ids))[0] == 0
    reordered = queue_tip(queued.path)
    assert reordered != tip
    assert uq(capsys, queued.path, "undo")[0] == 0
    assert queue_tip(queued.path) == tip
    assert uq(capsys, queued.path, "redo")[0] == 0
    assert queue_tip(queued.path) == reordered


@pytest.mark.parametrize("change", ["missing", "duplicate", "foreign", "same"])
def test_bad_orders_are_refused_and_change_nothing(queued: Scenario, capsys: pytest.CaptureFixture[str],
                                                   change: str) -> None:
    """An order that is not a true reordering of the current queue is refused with a clear message."""
    ids = queue_ids(queued)
    order = {"missing": ids[:-1], "duplicate": ids[:-1] + [ids[0]], "foreign": ids[:-1] + [queued.vl_change],
             "same": ids}[change]
    tip = queue_tip(queued.path)
    rc, out, err = uq(capsys, queued.path, "reorder", *order)
    assert rc == 1 and "Traceback" not in err and "othing" in err
    assert queue_tip(queued.path) == tip
    # The message says what is wrong with this order, in the order's own terms.
    said = {"missing": f"leaves out {ids[-1][:12]}", "duplicate": f"names {ids[0][:12]} more than once",
            "foreign": f"{queued.vl_change[:12]} is not in the queue", "same": "already has"}[change]
    assert said in err


def test_reorder_conflict_changes_nothing(builder: RepoBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    """Two queue commits editing the same line cannot swap: exit 3, the commit and path named."""
    s = make_scenario(builder)
    pick(s, [s.vl_change])
    fix = s.builder.commit("vl: reword again\n", {"vl.c": "line 1\nline 2 (again)\nline 3\n"},
                           parents=[queue_tip(s.path)])
    git(s.path, "update-ref", QUEUE, fix)
    ids = queue_ids(s)
    rc, out, err = uq(capsys, s.path, "reorder", "--json", ids[1], ids[0])
    assert rc == 3 and '"vl.c"' in out
    assert "Try another order" in out and "Pick it" not in out  # a reorder's way out, not a pick's
    assert queue_tip(s.path) == fix
