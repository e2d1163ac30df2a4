"""A profile is checked when it is loaded, not only when `uq profile add` writes it: a hand-edited
queue branch that is not a local branch (or is a name git refuses) moves nothing, a missing
downstream or upstream ref is named with the config to fix, and a file in the way of .git/uqgui
is called what it is."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.builder import RepoBuilder
from tests.test_pick import Scenario, git, make_scenario, refs_of
from tests.test_pick import uq as uq_in
from uqgui.core.commands import execute
from uqgui.core.errors import ProfileError, UqDirUnavailableError
from uqgui.core.oplog import OperationLog
from uqgui.core.pick import PickCommits, ReorderQueue
from uqgui.core.profile import get_profile
from uqgui.core.repo import Repo

TRACKING = "refs/remotes/origin/upstream"  # a remote-tracking ref: fetch moves it, uq never may


@pytest.fixture
def scenario(builder: RepoBuilder) -> Scenario:
    """The standard queue scenario with profile `master`, plus a remote-tracking copy of upstream."""
    s = make_scenario(builder)
    git(s.path, "update-ref", TRACKING, "upstream")
    return s


def uq(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> tuple[int, str, str]:
    """`uq --repo PATH ARGS` in-process, which must never end in a traceback."""
    rc, out, err = uq_in(capsys, path, *args)
    assert "Traceback" not in err, err
    return rc, out, err


def _one_line_refusal(rc: int, err: str, *needles: str) -> None:
    assert rc == 1 and len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err


# -- 1. a queue branch that is not a local branch -----------------------------------------------------

@pytest.mark.parametrize("branch", [TRACKING, "origin/upstream", "refs/tags/v1"])
def test_hand_edited_queue_branch_that_is_not_local_moves_nothing(
        scenario: Scenario, capsys: pytest.CaptureFixture[str], branch: str) -> None:
    """pick and reorder refuse, saying which config to fix; status refuses too, without a traceback."""
    git(scenario.path, "tag", "v1", "upstream")
    git(scenario.path, "config", "uq.master.branch", branch)
    before = refs_of(scenario.path)
    full = branch if branch.startswith("refs/") else f"refs/remotes/{branch}"
    for args in (["pick", scenario.features[0]], ["reorder", scenario.features[0]], ["status"]):
        rc, out, err = uq(capsys, scenario.path, *args)
        _one_line_refusal(rc, err, f"must be a local branch, not {full}", "git config uq.master.branch uq/master")
        assert out == ""
    assert refs_of(scenario.path) == before
    git(scenario.path, "config", "uq.master.branch", "uq/master")  # the fix the message gives works
    rc, _, err = uq(capsys, scenario.path, "pick", scenario.features[0])
    assert rc == 0, err
    upstream = git(scenario.path, "rev-parse", "upstream")
    assert git(scenario.path, "rev-parse", TRACKING, "v1^{commit}") == upstream * 2  # never moved


def test_queue_branch_short_name_shadowed_by_a_remote_is_not_moved(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """uq/master gone, a remote `uq` has master: the short name means refs/remotes/uq/master; refuse it."""
    git(scenario.path, "update-ref", "refs/remotes/uq/master", "upstream")
    git(scenario.path, "update-ref", "-d", "refs/heads/uq/master")
    before = refs_of(scenario.path)
    rc, _, err = uq(capsys, scenario.path, "pick", scenario.features[0])
    # uq/master would resolve to the remote again: the fix names the local branch in full.
    _one_line_refusal(rc, err, "not refs/remotes/uq/master", "git config uq.master.branch refs/heads/uq/master")
    assert refs_of(scenario.path) == before


@pytest.mark.parametrize("command", ["pick", "reorder"])
def test_commands_given_a_branch_ref_directly_refuse_one_that_is_not_local(
        scenario: Scenario, capsys: pytest.CaptureFixture[str], command: str) -> None:
    """The window builds pick and reorder from a branch ref, not through get_profile: they check it too."""
    rc, _, err = uq(capsys, scenario.path, "pick", *scenario.features[:2])
    assert rc == 0, err
    queue = git(scenario.path, "rev-list", "--reverse", "upstream..uq/master").split()
    git(scenario.path, "update-ref", TRACKING, "uq/master")
    git(scenario.path, "config", "uq.master.branch", TRACKING)
    before = refs_of(scenario.path)
    repo = Repo(scenario.path)
    log = OperationLog(repo)
    operation = (PickCommits(TRACKING, "upstream", [scenario.features[2]]) if command == "pick" else
                 ReorderQueue(TRACKING, "upstream", queue[::-1]))
    try:
        with pytest.raises(ProfileError) as info:
            execute(repo, log, operation)
    finally:
        log.close()
    assert "must be a local branch" in info.value.message
    assert "git config uq.master.branch uq/master" in info.value.message
    assert refs_of(scenario.path) == before


# -- 2. branch names git refuses ------------------------------------------------------------------------

@pytest.mark.parametrize(("branch", "words"), [
    ("HEAD", "'HEAD' is not a valid branch name"),
    ("refs/heads/HEAD", "'HEAD' is not a valid branch name"),
    ("-x", "'-x' is not a valid branch name"),
    ("@", "'@' is not a valid branch name"),
])
def test_profile_add_refuses_branch_names_git_refuses(
        scenario: Scenario, capsys: pytest.CaptureFixture[str], branch: str, words: str) -> None:
    """No refs/heads/HEAD (git warns "refname 'HEAD' is ambiguous" ever after), nothing written."""
    config, before = (scenario.path / ".git" / "config").read_bytes(), refs_of(scenario.path)
    rc, _, err = uq(capsys, scenario.path, "profile", "add", "b9", "--downstream", "downstream",
                    "--upstream", "upstream", f"--branch={branch}")
    _one_line_refusal(rc, err, words, "--branch", "uq/b9")
    assert (scenario.path / ".git" / "config").read_bytes() == config and refs_of(scenario.path) == before


def test_git_refuses_those_names_too(scenario: Scenario) -> None:
    """HEAD and a leading '-' are names git itself refuses for a branch ('@' it takes, but reads as HEAD)."""
    for args in (["branch", "HEAD"], ["check-ref-format", "--branch", "-x"]):
        proc = subprocess.run(["git", "-C", str(scenario.path), *args], capture_output=True, check=False)
        assert proc.returncode != 0, args


@pytest.mark.parametrize("branch", ["HEAD", "-x"])
def test_hand_edited_branch_name_git_refuses_is_refused_on_load(
        scenario: Scenario, capsys: pytest.CaptureFixture[str], branch: str) -> None:
    """The advice is to fix the config, not `git branch HEAD ...` (which git refuses)."""
    git(scenario.path, "config", "uq.master.branch", branch)
    before = refs_of(scenario.path)
    rc, _, err = uq(capsys, scenario.path, "pick", scenario.features[0])
    _one_line_refusal(rc, err, f"'{branch}' is not a valid branch name", "git config uq.master.branch uq/master")
    assert "git branch" not in err
    assert refs_of(scenario.path) == before


# -- 3. missing downstream or upstream refs -------------------------------------------------------------

def test_missing_upstream_is_named_before_the_missing_queue_branch(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Not `git branch uq/ghost refs/remotes/nope/x`, a command that fails: the upstream and its config."""
    git(scenario.path, "config", "uq.master.upstream", "refs/remotes/nope/x")
    git(scenario.path, "config", "uq.master.branch", "uq/ghost")
    before = refs_of(scenario.path)
    for args in (["pick", scenario.features[0]], ["status"]):
        rc, _, err = uq(capsys, scenario.path, *args)
        _one_line_refusal(rc, err, "upstream ref that does not exist: refs/remotes/nope/x",
                          "git config uq.master.upstream REF")
        assert "git branch uq/ghost" not in err
    assert refs_of(scenario.path) == before


def test_missing_downstream_is_named_with_its_config(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """The same for downstream; both missing are named in one message, with the remote to fetch when known."""
    git(scenario.path, "config", "uq.master.downstream", "refs/remotes/nope/y")
    for args in (["status"], ["pick", scenario.features[0]]):
        rc, _, err = uq(capsys, scenario.path, *args)
        _one_line_refusal(rc, err, "downstream ref that does not exist: refs/remotes/nope/y",
                          "git config uq.master.downstream REF")
    git(scenario.path, "config", "uq.master.upstream", "refs/remotes/nope/x")
    git(scenario.path, "remote", "add", "nope", str(scenario.path / "nowhere"))
    rc, _, err = uq(capsys, scenario.path, "status")
    _one_line_refusal(rc, err, "downstream refs/remotes/nope/y, upstream refs/remotes/nope/x", "git fetch nope",
                      "git config uq.master.downstream REF; git config uq.master.upstream REF")
    git(scenario.path, "config", "uq.master.upstream", "nope/x")  # short, as git takes it
    git(scenario.path, "config", "uq.master.downstream", "downstream")
    rc, _, err = uq(capsys, scenario.path, "status")
    _one_line_refusal(rc, err, "upstream ref that does not exist: nope/x", "git fetch nope")


def test_upstream_that_is_not_a_commit_names_its_config(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """A ref that exists but names a tree is not called missing."""
    git(scenario.path, "config", "uq.master.upstream", git(scenario.path, "rev-parse", "upstream^{tree}").strip())
    rc, _, err = uq(capsys, scenario.path, "pick", scenario.features[0])
    _one_line_refusal(rc, err, "names a tree, not a commit", "git config uq.master.upstream REF")


# -- 4. hints that name only what the command takes ---------------------------------------------------

def test_explicit_revisions_are_mentioned_only_when_asked(builder: RepoBuilder) -> None:
    """get_profile cannot know the command: by default it offers no --downstream/--upstream."""
    s = make_scenario(builder, add_profile=False)
    repo = Repo(s.path)
    with pytest.raises(ProfileError) as info:
        get_profile(repo)
    assert "uq profile add NAME" in info.value.hint and "--downstream REV" not in info.value.hint
    assert info.value.message == "This repository has no queue profile."  # the window's words too
    with pytest.raises(ProfileError) as info:
        get_profile(repo, explicit_revisions=True)
    assert info.value.hint.endswith("or pass --downstream REV and --upstream REV.")


def test_how_to_choose_a_profile_follows_the_command(scenario: Scenario) -> None:
    """`uq profile show` takes the name as an argument, not --profile: the caller says which."""
    git(scenario.path, "config", "uq.stable.downstream", "downstream")
    git(scenario.path, "config", "uq.stable.upstream", "upstream")
    git(scenario.path, "config", "uq.stable.branch", "uq/stable")
    with pytest.raises(ProfileError) as info:
        get_profile(Repo(scenario.path), choose_with="`uq profile show NAME`")
    assert info.value.hint == "Or choose one with `uq profile show NAME`."
    assert "set a default: git config uq.defaultProfile NAME" in info.value.message
    with pytest.raises(ProfileError) as info:
        get_profile(Repo(scenario.path))
    assert info.value.hint == "Or choose one with --profile NAME."
    assert "Or choose one with --profile NAME." in info.value.for_command_line()


# -- 5. .git/uqgui is not a folder ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["file", "dangling link"])
def test_uqgui_path_that_is_not_a_folder_says_so(scenario: Scenario, capsys: pytest.CaptureFixture[str],
                                                 kind: str) -> None:
    """Not "make the git dir writable" (it is): the name is taken, move it aside."""
    uqdir = scenario.path / ".git" / "uqgui"
    for child in uqdir.iterdir():
        child.unlink()
    uqdir.rmdir()
    if kind == "file":
        uqdir.write_text("in the way\n")
    else:
        uqdir.symlink_to(scenario.path / "gone")
    before = refs_of(scenario.path)
    for args in (["pick", scenario.features[0]], ["oplog"], ["undo"], ["cache", "clear"]):
        rc, _, err = uq(capsys, scenario.path, *args)
        _one_line_refusal(rc, err, f"{uqdir} exists but is", f"Move it aside (mv {uqdir} {uqdir}.old)")
        assert "writable" not in err
    rc, out, err = uq(capsys, scenario.path, "status")
    assert rc == 0 and out and f"warning: {uqdir} exists but is" in err and "in memory" in err
    assert refs_of(scenario.path) == before
    assert uqdir.is_symlink() or uqdir.read_text() == "in the way\n"  # never ours to remove


def test_uq_dir_error_is_typed(scenario: Scenario) -> None:
    """It is still the error the status command turns into a warning (reading needs no folder)."""
    uqdir = scenario.path / ".git" / "uqgui"
    for child in uqdir.iterdir():
        child.unlink()
    uqdir.rmdir()
    uqdir.write_text("in the way\n")
    with pytest.raises(UqDirUnavailableError) as info:
        Repo(scenario.path).uq_dir()
    assert info.value.title == "uqgui folder blocked"


def test_the_window_shows_the_broken_profile_it_was_asked_for_with_its_problem(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Not quietly another one: the queue pane then says what is wrong with it."""
    from uqgui.ui.queries import choose_profile, load_queue_state

    rc, _, err = uq(capsys, scenario.path, "profile", "add", "stable", "--downstream", "downstream",
                    "--upstream", "upstream")
    assert rc == 0, err
    git(scenario.path, "config", "uq.stable.upstream", "refs/remotes/nope/stable")
    repo = Repo(scenario.path)
    profile, _, problem = choose_profile(repo, "stable")
    assert profile is not None and profile.name == "stable"
    assert problem is not None and "refs/remotes/nope/stable" in problem.message
    state = load_queue_state(scenario.path, "stable", lambda stage, done, total: None)
    assert state.profile is not None and state.profile.name == "stable"
    assert state.series_problem is not None and "refs/remotes/nope/stable" in state.series_problem.message
    assert "git config uq.stable.upstream" in state.series_problem.message  # the line that fixes it
    healthy, _, none = choose_profile(repo, "master")
    assert healthy is not None and healthy.name == "master" and none is None


def test_profile_show_by_name_shows_a_profile_with_a_problem_and_says_it(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Showing is how one looks at a hand-edited profile: it is shown, with its problem as a warning."""
    git(scenario.path, "config", "uq.master.upstream", "refs/remotes/nope/x")
    for args in (["profile", "show", "master"], ["profile", "show"]):  # named, or the default
        rc, out, err = uq(capsys, scenario.path, *args)
        assert rc == 0 and "upstream: refs/remotes/nope/x" in out
        assert err.startswith("uq: warning: Profile 'master' names an upstream ref that does not exist")
