"""The demo scenario: deterministic, complete, and every role it claims is what `uq` and git see."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import time
from pathlib import Path

import pygit2
import pytest

from tests.builder import git_patch_id
from uqgui.cli import main
from uqgui.core.demo import DEMO_FACTS, build_demo, demo_facts
from uqgui.core.divergence import (
    LANDED,
    QUEUED,
    REMAINING,
    Divergence,
    Entry,
    compute_divergence,
)
from uqgui.core.errors import ConflictError, UqError
from uqgui.core.pick import PickCommits
from uqgui.core.profile import get_profile, list_profiles
from uqgui.core.repo import Repo

F = DEMO_FACTS
_DIVERGENCES: dict[tuple[Path, str], Divergence] = {}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo repository shared by the read-only tests (the build uses no git config)."""
    return build_demo(tmp_path_factory.mktemp("demo") / "qemu-kvm")


def git(path: Path, *args: str, input: bytes | None = None) -> bytes:
    """Run git in PATH and return stdout."""
    return subprocess.run(["git", "-C", str(path), *args], input=input, capture_output=True, check=True).stdout


def subjects(path: Path, *revs: str) -> dict[str, str]:
    """Subject -> id of the non-merge commits in REVS; subjects must be unique there."""
    out = git(path, "log", "--no-merges", "--encoding=UTF-8", "--format=%H %s", *revs).decode()
    found: dict[str, str] = {}
    for line in out.splitlines():
        commit, subject = line.split(" ", 1)
        assert subject not in found, f"subject {subject!r} is not unique in {revs}"
        found[subject] = commit
    return found


def divergence(path: Path, profile: str = "master") -> Divergence:
    """The engine's answer for a profile, computed once per repository."""
    key = (path, profile)
    if key not in _DIVERGENCES:
        if profile == "master":
            refs = (F.downstream, F.upstream, F.queue)
        else:
            refs = (F.stable_downstream, F.stable_upstream, F.stable_queue)
        _DIVERGENCES[key] = compute_divergence(Repo(path), *refs)
    return _DIVERGENCES[key]


def by_subject(result: Divergence) -> dict[str, Entry]:
    """The divergence entries keyed by subject."""
    return {e.meta.subject: e for e in result.entries}


def is_ancestor(path: Path, ancestor: str, descendant: str) -> bool:
    """git merge-base --is-ancestor."""
    return subprocess.run(["git", "-C", str(path), "merge-base", "--is-ancestor", ancestor, descendant],
                          check=False).returncode == 0


def downstream_only(path: Path) -> dict[str, str]:
    """Subject -> id of the downstream-only commits."""
    return subjects(path, F.downstream, f"^{F.upstream}")


def refs_of(path: Path) -> dict[str, str]:
    """Every ref and the id it points at."""
    repo = pygit2.Repository(str(path))
    return {name: str(repo.references[name].target) for name in repo.references}


def run_test_script(path: Path, commit: str, tmp: Path) -> subprocess.CompletedProcess[bytes]:
    """The profile's test command on COMMIT's tree, extracted with `git archive` into TMP."""
    where = tmp / commit.replace("/", "_")
    where.mkdir()
    with tarfile.open(fileobj=io.BytesIO(git(path, "archive", "--format=tar", commit))) as tar:
        tar.extractall(where, filter="data")
    return subprocess.run(F.test_command.split(), cwd=where, capture_output=True, check=False)


# -- building -----------------------------------------------------------------------------

def test_two_builds_are_identical_and_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    first = build_demo(tmp_path / "one")
    elapsed = time.perf_counter() - started
    second = build_demo(tmp_path / "two")
    assert refs_of(first) == refs_of(second)
    assert (first / ".git" / "config").read_bytes() == (second / ".git" / "config").read_bytes()
    assert elapsed < 2.0


def test_refs_work_tree_and_head(demo: Path) -> None:
    refs = refs_of(demo)
    for name in (F.downstream, F.upstream, F.queue, F.stable_downstream, F.stable_upstream, F.stable_queue,
                 "refs/heads/master"):
        assert name in refs
    assert refs["refs/heads/master"] == refs[F.downstream]
    assert git(demo, "symbolic-ref", "HEAD").decode().strip() == "refs/heads/master"
    assert git(demo, "status", "--porcelain").decode() == ""
    script = demo / "tests" / "run-tests.sh"
    assert os.access(script, os.X_OK)
    assert "100755" in git(demo, "ls-tree", F.upstream, "tests/run-tests.sh").decode()
    assert (demo / "hw" / "device-assignment.c").is_file()


def test_profiles_are_configured(demo: Path) -> None:
    repo = Repo(demo)
    assert {p.name for p in list_profiles(repo)} == {"master", "stable-0.12"}
    master = get_profile(repo)  # the default one
    assert master.name == "master"
    assert (master.downstream, master.upstream, master.branch) == (F.downstream, F.upstream, "uq/master")
    assert master.test == F.test_command
    assert master.to == list(F.recipients)
    stable = get_profile(repo, "stable-0.12")
    assert (stable.downstream, stable.upstream, stable.branch) == (F.stable_downstream, F.stable_upstream,
                                                                  "uq/stable-0.12")
    assert stable.to == list(F.recipients)


def test_history_has_the_shape_of_the_seed(demo: Path) -> None:
    upstream = subjects(demo, F.upstream)
    assert 40 <= len(upstream) <= 80
    merges = git(demo, "log", "--merges", "--format=%s", F.downstream, f"^{F.upstream}").decode().splitlines()
    assert merges.count("Merge branch 'upstream-merge'") >= 3
    assert "Merge remote branch 'qemu-kvm/uq/master' into staging" in \
        git(demo, "log", "--merges", "--format=%s", F.upstream).decode()
    authors = git(demo, "log", "--format=%an <%ae>", F.upstream).decode()
    assert "Anthony Liguori <aliguori@us.ibm.com>" in authors
    queue = git(demo, "log", "--reverse", "--format=%s", f"{F.upstream}..{F.queue}").decode().splitlines()
    assert tuple(queue) == F.queue_series
    assert len(F.remaining) >= 12


def test_facts_cover_every_downstream_only_commit(demo: Path) -> None:
    listed = set(F.landed) | set(F.queued) | set(F.remaining)
    assert set(downstream_only(demo)) == listed
    assert len(listed) == len(F.landed) + len(F.queued) + len(F.remaining)
    oldest_first = git(demo, "log", "--reverse", "--no-merges", "--format=%s", F.downstream,
                       f"^{F.upstream}").decode().splitlines()
    assert tuple(s for s in oldest_first if s in F.remaining) == F.remaining
    assert demo_facts(demo) is F


# -- what `uq` sees -------------------------------------------------------------------

@pytest.mark.parametrize("subject", sorted(F.landed))
def test_landed(demo: Path, subject: str) -> None:
    entry = by_subject(divergence(demo))[subject]
    twin = F.landed[subject]
    assert entry.state == LANDED, entry.to_json()
    assert entry.match is not None and entry.match.how in twin.hows, entry.match
    assert entry.match.id == subjects(demo, F.upstream)[twin.subject]


@pytest.mark.parametrize("subject", sorted(F.queued))
def test_queued(demo: Path, subject: str) -> None:
    entry = by_subject(divergence(demo))[subject]
    twin = F.queued[subject]
    assert entry.state == QUEUED, entry.to_json()
    assert entry.match is not None and entry.match.how in twin.hows, entry.match
    assert entry.match.id == subjects(demo, f"{F.upstream}..{F.queue}")[twin.subject]


def test_remaining(demo: Path) -> None:
    entries = by_subject(divergence(demo))
    wrong = {s: entries[s].to_json() for s in F.remaining if entries[s].state != REMAINING}
    assert wrong == {}
    assert all(entries[s].match is None for s in F.remaining)


def test_summary_of_uq_status_json(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--repo", str(demo), "status", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    exact = sum(1 for t in F.landed.values() if t.hows == ("patch-id",))
    assert summary["downstream_only"] == len(F.landed) + len(F.queued) + len(F.remaining)
    assert (summary["landed"], summary["landed_exact"]) == (len(F.landed), exact)
    assert (summary["queued"], summary["remaining"]) == (len(F.queued), len(F.remaining))
    assert summary["no_diff"] == len(F.no_diff)


def test_empty_diff_commit_is_no_diff(demo: Path) -> None:
    entries = by_subject(divergence(demo))
    for subject in F.no_diff:
        assert entries[subject].no_diff
        commit = pygit2.Repository(str(demo))[entries[subject].meta.id].peel(pygit2.Commit)
        assert commit.tree_id == commit.parents[0].tree_id
    assert [s for s, e in entries.items() if e.no_diff] == list(F.no_diff)


# -- the oracles: git patch-id and git cherry ----------------------------------------------

def test_exact_landed_agree_with_git_patch_id(demo: Path) -> None:
    down, up = downstream_only(demo), subjects(demo, F.upstream)
    for subject in F.exact_landed:
        mine, twin = down[subject], up[F.landed[subject].subject]
        assert mine != twin
        assert git_patch_id(demo, mine) == git_patch_id(demo, twin) is not None
        # The twin was merged back into downstream: that is what hides it from git cherry.
        assert is_ancestor(demo, twin, F.downstream)


def test_morphed_ones_really_differ(demo: Path) -> None:
    down, up = downstream_only(demo), subjects(demo, F.upstream)
    for subject, twin in F.landed.items():
        if subject not in F.exact_landed:
            assert git_patch_id(demo, down[subject]) != git_patch_id(demo, up[twin.subject]), subject
    queue = subjects(demo, f"{F.upstream}..{F.queue}")
    for subject, twin in F.queued.items():
        same = git_patch_id(demo, down[subject]) == git_patch_id(demo, queue[twin.subject])
        assert same == (twin.hows == ("patch-id",)), subject


def test_git_cherry_misses_the_exact_landed(demo: Path) -> None:
    lines = set(git(demo, "cherry", F.upstream, F.downstream).decode().splitlines())
    down = downstream_only(demo)
    for subject in F.exact_landed:
        assert f"+ {down[subject]}" in lines


def test_provenance_trailers_point_both_ways(demo: Path) -> None:
    down, up = downstream_only(demo), subjects(demo, F.upstream)
    by_trailer = {s: t for s, t in F.landed.items() if t.hows == ("trailer",)}
    messages = {s: git(demo, "log", "-1", "--format=%B", down[s]).decode() for s in by_trailer}
    upstream_names_it = [s for s, t in by_trailer.items()
                         if f"(cherry picked from commit {down[s]})" in git(demo, "log", "-1", "--format=%B",
                                                                           up[t.subject]).decode()]
    downstream_names_it = [s for s, t in by_trailer.items() if f"Upstream-commit: {up[t.subject]}" in messages[s]]
    assert upstream_names_it and downstream_names_it
    for subject in downstream_names_it:  # a commit can only name one made before it
        assert not is_ancestor(demo, up[by_trailer[subject].subject], down[subject])
        assert int(git(demo, "log", "-1", "--format=%ct", up[by_trailer[subject].subject])) < \
            int(git(demo, "log", "-1", "--format=%ct", down[subject]))


def test_queued_exact_picks_look_like_uq_pick(demo: Path) -> None:
    down, queue = downstream_only(demo), subjects(demo, f"{F.upstream}..{F.queue}")
    for subject, twin in F.queued.items():
        if twin.hows == ("patch-id",):
            body = git(demo, "log", "-1", "--format=%B", queue[subject]).decode()
            assert f"(cherry picked from commit {down[subject]})\nSigned-off-by: " in body


# -- the odd but real commits -----------------------------------------------------------

def test_odd_commits(demo: Path) -> None:
    down = downstream_only(demo)
    raw = git(demo, "cat-file", "commit", down[F.latin2])
    assert b"\nencoding latin2\n" in raw
    assert b"Aur\xe9lien" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert git(demo, "log", "-1", "--format=%ae", down[F.no_at_author]).decode().strip() == "dor"
    numstat = git(demo, "show", "--numstat", "--format=", down[F.binary]).decode()
    assert "-\t-\tpc-bios/bios.bin" in numstat


def test_fsck_strict_is_clean(tmp_path: Path) -> None:
    path = build_demo(tmp_path / "demo")
    proc = subprocess.run(["git", "-C", str(path), "fsck", "--strict", "--no-dangling"], capture_output=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    output = (proc.stdout + proc.stderr).decode().lower()
    assert "error" not in output and "warning" not in output and "dangling" not in output


# -- picking and testing ----------------------------------------------------------------

def test_conflicting_pick(tmp_path: Path) -> None:
    path = build_demo(tmp_path / "demo")
    before = refs_of(path)
    commit = downstream_only(path)[F.conflicting_pick]
    with pytest.raises(ConflictError) as caught:
        PickCommits(F.queue, F.upstream, [commit]).plan(Repo(path))
    assert caught.value.commit == commit
    assert tuple(caught.value.paths) == F.conflict_paths
    assert refs_of(path) == before


def test_every_other_remaining_commit_picks_cleanly(tmp_path: Path) -> None:
    path = build_demo(tmp_path / "demo")
    down = downstream_only(path)
    others = [down[s] for s in F.remaining if s != F.conflicting_pick]
    plan = PickCommits(F.queue, F.upstream, others).plan(Repo(path))
    assert len(plan.result["picked"]) == len(others)


def test_standalone_picks(tmp_path: Path) -> None:
    path = build_demo(tmp_path / "demo")
    down = downstream_only(path)
    clean = []
    for subject in F.remaining:
        try:
            PickCommits(F.queue, F.upstream, [down[subject]]).plan(Repo(path))
            clean.append(subject)
        except ConflictError:
            pass
    assert tuple(clean) == F.standalone_picks
    newest = git(path, "log", "-1", "--format=%s", *[down[s] for s in F.remaining], "--no-walk").decode().strip()
    assert newest in F.standalone_picks


def test_test_command_fails_on_exactly_one_queue_commit(demo: Path, tmp_path: Path) -> None:
    assert run_test_script(demo, F.upstream, tmp_path).returncode == 0
    assert run_test_script(demo, F.downstream, tmp_path).returncode == 0
    queue = subjects(demo, f"{F.upstream}..{F.queue}")
    results = {s: run_test_script(demo, queue[s], tmp_path) for s in F.queue_series}
    failing = [s for s, proc in results.items() if proc.returncode != 0]
    assert failing == [F.failing_test]
    assert b"kvm-stub.c is missing" in results[F.failing_test].stdout


def test_stable_profile(demo: Path) -> None:
    entries = by_subject(divergence(demo, "stable-0.12"))
    for subject, twin in F.stable_queued.items():
        match = entries[subject].match
        assert entries[subject].state == QUEUED
        assert match is not None and match.how in twin.hows


# -- the command line and refusals ---------------------------------------------------------

def test_uq_demo_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "demo"
    assert main(["demo", str(target)]) == 0
    assert str(target) in capsys.readouterr().out
    status = main(["demo", str(target)])
    err = capsys.readouterr().err
    assert status != 0
    assert "not empty" in err and "Traceback" not in err


def test_refuses_anything_but_a_new_or_empty_directory(tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine\n")
    with pytest.raises(UqError, match="not empty"):
        build_demo(busy)
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(UqError, match="not a directory"):
        build_demo(a_file)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert build_demo(empty) == empty
