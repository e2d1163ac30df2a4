"""The operation log against another git: random picks, undos, redos (forced or not) and moves of the
queue branch made behind uq's back, checked step by step against a model of the two stacks.

Whatever another git did, undoing everything (forced where asked) must bring the repository back
exactly to where it started, and nothing the other git made may be lost on the way: each of its
moves is logged and can be brought back.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.builder import RepoBuilder
from tests.test_pick import QUEUE, assert_fsck_clean, git, make_scenario, pick, snapshot
from uqgui.cli import main
from uqgui.core.errors import NothingToUndoError, RefMovedError, UqError
from uqgui.core.oplog import OperationLog

POOL = 4
Tip = str | None
Entry = tuple[Tip, Tip]  # an operation as the queue branch sees it: (before, after)

_step = st.one_of(
    st.tuples(st.just("pick"), st.integers(0, POOL - 1)),
    st.tuples(st.just("undo"), st.booleans()),
    st.tuples(st.just("redo"), st.booleans()),
    st.tuples(st.just("outside"), st.sampled_from(["delete", "base", "fresh", "parent"])),
)


def _tip(path: Path) -> Tip:
    return git(path, "rev-parse", "--verify", "-q", QUEUE, check=False).strip() or None


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_step, min_size=1, max_size=12))
# The stale redo a second forced undo used to leave behind (session 6's hunt), and an undo another
# git had already made.
@example(steps=[("pick", 0), ("outside", "fresh"), ("undo", True), ("redo", False), ("outside", "delete"),
                ("undo", True), ("redo", False), ("redo", False)])
@example(steps=[("pick", 0), ("outside", "parent"), ("undo", False), ("redo", False)])
def test_another_gits_moves_are_never_lost_and_undo_all_returns_to_the_start(steps: list[tuple[object, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        s = make_scenario(RepoBuilder(Path(tmp) / "repo"), features=POOL, add_profile=False)
        start = snapshot(s.path)
        assert main(["--repo", str(s.path), "profile", "add", "master", "--downstream", "downstream",
                     "--upstream", "upstream"]) == 0
        base = s.upstream[1]
        state: Tip = base
        undo_stack: list[Entry] = [(None, base)]  # the profile add created the branch
        redo_stack: list[Entry] = []
        fresh = 0

        def logged() -> Tip:
            """Where the log last left the branch (what uq compares the branch with)."""
            return undo_stack[-1][1] if undo_stack else redo_stack[-1][0] if redo_stack else None

        for step in steps:
            kind = step[0]
            if kind == "outside":
                how = step[1]
                if how == "delete":
                    if state is not None:
                        git(s.path, "update-ref", "-d", QUEUE)
                    state = None
                elif how == "base":
                    git(s.path, "update-ref", QUEUE, base)
                    state = base
                elif how == "parent":
                    if state is None or state == base:
                        continue
                    state = git(s.path, "rev-parse", f"{state}~1").strip()
                    git(s.path, "update-ref", QUEUE, state)
                else:
                    fresh += 1
                    state = s.builder.commit(f"theirs {fresh}\n", {f"theirs-{fresh}.c": f"{fresh}\n"},
                                             parents=[state or base])
                    git(s.path, "update-ref", QUEUE, state)
            elif kind == "pick":
                feature = s.features[int(step[1])]  # type: ignore[call-overload]
                try:
                    pick(s, [feature])
                except UqError:
                    assert _tip(s.path) == state  # refused (no branch, already queued): nothing moved
                    continue
                if logged() != state:  # the other git's move is logged first, as an operation of its own
                    undo_stack.append((logged(), state))
                undo_stack.append((state, _tip(s.path)))
                redo_stack.clear()
                state = _tip(s.path)
            else:
                forced = bool(step[1])
                stack = undo_stack if kind == "undo" else redo_stack
                log = OperationLog(s.repo)
                try:
                    if not stack:
                        with pytest.raises(NothingToUndoError):
                            log.undo(forced) if kind == "undo" else log.redo(forced)
                        continue
                    before, after = stack[-1]
                    start_of, end_of = (after, before) if kind == "undo" else (before, after)
                    if state not in (start_of, end_of) and not forced:
                        with pytest.raises(RefMovedError):
                            log.undo() if kind == "undo" else log.redo()
                        assert _tip(s.path) == state
                        continue
                    log.undo(forced) if kind == "undo" else log.redo(forced)
                finally:
                    log.close()
                entry = stack.pop()
                if kind == "undo":
                    if state not in (start_of, end_of):  # forced over another git's move: kept, to redo after
                        redo_stack.clear()
                        redo_stack.append((after, state))
                    redo_stack.append(entry)
                else:
                    undo_stack.append(entry if state in (start_of, end_of) else (state, after))
                state = end_of
            assert _tip(s.path) == state, (step, state)

        # Undoing all ends where the first operation started: where the profile add found no branch,
        # or where another git had put it before a forced redo of that add (undo brings that back).
        # With nothing left to undo, a move another git made since was never seen by uq: it stays.
        unseen = undo_stack[0][0] if undo_stack else state
        log = OperationLog(s.repo)
        try:
            for _ in range(100):
                try:
                    log.undo(force=True)
                except NothingToUndoError:
                    break
        finally:
            log.close()
        assert _tip(s.path) == unseen
        if unseen is not None:
            git(s.path, "update-ref", "-d", QUEUE)
        assert snapshot(s.path) == start  # refs, config bytes, HEAD, index, work tree
        assert_fsck_clean(s.path)
