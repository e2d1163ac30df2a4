"""Picking at the edges: directory renames, git's committer identity and dates, commits upstream
already has, symbolic queue branches, and refusals that say what really happened."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.builder import RepoBuilder
from tests.test_pick import (QUEUE, Scenario, git, loose_objects, make_scenario, pick, queue_subjects, queue_tip,
                             snapshot, uq)
from uqgui.cli import EXIT_CONFLICT, main
from uqgui.core.errors import UqError
from uqgui.core.repo import Repo
from uqgui.core.signature import maintainer_signature, parse_git_date


@pytest.fixture
def scenario(builder: RepoBuilder) -> Scenario:
    """The standard queue scenario, profile `master` added (uq/master created at upstream)."""
    return make_scenario(builder)


def oracle_clone(s: Scenario, tmp_path: Path) -> Path:
    """A scratch clone with a branch `check` at upstream, where the real git may cherry-pick."""
    clone = tmp_path / "oracle"
    git(tmp_path, "-c", "protocol.file.allow=always", "clone", "-q", "--no-local", str(s.path), str(clone))
    git(clone, "checkout", "-q", "-b", "check", "origin/upstream")
    return clone


def refused(s: Scenario, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run a uq command that must be refused (status 1) with no change at all; return its stderr."""
    before, objects = snapshot(s.path), loose_objects(s.path)
    rc, out, err = uq(capsys, s.path, *args)
    assert rc == 1, (out, err)
    assert err.startswith("uq: ") and "Traceback" not in err
    assert snapshot(s.path) == before
    assert loose_objects(s.path) == objects
    return err


# -- 1. directories upstream renamed or removed -------------------------------------------------

OLD_A = "".join(f"a line {i}\n" for i in range(20))  # distinct, long enough for rename detection
OLD_B = "".join(f"b line {i}\n" for i in range(20))


def renamed_dir_scenario(builder: RepoBuilder, upstream_change: dict[str, str | None]) -> tuple[Scenario, str]:
    """olddir/{a,b} in the base; upstream applies UPSTREAM_CHANGE; downstream adds olddir/c."""
    base = builder.commit("Initial import\n", {"olddir/a": OLD_A, "olddir/b": OLD_B, "top.c": "top\n"},
                          ref="refs/heads/upstream")
    builder.commit("Move olddir\n", upstream_change, ref="refs/heads/upstream")
    added = builder.commit("olddir: add c\n", {"olddir/c": "c\n"}, parents=[base], ref="refs/heads/downstream")
    builder.ref("refs/heads/master", base)
    path = Path(builder.repo.workdir)
    git(path, "checkout", "-q", "-f", "master")
    assert main(["--repo", str(path), "profile", "add", "master", "--downstream", "downstream",
                 "--upstream", "upstream"]) == 0
    return Scenario(path, builder, [], [], "", ""), added


RENAME = {"olddir/a": None, "olddir/b": None, "newdir/a": OLD_A, "newdir/b": OLD_B}


def test_addition_in_a_directory_upstream_renamed_is_a_conflict(builder: RepoBuilder, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """git cherry-pick reports CONFLICT (file location); uq reports the path and where it went, moving nothing."""
    s, added = renamed_dir_scenario(builder, RENAME)
    clone = oracle_clone(s, tmp_path)
    proc = subprocess.run(["git", "-C", str(clone), "cherry-pick", "-x", "-s", added], capture_output=True)
    assert proc.returncode != 0
    assert "CONFLICT (file location)" in proc.stdout.decode() + proc.stderr.decode()
    before, objects = snapshot(s.path), loose_objects(s.path)
    rc, out, _ = uq(capsys, s.path, "pick", "--json", added)
    assert rc == EXIT_CONFLICT == 3
    data = json.loads(out)
    assert data["error"] == "conflict" and data["commit"] == added and data["paths"] == ["olddir/c"]
    assert "olddir/c: added in olddir/, which upstream renamed to newdir/" in data["message"]
    assert "git cherry-pick" in data["message"] and "Nothing was changed" in data["message"]
    assert snapshot(s.path) == before and loose_objects(s.path) == objects
    assert git(s.path, "ls-tree", "-r", "--name-only", QUEUE).split() == ["newdir/a", "newdir/b", "top.c"]


def test_addition_in_a_directory_upstream_removed_gives_git_s_commit(builder: RepoBuilder, tmp_path: Path) -> None:
    """No rename: git adds the file where it was, without a conflict, and so does uq."""
    s, added = renamed_dir_scenario(builder, {"olddir/a": None, "olddir/b": None})
    pick(s, [added])
    clone = oracle_clone(s, tmp_path)
    git(clone, "cherry-pick", "-x", "-s", added)
    assert git(clone, "rev-parse", "HEAD").strip() == queue_tip(s.path)


def test_addition_in_a_downstream_only_directory_picks_cleanly(builder: RepoBuilder, tmp_path: Path) -> None:
    """A folder only downstream has (redhat/): its second file picks alone, as with git."""
    base = builder.commit("Initial import\n", {"top.c": "top\n"}, ref="refs/heads/upstream")
    first = builder.commit("redhat: spec\n", {"redhat/a.spec": "spec\n"}, parents=[base], ref="refs/heads/downstream")
    second = builder.commit("redhat: patch\n", {"redhat/b.patch": "patch\n"}, parents=[first],
                            ref="refs/heads/downstream")
    builder.ref("refs/heads/master", base)
    path = Path(builder.repo.workdir)
    git(path, "checkout", "-q", "-f", "master")
    assert main(["--repo", str(path), "profile", "add", "master", "--downstream", "downstream",
                 "--upstream", "upstream"]) == 0
    s = Scenario(path, builder, [], [], "", "")
    pick(s, [second])
    clone = oracle_clone(s, tmp_path)
    git(clone, "cherry-pick", "-x", "-s", second)
    assert git(clone, "rev-parse", "HEAD").strip() == queue_tip(s.path)


def test_addition_in_a_directory_upstream_kept_gives_git_s_commit(builder: RepoBuilder, tmp_path: Path) -> None:
    """The check is narrow: a directory that is still there takes the new file, exactly as git does."""
    s, added = renamed_dir_scenario(builder, {"newdir/a": OLD_A})
    pick(s, [added])
    clone = oracle_clone(s, tmp_path)
    git(clone, "cherry-pick", "-x", "-s", added)
    assert git(clone, "rev-parse", "HEAD").strip() == queue_tip(s.path)


# -- 2. the committer: git's order of sources, and GIT_COMMITTER_DATE --------------------------

def test_committer_config_names_the_committer_and_the_sign_off(scenario: Scenario, tmp_path: Path) -> None:
    """committer.name/email win over user.*: the very commit `git cherry-pick -x -s` makes."""
    s = scenario
    git(s.path, "config", "--global", "committer.name", "Queue Committer")
    git(s.path, "config", "--global", "committer.email", "committer@queue.example.org")
    result = pick(s, [s.features[0]])
    clone = oracle_clone(s, tmp_path)
    git(clone, "cherry-pick", "-x", "-s", s.features[0])
    assert git(clone, "rev-parse", "HEAD").strip() == result["tip"] == queue_tip(s.path)
    message = git(s.path, "log", "-1", "--format=%cn <%ce>%n%B", QUEUE)
    assert message.startswith("Queue Committer <committer@queue.example.org>\n")
    assert "Signed-off-by: Queue Committer <committer@queue.example.org>" in message


@pytest.mark.parametrize(("config", "env"), [
    ({"committer.name": "Cfg Committer", "committer.email": "cfg@example.org"}, {}),
    ({"committer.name": "Cfg Committer"}, {}),  # the address still comes from user.email
    ({"committer.email": "cfg@example.org"}, {"GIT_COMMITTER_EMAIL": "env@example.org"}),
    ({"committer.name": "Cfg Committer"}, {"GIT_COMMITTER_NAME": "Env Person"}),
    ({"user.email": None}, {"EMAIL": "from-email-var@example.org"}),
    ({"user.email": None, "committer.email": "cfg@example.org"}, {"EMAIL": "from-email-var@example.org"}),
])
def test_committer_identity_follows_git_s_order(scenario: Scenario, monkeypatch: pytest.MonkeyPatch,
                                                config: dict[str, str | None], env: dict[str, str]) -> None:
    """Environment, then committer.*, then user.*, then EMAIL: `git var GIT_COMMITTER_IDENT` is the oracle."""
    s = scenario
    for key, value in config.items():
        if value is None:
            git(s.path, "config", "--global", "--unset", key)
        else:
            git(s.path, "config", "--global", key, value)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    sig = maintainer_signature(Repo(s.path))
    assert git(s.path, "var", "GIT_COMMITTER_IDENT").strip() == f"{sig.name} <{sig.email}> 1300000000 +0000"


@pytest.mark.parametrize("date", [
    "Thu, 07 Apr 2005 22:13:13 +0200",  # RFC 2822, as `date -R` prints it
    "Thu, 7 Apr 2005 22:13:13 -0500",
    "2005-04-07T22:13:13+02:00",  # ISO 8601
    "2005-04-07T22:13:13Z",
    "2005-04-07 22:13:13 +0200",  # git's own "iso" format
    "1112904793 +0200",  # git's internal format
    "@1112904793 -0130",
])
def test_committer_date_formats_git_accepts(scenario: Scenario, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str], date: str) -> None:
    """The date and zone a pick records are the ones git reads from the same GIT_COMMITTER_DATE."""
    s = scenario
    monkeypatch.setenv("GIT_COMMITTER_DATE", date)
    expected = git(s.path, "var", "GIT_COMMITTER_IDENT").strip().rsplit(" ", 2)[1:]
    assert uq(capsys, s.path, "pick", s.features[0])[0] == 0
    assert git(s.path, "log", "-1", "--format=%ct %cd", "--date=format:%z", QUEUE).split() == expected


@pytest.mark.parametrize("date", ["garbage", "yesterday at noonish", "2005-13-45T99:99:99"])
def test_unreadable_committer_date_is_an_error(scenario: Scenario, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str], date: str) -> None:
    """git refuses such a date too; silently using "now" would stamp commits with a date nobody asked for."""
    s = scenario
    monkeypatch.setenv("GIT_COMMITTER_DATE", date)
    assert subprocess.run(["git", "-C", str(s.path), "var", "GIT_COMMITTER_IDENT"],
                          capture_output=True).returncode != 0
    assert parse_git_date(date) is None
    err = refused(s, capsys, "pick", s.features[0])
    assert f"GIT_COMMITTER_DATE is set to '{date}'" in err and "RFC 2822" in err and "unset it" in err
    with pytest.raises(UqError, match="GIT_COMMITTER_DATE"):
        maintainer_signature(Repo(s.path))


# -- 3. commits upstream already has ------------------------------------------------------------

def test_commit_upstream_gained_since_the_queue_was_rebased_is_refused(scenario: Scenario,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Upstream moved on past the queue's base: its new commits are not picked again as duplicates."""
    s = scenario
    pick(s, [s.features[0]])
    newer = s.builder.commit("upstream: new file\n", {"new.c": "new\n"}, ref="refs/heads/upstream")
    err = refused(s, capsys, "pick", newer)
    assert f"{newer[:12]} is already in upstream upstream" in err
    assert "not rebased onto yet; rebase the queue" in err
    # One below the queue's base is in upstream too, and there is nothing to rebase for it.
    err = refused(s, capsys, "pick", s.upstream[1])
    assert f"{s.upstream[1][:12]} is already in upstream upstream. Nothing was changed." in err


# -- 4. a queue branch that is a symbolic ref ----------------------------------------------------

@pytest.mark.parametrize("verb", ["pick", "reorder"])
def test_symbolic_queue_branch_is_refused(scenario: Scenario, capsys: pytest.CaptureFixture[str], verb: str) -> None:
    """Moving a symref moves what it names, and undo could never match it: refuse, saying what to point at."""
    s = scenario
    pick(s, s.features[:2])
    git(s.path, "symbolic-ref", "refs/heads/uq/sym", QUEUE)
    git(s.path, "config", "uq.master.branch", "uq/sym")
    ids = git(s.path, "rev-list", "--reverse", f"upstream..{QUEUE}").split()
    args = ["pick", s.features[3]] if verb == "pick" else ["reorder", *reversed(ids)]
    err = refused(s, capsys, *args)
    assert f"The queue branch refs/heads/uq/sym is a symbolic ref to {QUEUE}" in err
    assert "Point the profile at uq/master itself" in err
    git(s.path, "config", "uq.master.branch", "uq/master")  # following the advice works
    assert uq(capsys, s.path, *args)[0] == 0


# -- 5. refusals that name what happened ---------------------------------------------------------

def test_missing_queue_branch_says_how_to_create_it(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """`uq profile add` refuses an existing profile, so the message gives the git command that works."""
    s = scenario
    git(s.path, "update-ref", "-d", QUEUE)
    err = refused(s, capsys, "pick", s.features[0])
    assert "uq profile add`" not in err and "remove the profile and add it again" in err
    command = re.search(r"`(git branch [^`]+)`", err)
    assert command is not None, err
    git(s.path, *command.group(1).split()[1:])
    assert uq(capsys, s.path, "pick", s.features[0])[0] == 0
    assert queue_subjects(s.path) == ["feature 0: add feature-0.c"]


@pytest.mark.parametrize("provenance", ["cherry-pick", "trailer"])
@pytest.mark.parametrize("position", [None, "0"])
def test_commit_already_queued_is_named_as_such(scenario: Scenario, capsys: pytest.CaptureFixture[str],
                                                provenance: str, position: str | None) -> None:
    """Picking a commit a queue commit already carries names that queue commit, at any position."""
    s = scenario
    pick(s, [s.features[1], s.features[0]], provenance=provenance)
    carrier = queue_tip(s.path)
    at = [] if position is None else ["--at", position]
    err = refused(s, capsys, "pick", *at, s.features[0])
    assert f"{s.features[0][:12]} is already queued: uq/master carries it as {carrier[:12]}" in err
    assert "feature 0: add feature-0.c" in err and "changes nothing" not in err


def test_queue_commit_itself_is_named_as_such(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """A commit of the queue branch itself is not 'in upstream'."""
    s = scenario
    pick(s, [s.features[0]])
    err = refused(s, capsys, "pick", queue_tip(s.path))
    assert "is already a commit of the queue uq/master" in err


def test_reachable_among_agrees_with_git_merge_base(builder: RepoBuilder) -> None:
    """One walk answers for every candidate what `git merge-base --is-ancestor` answers for one."""
    base = builder.commit("base", {"a": "1\n"}, ref="refs/heads/up")
    mid = builder.commit("mid", {"a": "2\n"}, ref="refs/heads/up")
    tip = builder.commit("tip", {"a": "3\n"}, ref="refs/heads/up")
    side = builder.commit("side", {"b": "1\n"}, parents=[base], ref="refs/heads/side")
    merge = builder.commit("merge", {"b": "1\n"}, parents=[tip, side], ref="refs/heads/up")
    other = builder.commit("elsewhere", {"c": "1\n"}, parents=[mid], ref="refs/heads/other")
    repo = Repo(builder.repo.path)
    candidates = [base, mid, tip, side, merge, other]
    expected = {c for c in candidates
                if subprocess.run(["git", f"--git-dir={builder.repo.path}", "merge-base", "--is-ancestor", c, merge],
                                  check=False).returncode == 0}
    assert repo.reachable_among(merge, candidates) == expected == {base, mid, tip, side, merge}
    assert repo.reachable_among(tip, [side, other]) == set()
    assert repo.reachable_among(tip, []) == set()
