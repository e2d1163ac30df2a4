"""What a refused pick or reorder says: objects the repository lacks, a commit named twice, and
conflicts that name only commits the user can look up, never the unsaved ones made in memory."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.builder import RepoBuilder
from tests.test_pick import QUEUE, Scenario, git, make_scenario, pick, queue_tip, snapshot, uq
from tests.test_pick_edge_cases import refused
from uqgui.cli import EXIT_CONFLICT, main

LINES = "1\n2\n3\n4\n5\n"


@pytest.fixture
def scenario(builder: RepoBuilder) -> Scenario:
    """The standard queue scenario, profile `master` added (uq/master created at upstream)."""
    return make_scenario(builder)


def lines_scenario(builder: RepoBuilder) -> tuple[Scenario, str]:
    """Upstream: one commit with f = LINES; profile `master` (uq/master at it); return it and that commit."""
    base = builder.commit("base\n", {"f": LINES}, ref="refs/heads/upstream")
    builder.ref("refs/heads/downstream", base)
    builder.ref("refs/heads/master", base)
    path = Path(builder.repo.workdir)
    git(path, "checkout", "-q", "-f", "master")
    assert main(["--repo", str(path), "profile", "add", "master", "--downstream", "downstream",
                 "--upstream", "upstream"]) == 0
    return Scenario(path, builder, [base], [], "", ""), base


def edit(s: Scenario, parent: str, subject: str, old: str, new: str, ref: str | None = None) -> str:
    """A commit on PARENT replacing line OLD of f by NEW."""
    text = git(s.path, "show", f"{parent}:f").replace(f"{old}\n", f"{new}\n")
    return s.builder.commit(f"{subject}\n", {"f": text}, parents=[parent], ref=ref)


def blob_of(s: Scenario, commit: str, path: str) -> str:
    """The id of the file PATH in COMMIT."""
    return git(s.path, "rev-parse", f"{commit}:{path}").strip()


def drop_object(s: Scenario, object_id: str) -> None:
    """Delete a loose object, as a partial clone lacks it (the builder writes every object loose)."""
    (s.path / ".git" / "objects" / object_id[:2] / object_id[2:]).unlink()
    assert subprocess.run(["git", "-C", str(s.path), "cat-file", "-e", object_id],
                          capture_output=True, check=False).returncode != 0


def assert_ids_exist(s: Scenario, text: str) -> None:
    """Every commit id TEXT cites can be looked up in the repository."""
    for short in re.findall(r"\b[0-9a-f]{12}\b", text):
        assert subprocess.run(["git", "-C", str(s.path), "cat-file", "-e", f"{short}^{{commit}}"],
                              capture_output=True, check=False).returncode == 0, f"{short} cited in: {text}"


def refused_in_the_replay(s: Scenario, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Like `refused`, for a refusal while replaying: the pick made before it stays an unreferenced object."""
    before = snapshot(s.path)
    rc, out, err = uq(capsys, s.path, *args)
    assert rc == 1, (out, err)
    assert err.startswith("uq: ") and "Traceback" not in err
    assert snapshot(s.path) == before
    return err


def conflict(s: Scenario, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run a uq command that must conflict (status 3) and change nothing; return its message."""
    before = snapshot(s.path)
    rc, out, err = uq(capsys, s.path, *args, "--json")
    assert rc == EXIT_CONFLICT, (out, err)
    assert snapshot(s.path) == before
    message: str = json.loads(out)["message"]
    assert "Nothing was changed" in message
    assert_ids_exist(s, message)
    return message


# -- 1. an object the repository lacks -----------------------------------------------------------

def test_missing_blob_the_merge_reads_is_named_not_a_traceback(builder: RepoBuilder,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Both sides change f: the merge reads the picked commit's file, which a partial clone may lack."""
    s, base = lines_scenario(builder)
    edit(s, base, "queue: line 1", "1", "one", ref=QUEUE)
    picked = edit(s, base, "down: line 5", "5", "five", ref="refs/heads/downstream")
    blob = blob_of(s, picked, "f")
    drop_object(s, blob)
    err = refused(s, capsys, "pick", picked)
    assert f"Missing git object: Picking {picked[:12]} \"down: line 5\" needs object {blob}" in err
    assert "not in the repository" in err and "Nothing was changed" in err
    assert f"git cat-file -e {blob}" in err and "git fsck" in err


def test_missing_blob_only_the_new_tree_needs_is_named(scenario: Scenario,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A file the pick only adds is never read by the merge; writing the tree finds it missing."""
    s = scenario
    blob = blob_of(s, s.features[0], "feature-0.c")
    drop_object(s, blob)
    err = refused(s, capsys, "pick", s.features[0])
    assert f"Picking {s.features[0][:12]} \"feature 0: add feature-0.c\" needs object {blob}" in err


def test_missing_blob_in_a_replayed_queue_commit_is_named(builder: RepoBuilder,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Picking below a queue commit whose file is missing names that queue commit, not an unsaved one."""
    s, base = lines_scenario(builder)
    queued = edit(s, base, "queue: line 1", "1", "one", ref=QUEUE)
    picked = edit(s, base, "down: line 5", "5", "five", ref="refs/heads/downstream")
    blob = blob_of(s, queued, "f")
    drop_object(s, blob)
    err = refused_in_the_replay(s, capsys, "pick", "--at", "0", picked)
    assert (f"Replaying queue commit {queued[:12]} \"queue: line 1\" (#1 of the queue) needs object {blob}"
            in err)
    assert_ids_exist(s, err)


def test_missing_blob_in_a_reorder_is_named(builder: RepoBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    """A reorder replays the same way: a missing file is the queue commit's, said plainly."""
    s, base = lines_scenario(builder)
    first = edit(s, base, "queue: line 1", "1", "one", ref=QUEUE)
    second = edit(s, first, "queue: line 5", "5", "five", ref=QUEUE)
    blob = blob_of(s, second, "f")
    drop_object(s, blob)
    err = refused(s, capsys, "reorder", second, first)
    assert f"Replaying queue commit {second[:12]} \"queue: line 5\" (#2 of the queue) needs object {blob}" in err


def test_missing_commit_in_the_queue_s_history_is_named(scenario: Scenario,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A queue commit itself missing: where the queue leaves upstream cannot be found, and that is said."""
    s = scenario
    pick(s, s.features[:2])
    first = git(s.path, "rev-list", "--reverse", f"upstream..{QUEUE}").split()[0]
    drop_object(s, first)
    for args in (["pick", s.features[2]], ["reorder", queue_tip(s.path), first]):
        err = refused(s, capsys, *args)
        assert f"Reading the history of uq/master and upstream needs object {first}" in err


# -- 2. a commit named twice ----------------------------------------------------------------------

def test_commit_named_twice_is_refused_up_front(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """The second copy would "change nothing on top of" an unsaved commit: say what really happened."""
    s = scenario
    feature = s.features[0]
    err = refused(s, capsys, "pick", feature[:12], s.features[1], feature[:12])
    assert f"Named twice: {feature[:12]} is named twice" in err and "changes nothing" not in err
    git(s.path, "branch", "feat", feature)
    err = refused(s, capsys, "pick", "feat", feature)
    assert f"feat and {feature} name the same commit {feature[:12]}: it is named twice" in err
    assert uq(capsys, s.path, "pick", feature)[0] == 0  # named once, it picks


# -- 3. conflicts and empty results name commits that exist --------------------------------------

def test_replay_conflict_names_the_picked_commit_not_its_unsaved_copy(builder: RepoBuilder,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """X, its revert, then A (on the reverted line): A queued alone, then X picked below it."""
    s, base = lines_scenario(builder)
    x = edit(s, base, "X", "2", "X", ref="refs/heads/downstream")
    rev = edit(s, x, "rev", "X", "2", ref="refs/heads/downstream")
    a = edit(s, rev, "A", "2", "A", ref="refs/heads/downstream")
    pick(s, [a])
    queued = queue_tip(s.path)
    message = conflict(s, capsys, "pick", "--at", "0", x)
    assert message.startswith(f"Replaying queue commit {queued[:12]} \"A\" (#1 of the queue) on top of the "
                              f"picked {x[:12]} \"X\" conflicts in f. ")


def test_second_pick_conflict_names_the_first_picked_commit(builder: RepoBuilder,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Two picks that clash: the second is named with the first, by the commit the user named."""
    s, base = lines_scenario(builder)
    x = edit(s, base, "X", "2", "X", ref="refs/heads/downstream")
    y = edit(s, base, "Y", "2", "Y", ref="refs/heads/downstream")
    message = conflict(s, capsys, "pick", x, y)
    assert message.startswith(f"Picking {y[:12]} \"Y\" on top of the picked {x[:12]} \"X\" conflicts in f. ")


def test_replayed_commit_made_empty_names_the_picked_commit(scenario: Scenario,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A twin picked below the queued change empties the replayed queue commit: both named by real ids."""
    s = scenario
    pick(s, [s.features[0]])
    queued = queue_tip(s.path)
    twin = s.builder.commit("feature 0 again\n", {"feature-0.c": "feature 0\n"}, parents=[s.upstream[1]])
    err = refused_in_the_replay(s, capsys, "pick", "--at", "0", twin)
    assert (f"Replaying queue commit {queued[:12]} \"feature 0: add feature-0.c\" (#1 of the queue) changes "
            f"nothing on top of the picked {twin[:12]} \"feature 0 again\"") in err
    assert_ids_exist(s, err)


def test_reorder_conflict_names_the_replayed_queue_commit(builder: RepoBuilder,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The conflict comes on top of a commit already replayed: it is named by its queue commit."""
    s, base = lines_scenario(builder)
    first = edit(s, base, "line 2 to A", "2", "A", ref=QUEUE)
    second = edit(s, first, "line 2 to B", "A", "B", ref=QUEUE)
    third = s.builder.commit("add u\n", {"u": "u\n"}, parents=[second], ref=QUEUE)
    message = conflict(s, capsys, "reorder", third, second, first)
    assert message.startswith(f"Replaying queue commit {second[:12]} \"line 2 to B\" (#2 of the queue) on top of "
                              f"the replayed queue commit {third[:12]} \"add u\" conflicts in f. ")
    assert "Try another order" in message


# -- 4. the committer identity ----------------------------------------------------------------------

@pytest.mark.parametrize(("args", "signed"), [(["pick", "--no-signoff"], False), (["pick"], True)])
def test_missing_identity_says_the_committer_needs_it(scenario: Scenario, capsys: pytest.CaptureFixture[str],
                                                      isolated_environment: Path, args: list[str],
                                                      signed: bool) -> None:
    """Every new commit needs a committer; the sign-off is mentioned only when there is one to make."""
    (isolated_environment / ".gitconfig").write_text("[init]\n\tdefaultBranch = master\n")
    err = refused(scenario, capsys, *args, scenario.features[0])
    assert "new commits need a committer identity" in err
    assert ("cannot be signed off" in err) == signed
    assert "git config --global user.name" in err and "git config --global user.email" in err


def test_missing_identity_in_a_reorder_speaks_of_the_committer(scenario: Scenario,
                                                               capsys: pytest.CaptureFixture[str],
                                                               isolated_environment: Path) -> None:
    """A reorder signs nothing off, yet its replayed commits need a committer."""
    s = scenario
    pick(s, s.features[:2])
    ids = git(s.path, "rev-list", "--reverse", f"upstream..{QUEUE}").split()
    (isolated_environment / ".gitconfig").write_text("[init]\n\tdefaultBranch = master\n")
    err = refused(s, capsys, "reorder", *reversed(ids))
    assert "new commits need a committer identity" in err and "signed off" not in err


def test_a_long_subject_quoted_in_a_message_says_it_was_cut(builder: RepoBuilder) -> None:
    """Messages quote at most 72 characters of a subject; a cut one ends with an ellipsis, not mid-word."""
    import pygit2

    from uqgui.core.pick import _subject

    long_subject = "kvm: build stubs. Use --force-share or give the option twice to " + "x" * 40
    repo = pygit2.Repository(str(builder.path))
    short = repo[builder.commit("short subject\n", {"a.c": "1\n"})]
    cut = repo[builder.commit(long_subject + "\n\nbody\n", {"a.c": "2\n"})]
    assert _subject(short) == "short subject"
    assert _subject(cut) == long_subject[:71] + "…" and len(_subject(cut)) == 72


# -- a conflict with the commit's own twin, in another form ----------------------------------------------

def test_a_conflict_names_the_queue_commit_with_the_same_subject(builder: RepoBuilder,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Queued reworked, the change conflicts with its own twin: say so, not only "resolve it by hand"."""
    s, base = lines_scenario(builder)
    mine = edit(s, base, "vl: use the new wording", "2", "two", ref="refs/heads/downstream")
    twin = edit(s, base, "vl: Use the new wording.", "2", "TWO, reworked", ref=QUEUE)
    rc, out, err = uq(capsys, s.path, "pick", mine)
    assert rc == EXIT_CONFLICT and out == "", err
    said = f"The queue already has {twin[:12]} \"vl: Use the new wording.\", with the same subject"
    assert said in err
    # Said before the advice to pick elsewhere or resolve by hand: the conflict may be no conflict.
    assert err.index(said) < err.index("Nothing was changed.") < err.index("resolve it by hand")
    assert "`uq status` shows it as queued" in err
    assert queue_tip(s.path) == twin


def test_a_conflict_names_the_upstream_commit_the_message_comes_from(builder: RepoBuilder,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    s, base = lines_scenario(builder)
    landed = edit(s, base, "f: renumber line 3", "3", "three", ref="refs/heads/upstream")
    git(s.path, "update-ref", QUEUE, landed)  # the queue is on upstream's tip
    backport = edit(s, base, f"f: renumber line 3 (backport)\n\n(cherry picked from commit {landed})", "3",
                    "three, backported", ref="refs/heads/downstream")
    rc, out, err = uq(capsys, s.path, "pick", "--json", backport)
    assert rc == EXIT_CONFLICT
    said = f"names {landed[:12]} \"f: renumber line 3\" in upstream as where it comes from"
    assert said in err and said in json.loads(out)["message"]
    assert "`uq status` shows it as landed" in err


def test_a_conflict_without_evidence_of_a_twin_points_to_status(builder: RepoBuilder,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    s, base = lines_scenario(builder)
    git(s.path, "update-ref", QUEUE, edit(s, base, "f: one thing", "4", "four"))
    other = edit(s, base, "f: something else entirely", "4", "FOUR", ref="refs/heads/downstream")
    rc, _, err = uq(capsys, s.path, "pick", other)
    assert rc == EXIT_CONFLICT
    assert "already has" not in err and "names" not in err
    assert err.rstrip().endswith("(`uq status` shows whether upstream or the queue has its change in another form.)")


def test_a_queue_with_no_history_in_common_with_upstream_says_what_to_check(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    s = scenario
    orphan = s.builder.commit("an unrelated history\n", {"other.c": "x\n"}, parents=[])
    git(s.path, "update-ref", QUEUE, orphan)
    before = snapshot(s.path)
    rc, out, err = uq(capsys, s.path, "pick", s.features[0])
    assert rc == 1 and out == ""
    assert "uq/master shares no history with upstream upstream: a queue is a series of commits" in err
    assert "git branch -f uq/master upstream" in err and "Traceback" not in err
    assert snapshot(s.path) == before
