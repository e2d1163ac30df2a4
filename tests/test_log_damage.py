"""A damaged or unusable operation log, and a config git cannot write: one sentence, nothing half-done."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.builder import RepoBuilder
from tests.test_pick import QUEUE, Scenario, make_scenario, refs_of, uq


@pytest.fixture
def scenario(builder: RepoBuilder, capsys: pytest.CaptureFixture[str]) -> Scenario:
    """The standard queue scenario with one pick in the log."""
    s = make_scenario(builder)
    assert uq(capsys, s.path, "pick", s.features[0])[0] == 0
    return s


def _one_line_error(err: str, *words: str) -> None:
    assert err.startswith("uq: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err


def _each_refused(s: Scenario, capsys: pytest.CaptureFixture[str], commands: list[list[str]], *words: str) -> None:
    """Every one of COMMANDS fails with one line holding WORDS, and no ref moves."""
    before = refs_of(s.path)
    for args in commands:
        rc, _, err = uq(capsys, s.path, *args)
        assert rc != 0
        _one_line_error(err, *words)
    assert refs_of(s.path) == before


def test_a_corrupt_log_file_is_a_clear_error(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario.path / ".git" / "uqgui" / "oplog.sqlite"
    data = bytearray(path.read_bytes())
    data[100:] = b"\xa5" * (len(data) - 100)  # the header survives, every page is garbage
    path.write_bytes(bytes(data))
    _each_refused(scenario, capsys, [["oplog"], ["undo"], ["pick", scenario.features[1]]],
                  "Operation log unavailable", "move it aside")


def test_an_unreadable_row_is_a_clear_error(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario.path / ".git" / "uqgui" / "oplog.sqlite"
    db = sqlite3.connect(path)
    db.execute("UPDATE operations SET refs = '{not json' WHERE id = (SELECT max(id) FROM operations)")
    db.commit()
    db.close()
    _each_refused(scenario, capsys, [["oplog"], ["undo"]], "Operation log unavailable", "is unreadable")


def test_a_lock_that_is_not_a_file_is_a_clear_error(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    lock = scenario.path / ".git" / "uqgui" / "oplog.lock"
    lock.unlink()
    lock.mkdir()
    _each_refused(scenario, capsys, [["pick", scenario.features[1]]], "operation lock", "not a plain file")


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """PATH made immutable with chattr (root writes through plain permissions); skip where that is not allowed."""
    if shutil.which("chattr") is None:
        pytest.skip("needs chattr")
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not allowed here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_config_git_cannot_write_leaves_no_branch_behind(scenario: Scenario,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """profile add creates the branch, then writes the config: when the config cannot be written,
    the branch is taken back and the operation is logged as aborted."""
    s = scenario
    before = refs_of(s.path)
    with immutable(s.path / ".git"):  # git config writes config.lock beside the config
        rc, _, err = uq(capsys, s.path, "profile", "add", "stable", "--downstream", "downstream",
                        "--upstream", "upstream", "--branch", "uq/stable")
        assert rc != 0
        _one_line_error(err, "Config not writable", "nothing was changed")
        assert refs_of(s.path) == before
        rc, out, _ = uq(capsys, s.path, "oplog")
    assert rc == 0 and "interrupted" not in out
    assert QUEUE in refs_of(s.path)
