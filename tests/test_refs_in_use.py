"""Branches a work tree is using (checked out, being rebased or bisected) and symbolic refs are never moved."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.builder import RepoBuilder
from tests.test_pick import QUEUE, Scenario, git, make_scenario, refs_of, uq
from uqgui.core.errors import UqError
from uqgui.core.refs import RefChange, checked_out_branches, update_refs


@pytest.fixture
def scenario(builder: RepoBuilder, capsys: pytest.CaptureFixture[str]) -> Scenario:
    """The standard queue scenario with three features picked into the queue."""
    s = make_scenario(builder)
    for feature in s.features[:3]:
        assert uq(capsys, s.path, "pick", feature)[0] == 0
    return s


def test_a_branch_being_rebased_in_a_work_tree_is_not_moved(scenario: Scenario, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """git rebase detaches HEAD and moves the branch at the end: moving it meanwhile breaks the rebase."""
    s = scenario
    wt = tmp_path / "wt"
    git(s.path, "worktree", "add", "-q", str(wt), "uq/master")
    env = dict(os.environ, GIT_SEQUENCE_EDITOR="sed -i 1s/^pick/edit/")
    subprocess.run(["git", "-C", str(wt), "rebase", "-q", "-i", "upstream"], env=env, check=True,
                   capture_output=True)
    assert git(wt, "rev-parse", "--abbrev-ref", "HEAD").strip() == "HEAD"  # detached while rebasing
    assert checked_out_branches(s.path / ".git")[QUEUE] == f"{wt} (being rebased)"
    before = refs_of(s.path)
    rc, _, err = uq(capsys, s.path, "pick", s.features[4])
    assert rc == 1 and f"uq/master is checked out in {wt} (being rebased)" in err
    assert refs_of(s.path) == before
    rc, _, err = uq(capsys, s.path, "undo")
    assert rc == 1 and "being rebased" in err and refs_of(s.path) == before
    # The rebase still ends as git means it to.
    git(wt, "commit", "-q", "--amend", "-m", "feature 0, amended during the rebase")
    git(wt, "rebase", "--continue")
    assert git(s.path, "log", "-1", "--format=%s", f"{QUEUE}~2") .strip() == "feature 0, amended during the rebase"


def test_a_branch_being_bisected_is_not_moved(scenario: Scenario, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    s = scenario
    wt = tmp_path / "wt"
    git(s.path, "worktree", "add", "-q", str(wt), "uq/master")
    git(wt, "bisect", "start", "uq/master", "upstream")
    assert git(wt, "rev-parse", "--abbrev-ref", "HEAD").strip() == "HEAD"
    before = refs_of(s.path)
    rc, _, err = uq(capsys, s.path, "pick", s.features[4])
    assert rc == 1 and "being bisected" in err and refs_of(s.path) == before
    git(wt, "bisect", "reset")  # back on uq/master: still in use until that work tree leaves it
    git(wt, "switch", "-q", "--detach")
    assert uq(capsys, s.path, "pick", s.features[4])[0] == 0


def test_a_symbolic_ref_is_never_moved_through(scenario: Scenario) -> None:
    """update-ref follows a symbolic ref: the branch it names would move instead."""
    s = scenario
    git(s.path, "symbolic-ref", "refs/heads/uq/sym", QUEUE)
    tip = git(s.path, "rev-parse", QUEUE)
    before = refs_of(s.path)
    with pytest.raises(UqError) as caught:
        update_refs(s.path / ".git", [RefChange("refs/heads/uq/sym", tip, s.upstream[0])], "test")
    assert f"refs/heads/uq/sym is a symbolic ref to {QUEUE}" in caught.value.message
    assert refs_of(s.path) == before


def test_a_branch_a_rebase_will_update_is_not_moved(scenario: Scenario, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`git rebase --update-refs` moves the branches it lists when it ends, as git branch -f knows."""
    s = scenario
    wt = tmp_path / "wt"
    git(s.path, "worktree", "add", "-q", "--detach", str(wt), QUEUE)
    git(wt, "switch", "-q", "-c", "top")  # a branch stacked on the queue: rebasing it updates uq/master too
    git(wt, "commit", "-q", "--allow-empty", "-m", "on top of the queue")
    env = dict(os.environ, GIT_SEQUENCE_EDITOR="sed -i 1s/^pick/edit/")
    subprocess.run(["git", "-C", str(wt), "rebase", "-q", "-i", "--update-refs", "upstream"], env=env, check=True,
                   capture_output=True)
    update_refs_file = (s.path / ".git" / "worktrees" / "wt" / "rebase-merge" / "update-refs")
    assert QUEUE in update_refs_file.read_text()
    assert checked_out_branches(s.path / ".git")[QUEUE] == f"{wt} (being rebased)"
    before = refs_of(s.path)
    rc, _, err = uq(capsys, s.path, "pick", s.features[4])
    assert rc == 1 and "being rebased" in err and refs_of(s.path) == before
