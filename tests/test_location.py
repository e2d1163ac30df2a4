"""locate_repository: where a repository is, also one with no commits yet (which Repo() refuses)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from uqgui.core.errors import UqError
from uqgui.core.location import locate_repository


def _git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


def test_an_empty_repository_is_found_from_a_folder_inside_it(tmp_path: Path) -> None:
    _git("init", "-q", str(tmp_path / "r"))
    (tmp_path / "r" / "sub").mkdir()
    shown, git_dir = locate_repository(tmp_path / "r" / "sub")
    assert shown == (tmp_path / "r").resolve() and git_dir == (tmp_path / "r" / ".git").resolve()


def test_a_bare_repository_is_shown_as_its_git_dir(tmp_path: Path) -> None:
    _git("init", "-q", "--bare", str(tmp_path / "b.git"))
    assert locate_repository(tmp_path / "b.git") == ((tmp_path / "b.git").resolve(),) * 2


def test_a_folder_outside_any_repository_says_what_git_said(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(UqError) as caught:
        locate_repository(tmp_path / "plain")
    assert caught.value.title == "Not a git repository" and "not a git repository" in caught.value.message
