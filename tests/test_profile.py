"""Queue profiles in git config: add, list, show, remove, and undo/redo that restore config exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builder import RepoBuilder
from tests.test_pick import git, refs_of, uq
from uqgui.core.commands import execute
from uqgui.core.config import ConfigMovedError
from uqgui.core.errors import UqError
from uqgui.core.oplog import ABORTED, OperationLog
from uqgui.core.profile import AddProfile, Profile, get_profile, list_profiles
from uqgui.core.repo import Repo


@pytest.fixture
def repo_path(builder: RepoBuilder) -> Path:
    """A clone with upstream master, a stable-0.12 series and downstream; no profile yet."""
    u1 = builder.commit("Initial import\n", {"vl.c": "1\n"}, ref="refs/heads/qemu/master")
    builder.commit("vl: more\n", {"vl.c": "2\n"}, ref="refs/heads/qemu/master")
    builder.commit("stable fix\n", {"vl.c": "1 fixed\n"}, parents=[u1], ref="refs/heads/qemu/stable-0.12")
    builder.commit("kvm: smp\n", {"qemu-kvm.c": "smp\n"}, parents=[u1], ref="refs/heads/qemu-kvm/master")
    builder.git("symbolic-ref", "HEAD", "refs/heads/qemu-kvm/master")
    return Path(builder.repo.workdir)


def _config(path: Path) -> bytes:
    return (path / ".git" / "config").read_bytes()


def test_add_creates_the_branch_through_the_log_and_undo_puts_everything_back(
        repo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`profile add` writes the section and creates the queue at upstream; undo restores config bytes."""
    config_before, refs_before = _config(repo_path), refs_of(repo_path)
    rc, out, _ = uq(capsys, repo_path, "profile", "add", "master", "--downstream", "qemu-kvm/master",
                    "--upstream", "qemu/master", "--branch", "uq/master", "--test", "make check",
                    "--to", "qemu-devel@nongnu.org", "--to", "kvm@vger.kernel.org", "--cc", "m@example.org")
    assert rc == 0 and "creating uq/master at qemu/master" in out
    assert git(repo_path, "rev-parse", "uq/master") == git(repo_path, "rev-parse", "qemu/master")
    assert git(repo_path, "config", "--get-all", "uq.master.to") == "qemu-devel@nongnu.org\nkvm@vger.kernel.org\n"
    assert git(repo_path, "config", "uq.master.branch") == "uq/master\n"
    assert git(repo_path, "config", "uq.master.test") == "make check\n"
    rc, out, _ = uq(capsys, repo_path, "undo")
    assert rc == 0 and out.startswith("Undid: add profile master")
    assert _config(repo_path) == config_before
    assert refs_of(repo_path) == refs_before
    rc, out, _ = uq(capsys, repo_path, "redo")
    assert rc == 0 and git(repo_path, "config", "uq.master.cc") == "m@example.org\n"
    assert git(repo_path, "rev-parse", "uq/master") == git(repo_path, "rev-parse", "qemu/master")


def test_two_profiles_list_show_and_default(repo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """uq/master and uq/stable-0.12 live side by side; with two, a default must be chosen."""
    for name, upstream in (("master", "qemu/master"), ("stable-0.12", "qemu/stable-0.12")):
        rc, _, err = uq(capsys, repo_path, "profile", "add", name, "--downstream", "qemu-kvm/master",
                        "--upstream", upstream)
        assert rc == 0, err
    assert git(repo_path, "rev-parse", "uq/stable-0.12") == git(repo_path, "rev-parse", "qemu/stable-0.12")
    rc, out, _ = uq(capsys, repo_path, "profile", "list", "--json")
    assert [(p["name"], p["branch"], p["upstream"]) for p in json.loads(out)] == [
        ("master", "uq/master", "refs/heads/qemu/master"),
        ("stable-0.12", "uq/stable-0.12", "refs/heads/qemu/stable-0.12")]
    rc, out, _ = uq(capsys, repo_path, "profile", "list")
    # Short names are stored as the full refs they meant when the profile was added.
    assert out == ("master: refs/heads/qemu-kvm/master -> uq/master on refs/heads/qemu/master\n"
                   "stable-0.12: refs/heads/qemu-kvm/master -> uq/stable-0.12 on refs/heads/qemu/stable-0.12\n")
    rc, out, err = uq(capsys, repo_path, "profile", "show")
    assert rc == 1 and "several queue profiles (master, stable-0.12)" in err
    git(repo_path, "config", "uq.defaultProfile", "stable-0.12")
    rc, out, _ = uq(capsys, repo_path, "profile", "show", "--json")
    assert json.loads(out) == {"name": "stable-0.12", "downstream": "refs/heads/qemu-kvm/master",
                               "upstream": "refs/heads/qemu/stable-0.12",
                               "branch": "uq/stable-0.12", "test": None, "to": [], "cc": []}
    rc, out, _ = uq(capsys, repo_path, "profile", "show", "master")
    assert "branch: uq/master\n" in out and "upstream: refs/heads/qemu/master\n" in out


def test_add_keeps_an_existing_branch_where_it_is(repo_path: Path) -> None:
    """An existing queue branch is adopted as it is: the operation moves no ref."""
    git(repo_path, "branch", "uq/master", "qemu/master~1")
    repo = Repo(repo_path)
    log = OperationLog(repo)
    outcome = execute(repo, log, AddProfile(Profile("master", "qemu-kvm/master", "qemu/master", "uq/master")))
    assert outcome.operation.refs == []
    assert git(repo_path, "rev-parse", "uq/master") == git(repo_path, "rev-parse", "qemu/master~1")
    log.close()


def test_remove_then_undo_restores_the_section_exactly(repo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Remove leaves the branch; undo brings back every entry (multi-valued ones in order)."""
    uq(capsys, repo_path, "profile", "add", "master", "--downstream", "qemu-kvm/master", "--upstream",
       "qemu/master", "--to", "a@example.org", "--to", "b@example.org")
    with_profile, branch = _config(repo_path), git(repo_path, "rev-parse", "uq/master")
    rc, out, _ = uq(capsys, repo_path, "profile", "remove", "master")
    assert rc == 0 and "its branch stays" in out
    assert list_profiles(Repo(repo_path)) == []
    assert git(repo_path, "rev-parse", "uq/master") == branch
    rc, _, _ = uq(capsys, repo_path, "undo")
    assert rc == 0 and _config(repo_path) == with_profile
    assert get_profile(Repo(repo_path)).to == ["a@example.org", "b@example.org"]
    uq(capsys, repo_path, "redo")
    assert list_profiles(Repo(repo_path)) == []


def test_new_operation_clears_the_redo_stack(repo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """After undo, a new operation makes redo impossible, with a message saying so."""
    uq(capsys, repo_path, "profile", "add", "a", "--downstream", "qemu-kvm/master", "--upstream", "qemu/master")
    uq(capsys, repo_path, "undo")
    uq(capsys, repo_path, "profile", "add", "b", "--downstream", "qemu-kvm/master", "--upstream", "qemu/master")
    rc, _, err = uq(capsys, repo_path, "redo")
    assert rc == 1 and "Nothing to redo" in err
    assert [p.name for p in list_profiles(Repo(repo_path))] == ["b"]
    rc, out, _ = uq(capsys, repo_path, "oplog", "--json")
    assert [o["state"] for o in json.loads(out)["operations"]] == ["discarded", "done"]


def test_nothing_to_undo_is_a_clear_message(repo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A fresh repository has nothing to undo or redo."""
    rc, out, err = uq(capsys, repo_path, "undo")
    assert rc == 1 and out == "" and err == ("uq: Nothing to undo: There is nothing to undo in this "
                                             "repository's operation log.\n")
    rc, out, err = uq(capsys, repo_path, "redo", "--json")
    assert rc == 1 and json.loads(out)["error"] == "Nothing to redo"


def test_undo_after_a_hand_edit_of_the_section_refuses_unless_forced(
        repo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Undo would throw away the user's own `git config` edit: refuse, and --force overrides."""
    uq(capsys, repo_path, "profile", "add", "master", "--downstream", "qemu-kvm/master", "--upstream", "qemu/master")
    git(repo_path, "config", "uq.master.test", "make check-qtest")
    before = _config(repo_path)
    rc, _, err = uq(capsys, repo_path, "undo")
    assert rc == 1 and "config section [uq.master] changed since" in err and "--force" in err
    assert _config(repo_path) == before
    rc, _, _ = uq(capsys, repo_path, "undo", "--force")
    assert rc == 0 and list_profiles(Repo(repo_path)) == []
    assert git(repo_path, "rev-parse", "--verify", "-q", "uq/master", check=False) == ""


@pytest.mark.parametrize(("args", "words"), [
    (["bad name", "--downstream", "qemu-kvm/master", "--upstream", "qemu/master"], "not a valid profile name"),
    (["m", "--downstream", "nope", "--upstream", "qemu/master"], "downstream ref 'nope' does not exist"),
    (["m", "--downstream", "qemu-kvm/master", "--upstream", "qemu/master", "--branch", "uq..x"],
     "not a valid branch name"),
    (["m", "--downstream", "qemu-kvm/master", "--upstream", "qemu/master", "--branch", "refs/tags/v1"],
     "must be a local branch"),
    (["m", "--downstream", "qemu-kvm/master", "--upstream", "qemu/master", "--branch", "HEAD"],
     "'HEAD' is not a valid branch name"),
    (["m", "--downstream", "qemu-kvm/master", "--upstream", "qemu/master", "--branch", "refs/heads/HEAD"],
     "'HEAD' is not a valid branch name"),
    (["m", "--downstream", "qemu-kvm/master", "--upstream", "qemu/master", "--branch=-x"],
     "'-x' is not a valid branch name"),
])
def test_bad_profiles_are_refused(repo_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                  words: str) -> None:
    """Names, refs and branches are checked before anything is written."""
    before, refs = _config(repo_path), refs_of(repo_path)
    rc, _, err = uq(capsys, repo_path, "profile", "add", *args)
    assert rc == 1 and words in err
    assert _config(repo_path) == before and refs_of(repo_path) == refs


def test_adding_twice_needs_replace(repo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A second add of the same name is refused; --replace swaps the section (and undo swaps back)."""
    uq(capsys, repo_path, "profile", "add", "m", "--downstream", "qemu-kvm/master", "--upstream", "qemu/master")
    rc, _, err = uq(capsys, repo_path, "profile", "add", "m", "--downstream", "qemu-kvm/master",
                    "--upstream", "qemu/stable-0.12")
    assert rc == 1 and "exists already" in err
    first = _config(repo_path)
    rc, _, _ = uq(capsys, repo_path, "profile", "add", "m", "--downstream", "qemu-kvm/master",
                  "--upstream", "qemu/stable-0.12", "--replace")
    assert rc == 0 and get_profile(Repo(repo_path), "m").upstream == "refs/heads/qemu/stable-0.12"
    uq(capsys, repo_path, "undo")
    assert _config(repo_path) == first


def test_config_that_cannot_be_written_rolls_the_branch_back(repo_path: Path) -> None:
    """Another git holds config.lock: the new branch is deleted again and the op is aborted."""
    lock = repo_path / ".git" / "config.lock"
    lock.write_text("another git\n")
    before, refs = _config(repo_path), refs_of(repo_path)
    repo = Repo(repo_path)
    log = OperationLog(repo)
    with pytest.raises(UqError) as info:
        execute(repo, log, AddProfile(Profile("master", "qemu-kvm/master", "qemu/master", "uq/master")))
    assert info.value.title == "Repository busy" and "config.lock" in info.value.message
    assert refs_of(repo_path) == refs and _config(repo_path) == before
    assert lock.read_text() == "another git\n"  # not ours to remove
    assert [o.state for o in log.operations()] == [ABORTED]
    assert [e["action"] for e in log.events()] == ["do-abort"]
    log.close()


def test_config_changed_between_plan_and_write_is_refused(repo_path: Path) -> None:
    """A section edited after planning is not overwritten: the command aborts, refs put back."""
    repo = Repo(repo_path)
    plan = AddProfile(Profile("master", "qemu-kvm/master", "qemu/master", "uq/master")).plan(repo)
    git(repo_path, "config", "uq.master.downstream", "someone-else")
    before, refs = _config(repo_path), refs_of(repo_path)
    log = OperationLog(repo)
    with pytest.raises(ConfigMovedError):
        log.record("profile-add", plan.description, plan.refs, plan.config)
    assert _config(repo_path) == before and refs_of(repo_path) == refs
    assert log.operations()[-1].state == ABORTED
    log.close()


def test_profile_with_no_profiles_says_how_to_add_one(repo_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Commands needing a profile explain how to make one."""
    rc, out, _ = uq(capsys, repo_path, "profile", "list")
    assert rc == 0 and out.startswith("No queue profiles.")
    for args in (["pick", "HEAD"], ["reorder", "a"], ["profile", "show"]):
        rc, _, err = uq(capsys, repo_path, *args)
        # These commands take no --downstream/--upstream: only `uq status` does, and only it offers them.
        assert rc == 1 and "uq profile add NAME" in err and "or pass --downstream" not in err, (args, err)
    rc, _, err = uq(capsys, repo_path, "profile", "remove", "ghost")
    assert rc == 1 and "no queue profile named 'ghost'" in err


def test_profile_added_from_a_linked_work_tree_lands_in_the_common_config(
        repo_path: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A linked work tree shares the repository's config: the profile is written there, atomically."""
    wt = tmp_path / "wt"
    git(repo_path, "worktree", "add", "-q", "--detach", str(wt), "qemu/master")
    rc, _, err = uq(capsys, wt, "profile", "add", "master", "--downstream", "qemu-kvm/master",
                    "--upstream", "qemu/master")
    assert rc == 0, err
    assert git(repo_path, "config", "--local", "uq.master.branch") == "uq/master\n"
    assert not (repo_path / ".git" / "worktrees" / "wt" / "config").exists()
    assert not list((repo_path / ".git").glob("config.lock"))
    rc, _, _ = uq(capsys, wt, "undo")
    assert rc == 0 and list_profiles(Repo(repo_path)) == []


def test_removing_the_default_profile_drops_the_default_undoably(repo_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """uq.defaultProfile must not be left naming a removed profile; undo brings both back."""
    for name in ("a", "b"):
        uq(capsys, repo_path, "profile", "add", name, "--downstream", "qemu-kvm/master", "--upstream", "qemu/master")
    git(repo_path, "config", "uq.defaultProfile", "a")
    rc, _, err = uq(capsys, repo_path, "profile", "remove", "a")
    assert rc == 0, err
    assert git(repo_path, "config", "--get", "uq.defaultProfile", check=False) == ""
    rc, out, err = uq(capsys, repo_path, "profile", "show")
    assert rc == 0 and out.startswith("name: b\n")  # the only profile left is the one used
    assert uq(capsys, repo_path, "undo")[0] == 0
    assert git(repo_path, "config", "--get", "uq.defaultProfile").strip() == "a"
    git(repo_path, "config", "uq.defaultProfile", "gone")
    rc, _, err = uq(capsys, repo_path, "profile", "show")
    assert rc == 1 and "uq.defaultProfile names 'gone'" in err
