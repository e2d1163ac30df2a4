"""Picking onto the queue in memory: results agree with git, and nothing else is ever touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.builder import RepoBuilder
from uqgui.cli import EXIT_CONFLICT, main
from uqgui.core.commands import execute
from uqgui.core.errors import ConflictError, QueueShapeError, RefMovedError
from uqgui.core.oplog import ABORTED, OperationLog
from uqgui.core.pick import PickCommits, read_series
from uqgui.core.repo import Repo

QUEUE = "refs/heads/uq/master"


# -- the scenario and the helpers the other test modules share --------------------------------

@dataclass
class Scenario:
    """A clone holding upstream, downstream and a checked-out master with local changes."""

    path: Path
    builder: RepoBuilder
    upstream: list[str]
    features: list[str]  # downstream commits, each adding its own file: never conflict
    vl_change: str  # downstream commit changing vl.c line 2
    merge: str  # downstream's merge of upstream

    @property
    def repo(self) -> Repo:
        """A freshly opened Repo (config and refs read anew)."""
        return Repo(self.path)


def make_scenario(builder: RepoBuilder, features: int = 6, add_profile: bool = True) -> Scenario:
    """Upstream (two commits), downstream (merges upstream, adds features), master checked out."""
    u1 = builder.commit("Initial import\n", {"vl.c": "line 1\nline 2\nline 3\n", "Makefile": "all:\n"},
                        ref="refs/heads/upstream")
    u2 = builder.commit("Makefile: add clean target\n", {"Makefile": "all:\nclean:\n"}, ref="refs/heads/upstream")
    d0 = builder.commit("kvm: downstream base\n", {"qemu-kvm.c": "kvm\n"}, parents=[u1], ref="refs/heads/downstream")
    merge = builder.commit("Merge branch 'upstream-merge'\n", parents=[d0, u2], ref="refs/heads/downstream",
                           tree=builder.tree({"qemu-kvm.c": "kvm\n"}, base=u2))
    feats = []
    for i in range(features):
        feats.append(builder.commit(f"feature {i}: add feature-{i}.c\n\nBody of feature {i}.\n",
                                    {f"feature-{i}.c": f"feature {i}\n"}, ref="refs/heads/downstream"))
    vl = builder.commit("vl: downstream wording\n", {"vl.c": "line 1\nline 2 (downstream)\nline 3\n"},
                        ref="refs/heads/downstream")
    builder.ref("refs/heads/master", u1)
    path = Path(builder.repo.workdir)
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "-f", "master"], check=True)
    # A user in the middle of their own work: a staged change, an unstaged one, an untracked file.
    (path / "Makefile").write_text("all:\n\t@echo staged\n")
    subprocess.run(["git", "-C", str(path), "add", "Makefile"], check=True)
    (path / "vl.c").write_text("line 1\nline 2 edited\nline 3\n")
    (path / "notes.txt").write_text("untracked\n")
    scenario = Scenario(path, builder, [u1, u2], feats, vl, merge)
    if add_profile:
        rc = main(["--repo", str(path), "profile", "add", "master", "--downstream", "downstream",
                   "--upstream", "upstream"])
        assert rc == 0
    return scenario


def git(path: Path, *args: str, input: bytes | None = None, check: bool = True) -> str:
    """Run the real git in PATH and return its stdout."""
    proc = subprocess.run(["git", "-C", str(path), *args], input=input, capture_output=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
    return proc.stdout.decode("utf-8", "replace")


def snapshot(path: Path) -> dict[str, object]:
    """Everything a pick must leave alone: HEAD, index bytes, work tree files, refs, local config."""
    files = {}
    for root, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            full = Path(root) / name
            files[str(full.relative_to(path))] = full.read_bytes()
    return {
        "HEAD": (path / ".git" / "HEAD").read_bytes(),
        "index": (path / ".git" / "index").read_bytes(),
        "files": files,
        "refs": git(path, "for-each-ref", "--format=%(refname) %(objectname)"),
        "config": (path / ".git" / "config").read_bytes(),
    }


def refs_of(path: Path) -> str:
    """Every ref and its target, as git lists them."""
    return git(path, "for-each-ref", "--format=%(refname) %(objectname)")


def assert_fsck_clean(path: Path) -> None:
    """`git fsck --strict` finds nothing wrong (dangling objects from undone picks are fine)."""
    proc = subprocess.run(["git", "-C", str(path), "fsck", "--strict", "--no-dangling", "--no-progress"],
                          capture_output=True)
    assert proc.returncode == 0 and not proc.stdout.strip() and not proc.stderr.strip(), proc


def loose_objects(path: Path) -> int:
    """How many loose objects the repository holds (a refused command must write none)."""
    out = git(path, "count-objects", "-v")
    return int(next(line.split()[1] for line in out.splitlines() if line.startswith("count:")))


def queue_tip(path: Path) -> str:
    """The queue branch's commit id."""
    return git(path, "rev-parse", QUEUE).strip()


def queue_subjects(path: Path) -> list[str]:
    """Subjects of the queue's commits, oldest first."""
    out = git(path, "log", "--reverse", "--format=%s", f"upstream..{QUEUE}")
    return out.splitlines()


def uq(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> tuple[int, str, str]:
    """Run `uq --repo PATH ARGS` in-process; return (exit status, stdout, stderr)."""
    capsys.readouterr()
    rc = main(["--repo", str(path), *args])
    out, err = capsys.readouterr()
    return rc, out, err


def pick(s: Scenario, commits: list[str], position: int | None = None, **kw: Any) -> dict[str, Any]:
    """Pick through the core API; return the command's result."""
    repo = s.repo
    log = OperationLog(repo)
    try:
        outcome = execute(repo, log, PickCommits(QUEUE, "upstream", commits, position, **kw))
    finally:
        log.close()
    return dict(outcome.result)


@pytest.fixture
def scenario(builder: RepoBuilder) -> Scenario:
    """The standard queue scenario, profile `master` added (uq/master created at upstream)."""
    return make_scenario(builder)


# -- agreement with git ------------------------------------------------------------------------

def test_pick_gives_the_commit_git_cherry_pick_gives(scenario: Scenario, tmp_path: Path) -> None:
    """Same tree, author, committer, date and message bytes: the very same commit id as git's."""
    s = scenario
    result = pick(s, [s.features[0], s.features[1]])
    clone = tmp_path / "oracle"
    git(tmp_path, "-c", "protocol.file.allow=always", "clone", "-q", "--no-local", str(s.path), str(clone))
    git(clone, "checkout", "-q", "-b", "check", "origin/upstream")
    git(clone, "cherry-pick", "-x", "-s", s.features[0], s.features[1])
    assert git(clone, "rev-parse", "HEAD").strip() == queue_tip(s.path) == result["tip"]
    message = git(s.path, "log", "-1", "--format=%B", QUEUE)
    assert (f"(cherry picked from commit {s.features[1]})\n"
            "Signed-off-by: Queue Maintainer <maintainer@example.org>") in message


def test_pick_touches_neither_head_nor_index_nor_work_tree(scenario: Scenario) -> None:
    """HEAD, the index bytes, every work tree file, other refs and the config stay as they were."""
    s = scenario
    before = snapshot(s.path)
    old_tip = queue_tip(s.path)
    pick(s, s.features[:3])
    after = snapshot(s.path)
    assert after["refs"] != before["refs"]  # the queue did move...
    for key in ("HEAD", "index", "files", "config"):
        assert after[key] == before[key], key
    moved = set(str(after["refs"]).splitlines()) ^ set(str(before["refs"]).splitlines())
    assert moved == {f"{QUEUE} {old_tip}", f"{QUEUE} {queue_tip(s.path)}"}  # ...and nothing else
    assert git(s.path, "status", "--porcelain") == "M  Makefile\n M vl.c\n?? notes.txt\n"
    assert_fsck_clean(s.path)


def test_pick_below_the_top_replays_what_is_above(scenario: Scenario) -> None:
    """Picking at position 1 puts the commit second and rewrites the commits above onto it."""
    s = scenario
    pick(s, s.features[:3])
    before = git(s.path, "rev-list", "--reverse", f"upstream..{QUEUE}").split()
    result = pick(s, [s.features[4]], position=1)
    assert queue_subjects(s.path) == [
        "feature 0: add feature-0.c", "feature 4: add feature-4.c",
        "feature 1: add feature-1.c", "feature 2: add feature-2.c",
    ]
    after = git(s.path, "rev-list", "--reverse", f"upstream..{QUEUE}").split()
    assert after[0] == before[0]  # below the position: untouched
    assert set(result["replayed"]) == set(before[1:])
    for old, new in zip(before[1:], after[2:]):
        # Replayed commits keep author and message bytes; only the parent (and committer) change.
        assert git(s.path, "show", "-s", "--format=%an %ae %ad%n%B", old) == \
            git(s.path, "show", "-s", "--format=%an %ae %ad%n%B", new)
        assert git(s.path, "diff", f"{old}~", old) == git(s.path, "diff", f"{new}~", new)
    files = git(s.path, "ls-tree", "--name-only", QUEUE).split()
    assert {"feature-0.c", "feature-1.c", "feature-2.c", "feature-4.c"} <= set(files)
    assert_fsck_clean(s.path)


def test_pick_at_zero_and_at_the_top_by_number(scenario: Scenario) -> None:
    """Position 0 is on the base; position len(queue) is the top."""
    s = scenario
    pick(s, [s.features[0]])
    pick(s, [s.features[1]], position=0)
    pick(s, [s.features[2]], position=2)
    assert queue_subjects(s.path) == ["feature 1: add feature-1.c", "feature 0: add feature-0.c",
                                      "feature 2: add feature-2.c"]


# -- sign-off and provenance -------------------------------------------------------------------

def test_signoff_and_provenance_follow_the_config(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """uq.signoff and uq.provenance decide the added lines; command-line flags override them."""
    s = scenario
    git(s.path, "config", "uq.provenance", "trailer")
    pick(s, [s.features[0]])
    assert git(s.path, "log", "-1", "--format=%B", QUEUE).endswith(
        f"Body of feature 0.\n\nDownstream-commit: {s.features[0]}\n"
        "Signed-off-by: Queue Maintainer <maintainer@example.org>\n\n")
    git(s.path, "config", "uq.signoff", "false")
    git(s.path, "config", "uq.provenance", "none")
    pick(s, [s.features[1]])
    raw = git(s.path, "cat-file", "commit", QUEUE)
    assert raw.endswith("\n\nfeature 1: add feature-1.c\n\nBody of feature 1.\n")
    rc, out, _ = uq(capsys, s.path, "pick", s.features[2], "--provenance", "cherry-pick")
    assert rc == 0, out
    assert git(s.path, "log", "-1", "--format=%B", QUEUE).endswith(
        f"Body of feature 2.\n\n(cherry picked from commit {s.features[2]})\n\n")
    git(s.path, "config", "uq.signoff", "true")
    rc, out, _ = uq(capsys, s.path, "pick", s.features[3], "--no-signoff", "--json")
    assert rc == 0
    assert "Signed-off-by" not in git(s.path, "log", "-1", "--format=%B", QUEUE)
    assert json.loads(out)["picked"] == [queue_tip(s.path)]


@pytest.mark.parametrize(("key", "value", "words"), [
    ("uq.provenance", "footnote", "uq.provenance must be one of"),
    ("uq.signoff", "perhaps", "uq.signoff must be true or false"),
])
def test_bad_pick_configuration_is_refused(scenario: Scenario, capsys: pytest.CaptureFixture[str],
                                            key: str, value: str, words: str) -> None:
    """A value git itself would not accept is an error naming the key, and nothing changes."""
    s = scenario
    git(s.path, "config", key, value)
    before = snapshot(s.path)
    rc, _, err = uq(capsys, s.path, "pick", s.features[0])
    assert rc == 1 and words in err
    assert snapshot(s.path) == before


# -- the race with another git -----------------------------------------------------------------

def test_branch_moved_between_plan_and_apply_is_refused(scenario: Scenario) -> None:
    """Someone moves the queue after we planned: the refs stay where they put them, the op is aborted."""
    s = scenario
    pick(s, [s.features[0]])
    repo = s.repo
    plan = PickCommits(QUEUE, "upstream", [s.features[1]]).plan(repo)
    elsewhere = s.upstream[0]
    git(s.path, "update-ref", QUEUE, elsewhere)  # another git, between our plan and our move
    log = OperationLog(repo)
    with pytest.raises(RefMovedError) as info:
        log.record("pick", plan.description, plan.refs, plan.config)
    assert "did not point where expected" in info.value.message
    assert queue_tip(s.path) == elsewhere
    assert log.operations()[-1].state == ABORTED
    log.close()
    assert_fsck_clean(s.path)


def test_branch_moved_by_another_process_during_pick(scenario: Scenario, tmp_path: Path) -> None:
    """A real second process moves the branch while `uq pick` is paused before moving it."""
    s = scenario
    old = queue_tip(s.path)
    env = dict(os.environ, UQ_TEST_PAUSE_AT="before-refs")
    proc = subprocess.Popen([sys.executable, "-m", "uqgui.cli", "--repo", str(s.path), "pick", s.features[0]],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().decode().strip() == "uq: paused at before-refs"
        git(s.path, "update-ref", QUEUE, s.upstream[0], old)
    finally:
        proc.kill()
        proc.wait()
    # The next uq settles the dead pick: the branch matches neither side, so nothing is touched.
    log = OperationLog(s.repo)
    op = log.operations()[-1]
    log.close()
    assert op.state == "interrupted"
    assert queue_tip(s.path) == s.upstream[0]


# -- conflicts ---------------------------------------------------------------------------------

def _queue_with_vl_change(s: Scenario) -> str:
    """Put on the queue a commit that changes vl.c line 2 another way than downstream did."""
    upstream_tip = s.upstream[1]
    other = s.builder.commit("vl: upstream wording\n", {"vl.c": "line 1\nline 2 (queue)\nline 3\n"},
                             parents=[upstream_tip])
    git(s.path, "update-ref", QUEUE, other)
    return other


def test_conflict_changes_nothing_and_reports_commit_and_paths(scenario: Scenario,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Exit status 3, the commit and paths in JSON; refs, log and work tree unchanged."""
    s = scenario
    _queue_with_vl_change(s)
    before = snapshot(s.path)
    log = OperationLog(s.repo)
    ops_before = len(log.operations())
    log.close()
    rc, out, err = uq(capsys, s.path, "pick", "--json", s.features[0], s.vl_change)
    assert rc == EXIT_CONFLICT == 3
    data = json.loads(out)
    assert data["error"] == "conflict" and data["commit"] == s.vl_change and data["paths"] == ["vl.c"]
    assert "Nothing was changed" in data["message"]
    rc, out, err = uq(capsys, s.path, "pick", s.vl_change)
    assert rc == 3 and "vl.c" in err and s.vl_change[:12] in err and out == ""
    assert snapshot(s.path) == before
    log = OperationLog(s.repo)
    assert len(log.operations()) == ops_before
    log.close()


def test_conflict_in_a_replayed_commit_names_that_commit(scenario: Scenario) -> None:
    """Picking below a commit that then no longer applies reports the queue commit."""
    s = scenario
    queued = _queue_with_vl_change(s)
    before = queue_tip(s.path)
    with pytest.raises(ConflictError) as info:
        pick(s, [s.vl_change], position=0)
    assert info.value.commit == queued and info.value.paths == ["vl.c"]
    assert queue_tip(s.path) == before


# -- refusals: clear errors, nothing changed ---------------------------------------------------

def _refused(s: Scenario, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    before, objects = snapshot(s.path), loose_objects(s.path)
    rc, out, err = uq(capsys, s.path, "pick", *args)
    assert rc == 1, (out, err)
    assert err.startswith("uq: ") and "Traceback" not in err
    assert snapshot(s.path) == before
    assert loose_objects(s.path) == objects  # not even stray objects were written
    return err


def test_picking_a_merge_is_refused(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """A merge commit cannot be picked; the message says what to do instead."""
    err = _refused(scenario, capsys, scenario.features[0], scenario.merge)
    assert "Cannot pick a merge" in err and "pick the commits it merges" in err


def test_picking_an_unknown_commit_is_refused(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """A name that resolves to nothing is reported by that name."""
    err = _refused(scenario, capsys, scenario.features[0], "no-such-branch")
    assert "'no-such-branch' does not exist" in err
    err = _refused(scenario, capsys, "1234567890abcdef1234567890abcdef12345678")
    assert "does not exist" in err


@pytest.mark.parametrize("position", ["5", "-1"])
def test_position_out_of_range_is_refused(scenario: Scenario, capsys: pytest.CaptureFixture[str],
                                          position: str) -> None:
    """Positions run from 0 to the queue's length."""
    pick(scenario, scenario.features[:2])
    err = _refused(scenario, capsys, "--at", position, scenario.features[3])
    assert f"Position {position} is outside the queue (0 to 2)" in err


def test_missing_identity_is_refused(scenario: Scenario, capsys: pytest.CaptureFixture[str],
                                     isolated_environment: Path) -> None:
    """Without user.name no commit can be signed: say how to set it."""
    (isolated_environment / ".gitconfig").write_text("[init]\n\tdefaultBranch = master\n")
    err = _refused(scenario, capsys, scenario.features[0])
    assert "git identity is not set" in err and "git config --global user.name" in err


def test_identity_from_the_environment_is_used(scenario: Scenario, isolated_environment: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """As with git, GIT_COMMITTER_NAME/EMAIL stand in for (and override) the config."""
    (isolated_environment / ".gitconfig").write_text("[init]\n\tdefaultBranch = master\n")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Env Person")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "env@example.org")
    pick(scenario, [scenario.features[0]])
    assert git(scenario.path, "log", "-1", "--format=%cn <%ce>%n%b", QUEUE).startswith("Env Person <env@example.org>")
    assert "Signed-off-by: Env Person <env@example.org>" in git(scenario.path, "log", "-1", "--format=%B", QUEUE)


def test_queue_holding_a_merge_is_refused(scenario: Scenario) -> None:
    """The queue must be a linear series to pick into; a merge in it is named."""
    s = scenario
    pick(s, [s.features[0]])
    tip = queue_tip(s.path)
    side = s.builder.commit("side work\n", {"side.c": "x\n"}, parents=[s.upstream[1]])
    merged = s.builder.commit("Merge side\n", parents=[tip, side],
                              tree=s.builder.tree({"side.c": "x\n"}, base=tip))
    git(s.path, "update-ref", QUEUE, merged)
    with pytest.raises(QueueShapeError) as info:
        pick(s, [s.features[1]])
    assert merged[:12] in info.value.message and "linear" in info.value.message
    assert queue_tip(s.path) == merged
    with pytest.raises(QueueShapeError):
        read_series(s.repo, QUEUE, "upstream~1")  # an older upstream is no better


def test_picking_a_change_already_in_the_queue_is_refused(scenario: Scenario,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The same commit twice, or an upstream commit, would add an empty commit: refused, nothing moves."""
    pick(scenario, [scenario.features[0]])
    tip = queue_tip(scenario.path)
    for spec in (scenario.features[0], scenario.upstream[1]):
        rc, _, err = uq(capsys, scenario.path, "pick", spec)
        assert rc == 1 and "already" in err and "Traceback" not in err
    # A second copy of an applied change (another commit, same diff) is caught by the empty result.
    twin = scenario.builder.commit("feature 0 again\n", {"feature-0.c": "feature 0\n"}, parents=[scenario.upstream[1]])
    rc, _, err = uq(capsys, scenario.path, "pick", twin)
    assert rc == 1 and "changes nothing" in err
    assert queue_tip(scenario.path) == tip


def test_unwritable_git_dir_gives_a_message_not_a_traceback(scenario: Scenario,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """When .git/uqgui cannot be created, every logged command says so plainly and changes nothing."""
    uqdir = scenario.path / ".git" / "uqgui"
    for child in uqdir.iterdir():
        child.unlink()
    uqdir.rmdir()
    uqdir.write_text("in the way\n")  # a file where the folder goes (a read-only git dir: test_odd_refs)
    tip = queue_tip(scenario.path)
    for args in (["pick", scenario.features[0]], ["oplog"], ["undo"]):
        rc, _, err = uq(capsys, scenario.path, *args)
        assert rc == 1 and "exists but is not a folder" in err and "Traceback" not in err
    assert queue_tip(scenario.path) == tip
