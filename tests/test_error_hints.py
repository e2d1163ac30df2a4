"""Errors keep uq's command line out of their message: options and uq commands go in the hint.

Each refusal below is a real one, made on a real repository. Its message must read well in the
window (which shows the message alone), its hint must carry the command line's way on, and uq
must print both.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.builder import RepoBuilder
from tests.command_line import names_command_line
from tests.test_pick import QUEUE, Scenario, git, make_scenario, pick, uq
from uqgui.core.commands import execute
from uqgui.core.errors import UqError
from uqgui.core.oplog import OperationLog
from uqgui.core.pick import ReorderQueue, read_series
from uqgui.core.profile import AddProfile, Profile, RemoveProfile, get_profile
from uqgui.core.repo import Repo


@pytest.fixture
def scenario(builder: RepoBuilder) -> Scenario:
    """The standard queue scenario (profile `master`, queue uq/master)."""
    return make_scenario(builder)


def _run(s: Scenario, command: object) -> None:
    log = OperationLog(s.repo)
    try:
        execute(s.repo, log, command)  # type: ignore[arg-type]
    finally:
        log.close()


def _undo_after_another_git(s: Scenario) -> None:
    pick(s, [s.features[0]])
    tip = git(s.path, "rev-parse", QUEUE).strip()
    git(s.path, "update-ref", QUEUE, s.builder.commit("theirs\n", {"theirs.c": "t\n"}, parents=[tip]))
    log = OperationLog(s.repo)
    try:
        log.undo()
    finally:
        log.close()


def _reorder_naming_one_twice(s: Scenario) -> None:
    pick(s, s.features[:2])
    queue = read_series(s.repo, QUEUE, "upstream").commits
    _run(s, ReorderQueue(QUEUE, "upstream", [queue[0], queue[0]]))


def _missing_queue_branch(s: Scenario) -> None:
    git(s.path, "update-ref", "-d", QUEUE)
    read_series(s.repo, QUEUE, "upstream")


def _unknown_default(s: Scenario) -> None:
    git(s.path, "config", "uq.defaultProfile", "gone")
    get_profile(s.repo)


CASES: dict[str, tuple[Callable[[Scenario], object], str]] = {
    "missing folder": (lambda s: Repo(s.path / "nonexistent"), "--repo PATH"),
    "not a repository": (lambda s: Repo(s.path.parent), "--repo PATH"),
    "profile exists": (lambda s: _run(s, AddProfile(Profile("master", "downstream", "upstream", "uq/x"))),
                       "--replace"),
    "bad branch name": (lambda s: _run(s, AddProfile(Profile("p2", "downstream", "upstream", "bad..branch"))),
                        "--branch"),
    "unknown profile": (lambda s: get_profile(s.repo, "nope"), "uq profile list"),
    "unknown default": (_unknown_default, "--profile NAME"),
    "remove unknown": (lambda s: _run(s, RemoveProfile("nope")), "uq profile list"),
    "undo over a move": (_undo_after_another_git, "--force"),
    "queue branch gone": (_missing_queue_branch, "uq profile remove"),
    "not a reordering": (_reorder_naming_one_twice, "uq oplog"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_message_is_for_both_faces_and_the_hint_for_the_command_line(scenario: Scenario, case: str) -> None:
    make_error, hint = CASES[case]
    with pytest.raises(UqError) as caught:
        make_error(scenario)
    error = caught.value
    assert hint in error.hint, error.hint
    assert names_command_line(error.hint)
    assert not names_command_line(error.message), error.message
    assert error.message.rstrip().endswith((".", ")")) or "git " in error.message, error.message
    assert error.for_command_line() == f"{error.message} {error.hint}"


def test_uq_prints_the_hint_after_the_message(capsys: pytest.CaptureFixture[str], scenario: Scenario) -> None:
    rc, out, err = uq(capsys, scenario.path, "profile", "remove", "nope")
    assert rc != 0 and out == ""
    assert "There is no queue profile named 'nope'. See `uq profile list`." in err, err

    rc, out, err = uq(capsys, scenario.path / "nonexistent", "status", "--json")
    assert rc != 0
    assert "does not exist. Open the clone that holds both trees. (Run uq there, or give --repo PATH.)" in err
    assert json.loads(out)["message"].endswith("(Run uq there, or give --repo PATH.)")  # scripts read the same


def test_an_error_without_advice_for_the_command_line_prints_as_it_is() -> None:
    error = UqError("Nothing was changed.")
    assert error.hint == "" and error.for_command_line() == "Nothing was changed."


def test_messages_naming_git_commands_are_not_mistaken_for_uq_s() -> None:
    # The oracle itself: git's options and quoted subjects are not uq's command line.
    assert not names_command_line("Run `git fetch --unshallow` for a complete answer.")
    assert not names_command_line("'bad..branch' is not a valid branch name (see git check-ref-format --branch).")
    assert not names_command_line('Picking 0123456789ab "kvm: add --foo, or uq: bar" conflicts in vl.c.')
    assert names_command_line("Or use --force.") and names_command_line("See `uq oplog`.")
