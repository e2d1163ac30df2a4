"""Revisions uq cannot use as commits: tags of trees and blobs, and commits the repository lacks.

Each is a clear message naming what is wrong and what to do, a non-zero exit status, no
traceback, and nothing changed.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.builder import RepoBuilder
from tests.test_bad_input import by_id, loose_object, refs_of, status_json, uq, uq_process
from tests.test_divergence import DOWN, UP, Scenario, source
from uqgui.core.divergence import compute_divergence
from uqgui.core.errors import MissingObjectError, RefNotFoundError
from uqgui.core.gitcli import missing_object_named
from uqgui.core.repo import Repo


@pytest.fixture
def sc(builder: RepoBuilder) -> Scenario:
    """A fresh scenario."""
    return Scenario(builder)


def oplog(capsys: pytest.CaptureFixture[str], repo: Path) -> object:
    code, out, err = uq(capsys, "--repo", str(repo), "oplog", "--json")
    assert code == 0, err
    return json.loads(out)


def profiles(capsys: pytest.CaptureFixture[str], repo: Path) -> object:
    code, out, err = uq(capsys, "--repo", str(repo), "profile", "list", "--json")
    assert code == 0, err
    return json.loads(out)


# -- annotated tags of a tree or a blob ------------------------------------------------------------

@pytest.fixture
def tagged(sc: Scenario) -> Scenario:
    """Annotated tags of a tree, of a blob, and of the tag of the tree; a profile to pick with."""
    sc.down("kvm: feature", {"kvm-all.c": source("kvm", l2="feature();")})
    sc.b.git("tag", "-a", "-m", "a tree", "tagtree", f"{DOWN}^{{tree}}")
    sc.b.git("tag", "-a", "-m", "a blob", "tagblob", f"{DOWN}:kvm-all.c")
    sc.b.git("-c", "advice.nestedTag=false", "tag", "-a", "-m", "a tag of a tag", "tagtag", "tagtree")
    return sc


@pytest.mark.parametrize(("tag", "kind"), [("tagtree", "a tree"), ("tagblob", "a file (blob)"),
                                           ("tagtag", "a tree")])
def test_a_tag_of_a_tree_or_blob_is_said_to_name_no_commit(tagged: Scenario, capsys: pytest.CaptureFixture[str],
                                                            tag: str, kind: str) -> None:
    repo = str(tagged.path)
    code, _, err = uq(capsys, "--repo", repo, "profile", "add", "master", "--downstream", DOWN, "--upstream", UP)
    assert code == 0, err
    refs, log, listed = refs_of(tagged.path), oplog(capsys, tagged.path), profiles(capsys, tagged.path)
    expected = f"names {kind}, not a commit. Give a branch, tag or commit id."
    for args in (["pick", tag], ["status", "--downstream", tag, "--upstream", UP],
                 ["status", "--downstream", DOWN, "--upstream", tag],
                 ["profile", "add", "tt", "--downstream", tag, "--upstream", UP, "--branch", "uq/tt"]):
        code, _, err = uq(capsys, "--repo", repo, *args)
        assert code == 1, (args, err)
        assert "Unknown revision: " in err and f"'{tag}' {expected}" in err, (args, err)
        assert "peeled" not in err and "git_object" not in err and "Missing git object" not in err
    with pytest.raises(RefNotFoundError, match=re.escape(f"'{tag}' names {kind}")):
        Repo(tagged.path).resolve(tag)
    assert refs_of(tagged.path) == refs  # no uq/tt branch either
    assert oplog(capsys, tagged.path) == log and profiles(capsys, tagged.path) == listed


def test_a_tag_of_a_tree_as_a_separate_process(tagged: Scenario) -> None:
    proc = uq_process("--repo", str(tagged.path), "status", "--downstream", "tagtree", "--upstream", UP)
    assert proc.returncode == 1
    assert proc.stderr == ("uq: Unknown revision: The downstream revision 'tagtree' names a tree, not a commit. "
                           "Give a branch, tag or commit id.\n")


def test_a_tag_of_a_commit_still_resolves_to_the_commit(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    d = sc.down("kvm: feature", {"kvm-all.c": source("kvm", l2="feature();")})
    sc.b.git("tag", "-a", "-m", "release", "v1", DOWN)
    sc.b.git("-c", "advice.nestedTag=false", "tag", "-a", "-m", "again", "v1-again", "v1")
    assert Repo(sc.path).resolve("v1") == d and Repo(sc.path).resolve("v1-again") == d
    code, out, err = uq(capsys, "--repo", str(sc.path), "status", "--json", "--downstream", "v1-again",
                        "--upstream", UP)
    assert code == 0, err
    assert [c["id"] for c in json.loads(out)["commits"]] == [d]


def test_a_tag_of_a_commit_the_repository_lacks(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    d = sc.down("kvm: feature", {"kvm-all.c": source("kvm", l2="feature();")})
    sc.b.git("tag", "-a", "-m", "release", "v1", d)
    loose_object(sc.path, d).unlink()
    with pytest.raises(MissingObjectError) as caught:
        Repo(sc.path).resolve("v1", "downstream revision")
    assert caught.value.message == (
        f"The downstream revision 'v1' needs commit {d}, which the repository lacks: the clone is damaged or "
        "incomplete. Run git fsck to see what is missing, then fetch again from where the repository came from "
        "(git fetch), or clone it anew.")
    code, _, err = uq(capsys, "--repo", str(sc.path), "status", "--downstream", "v1", "--upstream", UP)
    assert code == 1 and "Missing git object" in err and d in err


# -- a commit the repository lacks -----------------------------------------------------------------

def lose(sc: Scenario, commit_id: str) -> bytes:
    """Delete COMMIT_ID's loose object; return its bytes so a test can put it back."""
    path = loose_object(sc.path, commit_id)
    data = path.read_bytes()
    path.unlink()
    return data


def put_back(sc: Scenario, commit_id: str, data: bytes) -> None:
    path = sc.path / "objects" / commit_id[:2] / commit_id[2:]
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)


def assert_says_commit_missing(err: str, commit_id: str) -> None:
    assert err.startswith("uq: Missing git object: The repository lacks commit " + commit_id), err
    assert "damaged or incomplete" in err and "git fsck" in err and "clone it anew" in err
    assert "git failed" not in err and "packedGitWindowSize" not in err and "Traceback" not in err
    assert err.count("\n") == 1


@pytest.fixture
def broken(sc: Scenario) -> tuple[Scenario, list[str], bytes]:
    """Downstream one, two, three on the base; 'two' is gone from the repository."""
    ids = [sc.down("kvm: one", {"kvm-all.c": source("kvm", l1="one();")}),
           sc.down("vl: two", {"vl.c": source("vl", l2="two();")}),
           sc.down("apic: three", {"hw/apic.c": source("apic", l3="three();")})]
    sc.up("i8259: upstream", {"hw/i8259.c": source("i8259", l4="up();")})
    return sc, ids, lose(sc, ids[1])


def test_a_missing_commit_in_the_downstream_range(broken: tuple[Scenario, list[str], bytes],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    sc, ids, data = broken
    before = refs_of(sc.path)
    code, out, err = uq(capsys, "--repo", str(sc.path), "status", "--downstream", DOWN, "--upstream", UP)
    assert code == 1 and out == ""
    assert_says_commit_missing(err, ids[1])
    code, out, err = uq(capsys, "--repo", str(sc.path), "status", "--json", "--downstream", DOWN, "--upstream", UP)
    assert code == 1 and json.loads(out)["error"] == "Missing git object" and ids[1] in json.loads(out)["message"]
    # typed, with git's own words in the details
    with pytest.raises(MissingObjectError) as caught:
        compute_divergence(Repo(sc.path), DOWN, UP)
    assert f"Could not read {ids[1]}" in caught.value.details and "rev-list" in caught.value.details
    # as a separate process: the same line, the exit status 1
    proc = uq_process("--repo", str(sc.path), "status", "--downstream", DOWN, "--upstream", UP)
    assert proc.returncode == 1
    assert_says_commit_missing(proc.stderr, ids[1])
    assert refs_of(sc.path) == before
    # nothing half-done was kept: with the commit back, the answer is whole
    put_back(sc, ids[1], data)
    assert sorted(by_id(status_json(capsys, sc.path))) == sorted(ids)


def test_a_missing_commit_in_the_upstream_history(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    d = sc.down("kvm: one", {"kvm-all.c": source("kvm", l1="one();")})
    lost = sc.up("vl: upstream", {"vl.c": source("vl", l2="up();")})
    sc.up("apic: upstream", {"hw/apic.c": source("apic", l3="up();")})
    lose(sc, lost)
    code, _, err = uq(capsys, "--repo", str(sc.path), "status", "--downstream", DOWN, "--upstream", UP)
    assert code == 1
    assert "Missing git object" in err and lost in err and d not in err and "git failed" not in err


def test_pick_with_a_missing_commit_in_the_downstream_range(broken: tuple[Scenario, list[str], bytes],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    sc, ids, _ = broken
    repo = str(sc.path)
    code, _, err = uq(capsys, "--repo", repo, "profile", "add", "master", "--downstream", DOWN, "--upstream", UP)
    assert code == 0, err
    refs, log = refs_of(sc.path), oplog(capsys, sc.path)
    code, _, err = uq(capsys, "--repo", repo, "status")
    assert code == 1
    assert_says_commit_missing(err, ids[1])
    # the commit on top of the lost one: its diff needs its parent
    code, _, err = uq(capsys, "--repo", repo, "pick", ids[2])
    assert code == 1 and "Missing git object" in err and ids[1] in err and "Nothing was changed" in err
    # the lost commit itself, and one reached through it
    for rev in (f"{DOWN}~1", f"{DOWN}~2"):
        code, _, err = uq(capsys, "--repo", repo, "pick", rev)
        assert code == 1, err
        assert f"Missing git object: The commit to pick '{rev}' needs commit {ids[1]}, which the repository lacks" \
            in err and "git fsck" in err
    # a name that does not exist is still said so
    code, _, err = uq(capsys, "--repo", repo, "pick", "no-such-branch")
    assert code == 1 and "does not exist" in err
    assert refs_of(sc.path) == refs and oplog(capsys, sc.path) == log


def test_a_branch_pointing_at_a_missing_commit(broken: tuple[Scenario, list[str], bytes],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    sc, ids, _ = broken
    (sc.path / "refs" / "heads" / "lost").write_text(ids[1] + "\n")
    code, _, err = uq(capsys, "--repo", str(sc.path), "status", "--downstream", "lost", "--upstream", UP)
    assert code == 1
    assert f"The downstream revision 'lost' needs commit {ids[1]}, which the repository lacks" in err


@pytest.mark.parametrize("stderr, named", [
    ("error: Could not read 070d83b400000000000000000000000000000000\nfatal: revision walk setup failed\n", "070d83b400000000000000000000000000000000"),
    ("fatal: unable to read 070d83b400000000000000000000000000000000\n", "070d83b400000000000000000000000000000000"),
    ("fatal: bad object 070d83b400000000000000000000000000000000\n", "070d83b400000000000000000000000000000000"),
    ("error: missing commit object 070d83b400000000000000000000000000000000\n", "070d83b400000000000000000000000000000000"),
    ("fatal: did not find object for shallow 070d83b400000000000000000000000000000000\n", "070d83b400000000000000000000000000000000"),
    ("error: Could not read 070d83b4\n", None),  # abbreviated: no id to name
])
def test_git_messages_for_a_missing_object(stderr: str, named: str | None) -> None:
    assert missing_object_named(stderr) == (True, named)


def test_other_git_failures_are_not_missing_objects() -> None:
    assert missing_object_named("fatal: ambiguous argument 'x': unknown revision\n") == (False, None)
    assert missing_object_named("") == (False, None)


def test_a_walk_git_cannot_do_for_another_reason_stays_a_git_failure(sc: Scenario) -> None:
    from uqgui.core.errors import GitCommandError
    from uqgui.core.history import list_commits

    with pytest.raises(GitCommandError) as caught:
        list_commits(sc.path, ["no-such-ref"])
    assert not isinstance(caught.value, MissingObjectError) and "no-such-ref" in caught.value.details


def test_git_itself_agrees_the_walk_fails(broken: tuple[Scenario, list[str], bytes]) -> None:
    """The oracle: git's own rev-list stops at the lost commit, with the message uq recognises."""
    sc, ids, _ = broken
    proc = subprocess.run(["git", f"--git-dir={sc.path}", "rev-list", DOWN, f"^{UP}"], capture_output=True,
                          text=True, check=False, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    assert proc.returncode != 0 and missing_object_named(proc.stderr) == (True, ids[1])
