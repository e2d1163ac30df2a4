"""Linked work trees (`git worktree add`): one operation log, lock and cache per clone, not per work tree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.builder import RepoBuilder
from tests.test_pick import QUEUE, Scenario, git, make_scenario, queue_tip, uq
from uqgui.core.history import object_store_fingerprint
from uqgui.core.repo import Repo, common_dir


@pytest.fixture
def scenario(builder: RepoBuilder) -> Scenario:
    """The standard queue scenario (profile `master`), its clone at repo/."""
    return make_scenario(builder)


@pytest.fixture
def linked(scenario: Scenario, tmp_path: Path) -> Path:
    """A linked work tree wtA of the scenario's clone, on its own branch."""
    path = tmp_path / "wtA"
    git(scenario.path, "worktree", "add", "-q", "-b", "wtA", str(path), "upstream")
    return path


def _own_git_dir(scenario: Scenario) -> Path:
    """The linked work tree's own git dir, .git/worktrees/wtA."""
    return (scenario.path / ".git" / "worktrees" / "wtA").resolve()


def test_repo_of_a_linked_work_tree_knows_the_common_dir(scenario: Scenario, linked: Path) -> None:
    """Its git dir is .git/worktrees/wtA; its common dir and uqgui's folder are the main clone's."""
    repo, main = Repo(linked), Repo(scenario.path)
    assert repo.git_dir == _own_git_dir(scenario)
    assert repo.common_dir == main.git_dir == common_dir(repo.git_dir)
    # One folder, hence one operation log and one lock for every work tree sharing the refs.
    assert repo.uq_dir() == main.uq_dir() == main.git_dir / "uqgui"
    assert not (repo.git_dir / "uqgui").exists()


def test_a_pick_in_a_linked_work_tree_is_listed_and_undone_from_the_main_one(
        scenario: Scenario, linked: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Pick in wtA; `uq oplog` in the main work tree lists it and `uq undo` there reverts it."""
    before = queue_tip(scenario.path)
    rc, out, err = uq(capsys, linked, "pick", scenario.features[0])
    assert rc == 0, err
    assert queue_tip(scenario.path) != before
    rc, out, err = uq(capsys, scenario.path, "oplog", "--json")
    assert rc == 0, err
    descriptions = [o["description"] for o in json.loads(out)["operations"]]
    assert any(d.startswith("pick") for d in descriptions), descriptions
    rc, out, err = uq(capsys, scenario.path, "undo")
    assert rc == 0 and out.startswith("Undid: pick"), err
    assert queue_tip(scenario.path) == before
    # And the other way round: redo from the linked work tree.
    rc, out, err = uq(capsys, linked, "redo")
    assert rc == 0 and out.startswith("Redid: pick"), err
    assert git(linked, "rev-parse", QUEUE) != before
    assert not (_own_git_dir(scenario) / "uqgui").exists()


def test_status_from_a_linked_work_tree_caches_in_the_common_dir(
        scenario: Scenario, linked: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`uq status` works in wtA, agrees with the main work tree, and its cache is the shared one."""
    rc, out, err = uq(capsys, linked, "status", "--json")
    assert rc == 0, err
    from_linked = json.loads(out)
    assert (scenario.path / ".git" / "uqgui" / "identity.sqlite").is_file()
    assert not (_own_git_dir(scenario) / "uqgui").exists()
    rc, out, err = uq(capsys, scenario.path, "status", "--json")
    assert rc == 0, err
    assert json.loads(out)["commits"] == from_linked["commits"]


def test_object_store_fingerprint_of_a_linked_work_tree_sees_the_shared_objects(
        scenario: Scenario, linked: Path) -> None:
    """The fingerprint reads the common dir's objects/, so a new object written from wtA changes it."""
    own, main = _own_git_dir(scenario), Repo(scenario.path).git_dir
    before = object_store_fingerprint(own)
    assert before == object_store_fingerprint(main)
    subprocess.run(["git", "-C", str(linked), "hash-object", "-w", "--stdin"], input=b"brand new object\n",
                   capture_output=True, check=True)
    git(linked, "repack", "-q")  # a new pack: its name is part of the fingerprint
    assert object_store_fingerprint(own) != before
    assert object_store_fingerprint(own) == object_store_fingerprint(main)


def test_ref_watcher_on_a_linked_work_tree_notices_a_branch_moved_by_git(
        qtbot: Any, scenario: Scenario, linked: Path) -> None:
    """Watching wtA's git dir, a `git update-ref` run in wtA (it writes the common refs/) is noticed."""
    pytest.importorskip("PySide6")
    from uqgui.ui.watcher import RefWatcher

    watcher = RefWatcher(debounce_ms=50)
    watcher.watch(Repo(linked).git_dir)
    try:
        with qtbot.waitSignal(watcher.changed, timeout=5000):
            git(linked, "update-ref", QUEUE, scenario.features[0])
        # HEAD is the work tree's own: switching branches there is noticed too.
        with qtbot.waitSignal(watcher.changed, timeout=5000):
            git(linked, "checkout", "-q", "--detach", "upstream")
    finally:
        watcher.watch(None)
