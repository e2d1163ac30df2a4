"""Odd repositories and ref names: a read-only git dir, non-UTF-8 branch names, a symbolic queue branch."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builder import RepoBuilder
from tests.test_pick import Scenario, git, make_scenario, refs_of, uq


@pytest.fixture
def scenario(builder: RepoBuilder) -> Scenario:
    """The standard queue scenario (profile `master`, queue uq/master)."""
    return make_scenario(builder)


def _config(path: Path) -> bytes:
    return (path / ".git" / "config").read_bytes()


def _assert_one_line_error(rc: int, out: str, err: str, *needles: str) -> None:
    """A refusal: non-zero status, nothing on stdout, one line on stderr holding every needle."""
    assert rc != 0
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


# -- a git dir uqgui cannot write to -------------------------------------------------------------

@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """Make FOLDER refuse new entries for the span of the block, or skip the test when that cannot be done."""
    if os.geteuid() != 0:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        undo = ["chmod", oct(mode & 0o7777)[2:], str(folder)]
    else:
        # root ignores permission bits; the immutable attribute stops it (ext4, xfs, btrfs).
        if shutil.which("chattr") is None:
            pytest.skip("chattr is not available, and root ignores chmod")
        proc = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
        if proc.returncode != 0:
            pytest.skip(f"chattr +i does not work here: {proc.stderr.decode().strip()}")
        undo = ["chattr", "-i", str(folder)]
    try:
        probe = folder / "probe"
        try:
            probe.mkdir()
        except OSError:
            pass
        else:
            probe.rmdir()
            pytest.skip(f"{folder} could not be made read-only")
        yield
    finally:
        subprocess.run(undo, check=True)


def test_status_on_a_read_only_git_dir_keeps_its_cache_in_memory(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """`uq status` only reads: with no uqgui folder and a git dir it cannot write, it answers with a warning."""
    shutil.rmtree(scenario.path / ".git" / "uqgui")
    rc, out, err = uq(capsys, scenario.path, "status", "--json")
    assert rc == 0, err
    expected = json.loads(out)["commits"]
    shutil.rmtree(scenario.path / ".git" / "uqgui")
    with _read_only(scenario.path / ".git"):
        rc, out, err = uq(capsys, scenario.path, "status", "--json")
        assert rc == 0, err
        result = json.loads(out)
        assert result["commits"] == expected
        assert any("cannot create its folder" in w and "in memory" in w for w in result["warnings"]), result
        rc, out, err = uq(capsys, scenario.path, "status")
        assert rc == 0 and "warning: uqgui cannot create its folder" in err
    assert not (scenario.path / ".git" / "uqgui").exists()


# -- branch names that are not UTF-8 -------------------------------------------------------------

# What Python makes of the bytes `uq/\xe9` on the command line (os.fsdecode: surrogate escapes).
NON_UTF8_QUEUE = os.fsdecode(b"uq/\xe9")
NON_UTF8_BRANCH = os.fsdecode(b"caf\xe9")


def test_profile_add_with_a_non_utf8_new_branch_name_is_refused_in_one_line(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """--branch $'uq/\\xe9' (not existing): a typed refusal, nothing created, no traceback."""
    config, refs = _config(scenario.path), refs_of(scenario.path)
    rc, out, err = uq(capsys, scenario.path, "profile", "add", "zz", "--downstream", "downstream",
                      "--upstream", "upstream", "--branch", NON_UTF8_QUEUE)
    _assert_one_line_error(rc, out, err, "must be UTF-8", "git branch -m", r"uq/\xe9")
    assert _config(scenario.path) == config and refs_of(scenario.path) == refs


def test_profile_add_with_an_existing_non_utf8_branch_is_refused_in_one_line(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """An existing refs/heads/caf\\xe9 as the queue: the same refusal, not an encoding crash."""
    subprocess.run([b"git", b"-C", bytes(scenario.path), b"branch", b"caf\xe9", b"upstream"], check=True)
    config, refs = _config(scenario.path), refs_of(scenario.path)
    rc, out, err = uq(capsys, scenario.path, "profile", "add", "zz", "--downstream", "downstream",
                      "--upstream", "upstream", "--branch", NON_UTF8_BRANCH)
    _assert_one_line_error(rc, out, err, "must be UTF-8", "git branch -m", r"caf\xe9")
    assert _config(scenario.path) == config and refs_of(scenario.path) == refs


def test_status_with_a_non_utf8_revision_is_refused_in_one_line(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """--downstream caf\\xe9 (an existing branch): the encoding is named, not 'does not exist'."""
    subprocess.run([b"git", b"-C", bytes(scenario.path), b"branch", b"caf\xe9", b"downstream"], check=True)
    rc, out, err = uq(capsys, scenario.path, "status", "--downstream", NON_UTF8_BRANCH, "--upstream", "upstream")
    _assert_one_line_error(rc, out, err, "must be UTF-8")


def test_a_non_utf8_branch_elsewhere_in_the_repository_does_not_disturb_status(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """Only names uqgui is asked to use must be UTF-8: some other branch caf\\xe9 is no concern."""
    subprocess.run([b"git", b"-C", bytes(scenario.path), b"branch", b"caf\xe9", b"upstream"], check=True)
    rc, out, err = uq(capsys, scenario.path, "status", "--json")
    assert rc == 0, err
    assert json.loads(out)["queue"] == git(scenario.path, "rev-parse", "uq/master").strip()


# -- a symbolic ref as the queue branch ----------------------------------------------------------

def test_profile_add_refuses_a_symbolic_queue_branch_naming_its_target(
        scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    """refs/heads/uq/sym -> uq/master: moving the queue would move uq/master, so it is refused."""
    git(scenario.path, "symbolic-ref", "refs/heads/uq/sym", "refs/heads/uq/master")
    config, refs = _config(scenario.path), refs_of(scenario.path)
    rc, out, err = uq(capsys, scenario.path, "profile", "add", "sym", "--downstream", "downstream",
                      "--upstream", "upstream", "--branch", "uq/sym")
    _assert_one_line_error(rc, out, err, "symbolic ref to refs/heads/uq/master", "--branch uq/master")
    assert _config(scenario.path) == config and refs_of(scenario.path) == refs
    # The same through the full name, and for a symbolic ref whose target does not exist yet.
    git(scenario.path, "symbolic-ref", "refs/heads/uq/dangling", "refs/heads/uq/nowhere")
    rc, out, err = uq(capsys, scenario.path, "profile", "add", "sym", "--downstream", "downstream",
                      "--upstream", "upstream", "--branch", "refs/heads/uq/dangling")
    _assert_one_line_error(rc, out, err, "symbolic ref to refs/heads/uq/nowhere")
    assert _config(scenario.path) == config
