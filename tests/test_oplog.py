"""The operation log: undo/redo put refs back exactly, and a killed process never leaves a broken queue."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.builder import RepoBuilder
from tests.test_pick import (QUEUE, Scenario, assert_fsck_clean, git, make_scenario, pick, queue_subjects,
                             queue_tip, refs_of, snapshot, uq)
from uqgui.cli import main
from uqgui.core.errors import NothingToUndoError, RefMovedError, UqError
from uqgui.core.oplog import ABORTED, DISCARDED, DONE, INTERRUPTED, PENDING, UNDONE, OperationLog
from uqgui.core.repo import Repo

POOL = 5  # downstream commits, each adding its own file, so any order of picks applies cleanly


# -- the property: any sequence of picks, undos and redos, then undo all = where we started ----------

_step = st.one_of(
    st.tuples(st.just("pick"), st.lists(st.integers(0, POOL - 1), min_size=1, max_size=3), st.integers(0, 50)),
    st.tuples(st.just("undo")),
    st.tuples(st.just("redo")),
)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_step, min_size=1, max_size=10))
# Sequences random search finds rarely: redo after a new operation ended the redo stack, and
# picking while the queue branch itself has been undone away.
@example(steps=[("pick", [0], 0), ("undo",), ("pick", [1], 0), ("undo",), ("redo",), ("redo",)])
@example(steps=[("undo",), ("pick", [0], 0), ("undo",), ("redo",), ("pick", [0, 1], 0), ("pick", [2], 1),
                ("pick", [0], 3), ("undo",), ("redo",)])
def test_random_picks_undos_and_redos_then_undo_all_returns_exactly_to_the_start(
        steps: list[tuple[object, ...]]) -> None:
    """A model of the undo/redo stacks predicts the queue after every step; undoing all restores everything."""
    with tempfile.TemporaryDirectory() as tmp:
        s = make_scenario(RepoBuilder(Path(tmp) / "repo"), features=POOL, add_profile=False)
        start = snapshot(s.path)
        assert main(["--repo", str(s.path), "profile", "add", "master", "--downstream", "downstream",
                     "--upstream", "upstream"]) == 0
        # Model states: (queue exists, subjects in the queue). The profile add is the first operation.
        state: tuple[bool, tuple[str, ...]] = (True, ())
        undo_stack: list[tuple[bool, tuple[str, ...]]] = [(False, ())]
        redo_stack: list[tuple[bool, tuple[str, ...]]] = []
        for step in steps:
            if step[0] == "pick":
                indices, raw_position = step[1], step[2]
                assert isinstance(indices, list) and isinstance(raw_position, int)
                if not state[0]:
                    with pytest.raises(UqError, match="does not exist"):
                        pick(s, [s.features[i] for i in indices])
                    continue
                position = raw_position % (len(state[1]) + 1)
                subjects = [f"feature {i}: add feature-{i}.c" for i in indices]
                if len(set(indices)) != len(indices) or set(subjects) & set(state[1]):
                    # A change already in the queue is refused, as git cherry-pick refuses it.
                    before = queue_tip(s.path)
                    with pytest.raises(UqError, match="already"):
                        pick(s, [s.features[i] for i in indices], position)
                    assert queue_tip(s.path) == before
                    continue
                pick(s, [s.features[i] for i in indices], position)
                undo_stack.append(state)
                redo_stack.clear()
                state = (True, state[1][:position] + tuple(subjects) + state[1][position:])
            elif step[0] == "undo":
                log = OperationLog(s.repo)
                try:
                    if not undo_stack:
                        with pytest.raises(NothingToUndoError):
                            log.undo()
                        continue
                    log.undo()
                finally:
                    log.close()
                redo_stack.append(state)
                state = undo_stack.pop()
            else:
                log = OperationLog(s.repo)
                try:
                    if not redo_stack:
                        with pytest.raises(NothingToUndoError):
                            log.redo()
                        continue
                    log.redo()
                finally:
                    log.close()
                undo_stack.append(state)
                state = redo_stack.pop()
            exists = git(s.path, "rev-parse", "--verify", "-q", QUEUE, check=False) != ""
            assert exists == state[0]
            if exists:
                assert tuple(queue_subjects(s.path)) == state[1]
        log = OperationLog(s.repo)
        try:
            while True:
                try:
                    log.undo()
                except NothingToUndoError:
                    break
        finally:
            log.close()
        assert snapshot(s.path) == start  # refs, config bytes, HEAD, index, work tree
        assert_fsck_clean(s.path)


# -- undo and redo through the command line ----------------------------------------------------------

@pytest.fixture
def scenario(builder: RepoBuilder) -> Scenario:
    """The standard queue scenario."""
    return make_scenario(builder)


def test_undo_and_redo_a_pick(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Undo puts the queue back where it was; redo puts the very same commits back."""
    s = scenario
    old = queue_tip(s.path)
    rc, out, _ = uq(capsys, s.path, "pick", s.features[0], s.features[1])
    assert rc == 0 and out.startswith("Done: pick 2 commits at position 0 of uq/master")
    new = queue_tip(s.path)
    rc, out, _ = uq(capsys, s.path, "undo", "--json")
    assert rc == 0 and json.loads(out)["state"] == UNDONE and queue_tip(s.path) == old
    rc, out, _ = uq(capsys, s.path, "redo")
    assert rc == 0 and out == "Redid: pick 2 commits at position 0 of uq/master\n" and queue_tip(s.path) == new
    reflog = git(s.path, "reflog", "show", "--format=%gs", QUEUE)
    assert reflog.splitlines()[:3] == ["uq redo: pick 2 commits at position 0 of uq/master",
                                       "uq undo: pick 2 commits at position 0 of uq/master",
                                       "uq do: pick 2 commits at position 0 of uq/master"]


def test_undo_after_another_git_moved_the_branch_refuses_unless_forced(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """The user's own move is not silently thrown away."""
    s = scenario
    uq(capsys, s.path, "pick", s.features[0])
    picked = queue_tip(s.path)
    theirs = s.builder.commit("their own commit\n", {"theirs.c": "x\n"}, parents=[picked])
    git(s.path, "update-ref", QUEUE, theirs)
    rc, out, err = uq(capsys, s.path, "undo")
    assert rc == 1 and out == ""
    assert f"{QUEUE} (now {theirs[:12]}) changed since" in err and "Use --force to undo anyway" in err
    assert queue_tip(s.path) == theirs
    rc, out, _ = uq(capsys, s.path, "undo", "--force")
    assert rc == 0 and queue_tip(s.path) == s.upstream[1]
    assert out.startswith("Undid: pick 1 commit") and "kept as #3: `uq redo` twice brings it back" in out
    assert theirs in git(s.path, "reflog", "show", "--format=%H", QUEUE)  # still findable, never deleted
    log = OperationLog(s.repo)
    try:
        ops = {op.id: (op.command, op.state) for op in log.operations()}
        # The pick is undone, and the other git's change is an undone operation above it: undo goes
        # on below (#1, the profile), redo brings back the pick, then their commit.
        assert ops == {1: ("profile-add", DONE), 2: ("pick", UNDONE), 3: ("outside", UNDONE)}
        assert log.can_undo().id == 1 and log.can_redo().id == 2
    finally:
        log.close()
    rc, _, _ = uq(capsys, s.path, "redo")
    assert rc == 0 and queue_tip(s.path) == picked
    rc, _, _ = uq(capsys, s.path, "redo")
    assert rc == 0 and queue_tip(s.path) == theirs
    assert_fsck_clean(s.path)


def test_a_forced_redo_starts_the_operation_from_the_outside_change(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Redone over another git's move, the operation records that it now starts there: undo brings it back."""
    s = scenario
    uq(capsys, s.path, "pick", s.features[0])
    picked = queue_tip(s.path)
    uq(capsys, s.path, "undo")
    theirs = s.builder.commit("their own commit\n", {"theirs.c": "x\n"}, parents=[s.upstream[1]])
    git(s.path, "update-ref", QUEUE, theirs)
    rc, _, err = uq(capsys, s.path, "redo")
    assert rc == 1 and "changed since" in err
    rc, out, _ = uq(capsys, s.path, "redo", "--force")
    assert rc == 0 and out.startswith("Redid: pick 1 commit") and "`uq undo` brings that back" in out
    assert queue_tip(s.path) == picked
    log = OperationLog(s.repo)
    try:
        assert [(op.command, op.state) for op in log.operations()] == [("profile-add", DONE), ("pick", DONE)]
        assert log.operations()[1].refs[0].old == theirs
    finally:
        log.close()
    rc, _, _ = uq(capsys, s.path, "undo")
    assert rc == 0 and queue_tip(s.path) == theirs
    assert_fsck_clean(s.path)


def test_a_forced_redo_keeps_what_can_be_redone_after_it(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    s = scenario
    for feature in s.features[:3]:
        uq(capsys, s.path, "pick", feature)
    tips = [queue_tip(s.path)]
    for _ in range(3):
        uq(capsys, s.path, "undo")
    git(s.path, "update-ref", QUEUE, s.builder.commit("theirs\n", {"t.c": "t\n"}, parents=[s.upstream[1]]))
    rc, out, _ = uq(capsys, s.path, "redo", "--force", "--json")
    assert rc == 0 and json.loads(out)["forced_over"] is True and "kept" not in json.loads(out)
    for _ in range(2):
        rc, _, err = uq(capsys, s.path, "redo")
        assert rc == 0, err
    assert queue_tip(s.path) == tips[0]


@pytest.mark.parametrize("which", ["undo", "redo"])
def test_a_refused_forced_step_changes_nothing_in_the_log_either(
        scenario: Scenario, capsys: pytest.CaptureFixture[str], tmp_path: Path, which: str) -> None:
    """A forced undo or redo refused (the branch checked out in a work tree) logs no outside change,
    ends no redo history, and leaves its operation as it was."""
    s = scenario
    uq(capsys, s.path, "pick", s.features[0])
    uq(capsys, s.path, "pick", s.features[1])
    uq(capsys, s.path, "undo")
    if which == "redo":
        uq(capsys, s.path, "undo")
    git(s.path, "update-ref", QUEUE, s.builder.commit("theirs\n", {"t.c": "t\n"}, parents=[s.upstream[1]]))
    git(s.path, "worktree", "add", "-q", str(tmp_path / "wt"), "uq/master")
    log = OperationLog(s.repo)
    try:
        before = [(op.id, op.state, op.refs) for op in log.operations()]
    finally:
        log.close()
    rc, _, err = uq(capsys, s.path, which, "--force")
    assert rc == 1 and "checked out" in err and "Nothing was changed" in err
    log = OperationLog(s.repo)
    try:
        assert [(op.id, op.state, op.refs) for op in log.operations()] == before
    finally:
        log.close()
    # The number the refused step's note took is free again: the log shows no gap.
    git(s.path, "worktree", "remove", "--force", str(tmp_path / "wt"))
    rc, _, err = uq(capsys, s.path, "profile", "add", "other", "--downstream", "downstream",
                      "--upstream", "upstream")
    assert rc == 0, err
    log = OperationLog(s.repo)
    try:
        ids = [op.id for op in log.operations()]
        assert ids == list(range(1, len(ids) + 1))
    finally:
        log.close()


def test_a_second_forced_undo_ends_what_an_earlier_one_left_to_redo(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Redo after a forced undo brings back the latest outside change, never an older one it replaced."""
    s = scenario
    uq(capsys, s.path, "pick", s.features[0])
    picked = queue_tip(s.path)
    first = s.builder.commit("their first move\n", {"a.c": "a\n"}, parents=[s.upstream[1]])
    git(s.path, "update-ref", QUEUE, first)
    assert uq(capsys, s.path, "undo", "--force")[0] == 0  # their first move: kept, undone
    assert uq(capsys, s.path, "redo")[0] == 0 and queue_tip(s.path) == picked  # the pick again
    git(s.path, "update-ref", "-d", QUEUE)  # then another git deletes the branch
    rc, out, err = uq(capsys, s.path, "undo", "--force")
    assert rc == 0 and "`uq redo` twice brings it back" in out, err
    log = OperationLog(s.repo)
    try:
        states = [(op.command, op.state) for op in log.operations()]
        # The first outside move could be redone after the pick until the branch was deleted: no more.
        assert states == [("profile-add", DONE), ("pick", UNDONE), ("outside", DISCARDED), ("outside", UNDONE)]
    finally:
        log.close()
    for expected in (picked, None):
        rc, _, err = uq(capsys, s.path, "redo")
        assert rc == 0, err
        found = subprocess.run(["git", "-C", str(s.path), "rev-parse", "--verify", "-q", QUEUE],
                               capture_output=True, text=True, check=False).stdout.strip() or None
        assert found == expected
    rc, _, err = uq(capsys, s.path, "redo")
    assert rc == 1 and "nothing to redo" in err.lower()


def test_a_pick_over_another_gits_move_logs_that_move_first(scenario: Scenario,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Undo then goes back through the other git's change, not over it: nothing is lost, nothing forced."""
    s = scenario
    uq(capsys, s.path, "pick", s.features[0])
    mine = queue_tip(s.path)
    theirs = s.builder.commit("theirs\n", {"t.c": "t\n"}, parents=[s.upstream[1]])
    git(s.path, "update-ref", QUEUE, theirs)
    rc, _, err = uq(capsys, s.path, "pick", s.features[1])
    assert rc == 0, err
    log = OperationLog(s.repo)
    try:
        assert [op.command for op in log.operations()] == ["profile-add", "pick", "outside", "pick"]
    finally:
        log.close()
    for expected in (theirs, mine, s.upstream[1]):
        rc, _, err = uq(capsys, s.path, "undo")
        assert rc == 0 and queue_tip(s.path) == expected, err
    for _ in range(3):
        assert uq(capsys, s.path, "redo")[0] == 0
    assert queue_subjects(s.path)[-1].startswith("feature 1")


def test_a_forced_undo_that_deletes_a_branch_with_the_users_work_can_be_undone(
        builder: RepoBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    """Undoing `profile add` anyway deletes the branch it created, even with commits made on it since:
    redo brings the profile back, and redo again the commits made on its branch."""
    s = make_scenario(builder)
    rc, _, err = uq(capsys, s.path, "profile", "add", "mine", "--downstream", "downstream",
                    "--upstream", "upstream")
    assert rc == 0, err
    mine = "refs/heads/uq/mine"
    work = s.builder.commit("my work\n", {"work.c": "mine\n"}, parents=[git(s.path, "rev-parse", mine).strip()])
    git(s.path, "update-ref", mine, work)  # the user commits on the new queue branch
    rc, _, err = uq(capsys, s.path, "undo")
    assert rc == 1 and "changed since" in err
    rc, out, err = uq(capsys, s.path, "undo", "--force", "--json")
    assert rc == 0 and json.loads(out)["kept"] == json.loads(out)["id"] + 1, err  # the outside change, above it
    assert json.loads(out)["forced_over"] is True
    assert subprocess.run(["git", "-C", str(s.path), "rev-parse", "--verify", "-q", mine],
                          capture_output=True, check=False).returncode != 0  # the branch is gone, reflog and all
    assert "uq.mine.branch" not in git(s.path, "config", "--list")
    for _ in range(2):  # the profile, then the commit made on its branch
        rc, _, err = uq(capsys, s.path, "redo")
        assert rc == 0, err
    assert git(s.path, "rev-parse", mine).strip() == work
    assert git(s.path, "config", "uq.mine.branch").strip() == "uq/mine"
    assert_fsck_clean(s.path)


def test_oplog_human_and_json(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Every operation with its state and ref moves; JSON has the refs before/after and the events."""
    s = scenario
    base = queue_tip(s.path)
    uq(capsys, s.path, "pick", s.features[0])
    tip = queue_tip(s.path)
    uq(capsys, s.path, "undo")
    rc, out, _ = uq(capsys, s.path, "oplog")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].startswith("#1 ")
    assert lines[0].endswith(" done      add profile master, creating uq/master at upstream")
    assert lines[1] == f"      {QUEUE}: none -> {base[:12]}"
    assert lines[2] == "      config [uq.master]: none -> 3 entries"
    assert lines[3].startswith("#2 ") and lines[3].endswith(" undone    pick 1 commit at position 0 of uq/master")
    assert lines[4] == f"      {QUEUE}: {base[:12]} -> {tip[:12]}"
    rc, out, _ = uq(capsys, s.path, "oplog", "--json")
    data = json.loads(out)
    assert [(o["id"], o["command"], o["state"]) for o in data["operations"]] == [
        (1, "profile-add", DONE), (2, "pick", UNDONE)]
    assert data["operations"][1]["refs"] == [{"name": QUEUE, "old": base, "new": tip}]
    assert data["operations"][0]["config"][0]["section"] == "uq.master"
    assert data["operations"][0]["config"][0]["old"] is None
    assert [(e["operation"], e["action"]) for e in data["events"]] == [(1, "do"), (2, "do"), (2, "undo")]
    assert all(isinstance(o["time"], float) and o["time"] > 1e9 for o in data["operations"])


def test_empty_oplog(builder: RepoBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    """A repository without operations says so."""
    builder.commit("x\n", {"a": "1\n"}, ref="refs/heads/master")
    rc, out, _ = uq(capsys, builder.path, "oplog")
    assert rc == 0 and out == "The operation log is empty.\n"
    rc, out, _ = uq(capsys, builder.path, "oplog", "--json")
    assert json.loads(out) == {"operations": [], "events": []}


def test_a_log_written_before_intents_existed_still_opens(scenario: Scenario) -> None:
    """The log's schema grows in place: an older file without the intent column is migrated."""
    s = scenario
    path = s.path / ".git" / "uqgui" / "oplog.sqlite"
    db = sqlite3.connect(path)
    db.executescript(  # the table as the first version wrote it
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, command TEXT NOT NULL, "
        "description TEXT NOT NULL, refs TEXT NOT NULL, config TEXT NOT NULL, state TEXT NOT NULL);"
        "INSERT INTO t SELECT id, time, command, description, refs, config, state FROM operations;"
        "DROP TABLE operations; ALTER TABLE t RENAME TO operations;")
    # An old pending pick, its process long dead, whose ref never moved.
    tip = queue_tip(s.path)
    refs = json.dumps([{"name": QUEUE, "old": tip, "new": s.upstream[0]}])
    db.execute("INSERT INTO operations (time, command, description, refs, config, state) VALUES (?,?,?,?,?,?)",
               (1.0, "pick", "an old pick", refs, "[]", PENDING))
    db.commit()
    db.close()
    log = OperationLog(s.repo)
    assert [o.state for o in log.operations()] == [DONE, ABORTED]
    log.undo()
    log.close()
    assert git(s.path, "rev-parse", "--verify", "-q", QUEUE, check=False) == ""


def test_branch_checked_out_in_a_work_tree_is_not_moved(scenario: Scenario, capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    """Moving a checked-out branch would change that work tree behind its back: refused."""
    s = scenario
    wt = tmp_path / "wt"
    git(s.path, "worktree", "add", "-q", str(wt), "uq/master")
    before = refs_of(s.path)
    rc, _, err = uq(capsys, s.path, "pick", s.features[0])
    assert rc == 1 and f"uq/master is checked out in {wt}" in err
    assert refs_of(s.path) == before
    assert git(wt, "status", "--porcelain") == ""
    rc, _, err = uq(capsys, s.path, "undo")  # undoing the profile add would delete it: refused too
    assert rc == 1 and "checked out" in err and refs_of(s.path) == before
    # The refused pick is in the log, but as what it was: nothing moved, so no arrows.
    rc, out, _ = uq(capsys, s.path, "oplog")
    refused = out.split("aborted")[1].splitlines()
    assert rc == 0 and refused[1].strip() == "refused: nothing was changed" and "->" not in refused[1]


# -- processes killed in the middle ------------------------------------------------------------

def _start_paused(path: Path, stage: str, *args: str) -> subprocess.Popen[bytes]:
    """Run `uq` in a real subprocess that stops at STAGE (UQ_TEST_PAUSE_AT) and wait until it is there."""
    env = dict(os.environ, UQ_TEST_PAUSE_AT=stage)
    proc = subprocess.Popen([sys.executable, "-m", "uqgui.cli", "--repo", str(path), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    line = proc.stderr.readline().decode()
    if line.strip() != f"uq: paused at {stage}":
        proc.kill()
        raise AssertionError(f"uq did not pause at {stage}: {line}{proc.stderr.read().decode()}")
    return proc


def _kill(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def _uq_json(path: Path, *args: str) -> dict[str, object]:
    """Run `uq ... --json` in a fresh process (nothing cached) and parse its output."""
    proc = subprocess.run([sys.executable, "-m", "uqgui.cli", "--repo", str(path), *args, "--json"],
                          capture_output=True, check=True, timeout=60)
    return dict(json.loads(proc.stdout))


@pytest.mark.parametrize("stage", ["before-refs", "after-refs"])
def test_pick_killed_midway_leaves_the_queue_before_or_after(scenario: Scenario, stage: str) -> None:
    """SIGKILL at either side of the ref move: the queue is one of the two, the log knows which."""
    s = scenario
    uq_first = pick(s, [s.features[0]])
    before = queue_tip(s.path)
    proc = _start_paused(s.path, stage, "pick", "--at", "0", *s.features[1:5])
    try:
        # While it lives it holds the lock: a reader sees the pick pending and leaves it alone.
        ops = _uq_json(s.path, "oplog")["operations"]
        assert isinstance(ops, list) and ops[-1]["state"] == PENDING and ops[-1]["intent"] == "do"
        with pytest.raises(UqError, match=f"Another uq operation is running on this repository \\(pid {proc.pid}\\)"):
            log = OperationLog(s.repo)
            try:
                with log.lock(timeout=0.2):
                    pass
            finally:
                log.close()
    finally:
        _kill(proc)
    planned = ops[-1]["refs"][0]  # type: ignore[index]
    assert planned["old"] == before
    after = planned["new"]
    assert queue_tip(s.path) == (before if stage == "before-refs" else after)
    assert_fsck_clean(s.path)
    ops = _uq_json(s.path, "oplog")["operations"]
    assert isinstance(ops, list)
    assert ops[-1]["state"] == (ABORTED if stage == "before-refs" else DONE) and ops[-1]["intent"] is None
    undone = _uq_json(s.path, "undo")
    if stage == "before-refs":
        # The aborted pick is not undoable: undo takes back the pick before it.
        assert undone["description"] == "pick 1 commit at position 0 of uq/master"
        assert queue_tip(s.path) == s.upstream[1] != uq_first["tip"]
    else:
        assert undone["description"] == "pick 4 commits at position 0 of uq/master"
        assert queue_tip(s.path) == before
    assert_fsck_clean(s.path)


def test_profile_add_killed_between_refs_and_config_is_rolled_back(builder: RepoBuilder) -> None:
    """The branch was created, the config not yet written: the next uq deletes the branch again."""
    s = make_scenario(builder)
    refs, config = refs_of(s.path), (s.path / ".git" / "config").read_bytes()
    proc = _start_paused(s.path, "after-refs", "profile", "add", "stable", "--downstream", "downstream",
                         "--upstream", "upstream~1")
    assert git(s.path, "rev-parse", "uq/stable").strip() == s.upstream[0]  # half done
    _kill(proc)
    data = _uq_json(s.path, "oplog")
    ops, events = data["operations"], data["events"]
    assert isinstance(ops, list) and isinstance(events, list)
    assert ops[-1]["state"] == ABORTED and events[-1]["action"] == "do-abort"
    assert refs_of(s.path) == refs and (s.path / ".git" / "config").read_bytes() == config
    assert not list((s.path / ".git").glob("config.lock"))


def test_undo_killed_after_the_refs_moved_is_completed(scenario: Scenario) -> None:
    """An undo whose refs already moved (and which has no config to write) did happen."""
    s = scenario
    old = queue_tip(s.path)
    pick(s, s.features[:2])
    proc = _start_paused(s.path, "after-refs", "undo")
    _kill(proc)
    assert queue_tip(s.path) == old
    ops = _uq_json(s.path, "oplog")["operations"]
    assert isinstance(ops, list) and ops[-1]["state"] == UNDONE
    redone = _uq_json(s.path, "redo")
    assert redone["state"] == DONE and queue_subjects(s.path) == ["feature 0: add feature-0.c",
                                                                 "feature 1: add feature-1.c"]


def test_undo_of_profile_add_killed_halfway_is_rolled_back(scenario: Scenario) -> None:
    """Branch deleted but config not yet restored: the branch comes back, the profile stays added."""
    s = scenario
    tip, config = queue_tip(s.path), (s.path / ".git" / "config").read_bytes()
    proc = _start_paused(s.path, "after-refs", "undo")
    assert git(s.path, "rev-parse", "--verify", "-q", QUEUE, check=False) == ""  # half undone
    _kill(proc)
    data = _uq_json(s.path, "oplog")
    ops, events = data["operations"], data["events"]
    assert isinstance(ops, list) and isinstance(events, list)
    assert ops[-1]["state"] == DONE and events[-1]["action"] == "undo-abort"
    assert queue_tip(s.path) == tip and (s.path / ".git" / "config").read_bytes() == config
    _uq_json(s.path, "undo")  # and now it can be undone for real
    assert git(s.path, "rev-parse", "--verify", "-q", QUEUE, check=False) == ""
    assert b"uq \"master\"" not in (s.path / ".git" / "config").read_bytes()


def test_killed_pick_whose_branch_then_moved_elsewhere_is_left_alone(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Refs matching neither side: nothing is touched, the op is marked interrupted, undo is careful."""
    s = scenario
    pick(s, [s.features[0]])
    first = queue_tip(s.path)
    proc = _start_paused(s.path, "after-refs", "pick", s.features[1])
    _kill(proc)
    theirs = s.builder.commit("their own commit\n", {"theirs.c": "x\n"}, parents=[first])
    git(s.path, "update-ref", QUEUE, theirs)
    ops = _uq_json(s.path, "oplog")["operations"]
    assert isinstance(ops, list) and ops[-1]["state"] == INTERRUPTED
    assert queue_tip(s.path) == theirs
    rc, _, err = uq(capsys, s.path, "undo")  # would undo the first pick: the branch is not where it left it
    assert rc == 1 and "changed since" in err and queue_tip(s.path) == theirs
    log = OperationLog(s.repo)
    assert [e["action"] for e in log.events()][-1] == "do-interrupt"
    log.close()
    assert_fsck_clean(s.path)


def test_refused_undo_changes_nothing_in_the_log(scenario: Scenario) -> None:
    """A refused undo leaves the operation done and undoable later."""
    s = scenario
    pick(s, [s.features[0]])
    tip = queue_tip(s.path)
    git(s.path, "update-ref", QUEUE, s.upstream[0])
    log = OperationLog(Repo(s.path))
    with pytest.raises(RefMovedError):
        log.undo()
    assert log.operations()[-1].state == DONE and log.operations()[-1].intent is None
    git(s.path, "update-ref", QUEUE, tip)
    assert log.undo().state == UNDONE
    log.close()


def test_a_forced_undo_is_only_for_the_operation_asked_about(scenario: Scenario) -> None:
    """"Undo anyway" names the operation the user saw; after another undo it refuses instead of forcing the next."""
    s = scenario
    pick(s, [s.features[0]])
    pick(s, [s.features[1]])
    log = OperationLog(s.repo)
    try:
        first, second = [op.id for op in log.operations()][-2:]
        theirs = s.builder.commit("theirs\n", {"t.c": "t\n"}, parents=[queue_tip(s.path)])
        git(s.path, "update-ref", QUEUE, theirs)  # another git moves the branch
        with pytest.raises(RefMovedError) as caught:
            log.undo()
        assert caught.value.operation_id == second
        before = refs_of(s.path)
        with pytest.raises(RefMovedError, match=f"not #{first} that was asked about"):
            log.undo(force=True, expected=first)
        assert refs_of(s.path) == before
        assert log.undo(force=True, expected=second).id == second
    finally:
        log.close()


def test_an_undo_refused_for_a_changed_config_section_says_so(scenario: Scenario,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Only the profile's config moved (edited by hand): the refusal names the configuration, not a branch."""
    s = scenario
    git(s.path, "config", "uq.master.test", "make check")
    rc, _, err = uq(capsys, s.path, "undo")
    assert rc == 1 and err.startswith("uq: Configuration changed meanwhile:")
    assert "config section [uq.master]" in err and "Nothing was changed" in err
    rc, out, _ = uq(capsys, s.path, "oplog")  # the profile's config change is listed with its ref
    assert rc == 0 and "      config [uq.master]: none -> 3 entries" in out


def test_a_refused_pick_over_another_gits_move_leaves_the_log_as_it_was(
        scenario: Scenario, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The outside move is logged only with the pick that follows it: refused, redo is still there."""
    s = scenario
    uq(capsys, s.path, "pick", s.features[0])
    uq(capsys, s.path, "pick", s.features[1])
    uq(capsys, s.path, "undo")
    git(s.path, "update-ref", QUEUE, s.builder.commit("theirs\n", {"t.c": "t\n"}, parents=[s.upstream[1]]))
    git(s.path, "worktree", "add", "-q", str(tmp_path / "wt"), "uq/master")
    rc, _, err = uq(capsys, s.path, "pick", s.features[2])
    assert rc == 1 and "checked out" in err
    log = OperationLog(s.repo)
    try:
        states = [(op.command, op.state) for op in log.operations()]
        assert states == [("profile-add", DONE), ("pick", DONE), ("pick", UNDONE), ("pick", ABORTED)]
    finally:
        log.close()


def test_an_undo_another_git_already_made_is_taken_without_asking(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """The branch moved back by hand to exactly where undo puts it: nothing of the other git's to lose."""
    s = scenario
    uq(capsys, s.path, "pick", s.features[0])
    picked = queue_tip(s.path)
    git(s.path, "update-ref", QUEUE, f"{QUEUE}~1")
    rc, out, err = uq(capsys, s.path, "undo")
    assert rc == 0 and out.startswith("Undid: pick 1 commit"), err
    assert queue_tip(s.path) == s.upstream[1]
    log = OperationLog(s.repo)
    try:
        assert [(op.command, op.state) for op in log.operations()] == [("profile-add", DONE), ("pick", UNDONE)]
    finally:
        log.close()
    git(s.path, "update-ref", QUEUE, picked)  # and the redo, made by hand too
    rc, out, err = uq(capsys, s.path, "redo")
    assert rc == 0 and out.startswith("Redid: pick 1 commit") and queue_tip(s.path) == picked, err
