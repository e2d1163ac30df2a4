"""Reading and writing sections of the repository's git config through the git command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .gitcli import run_git
from .repo import Repo

if TYPE_CHECKING:
    from .oplog import ConfigChange


def read_entries(repo: Repo, pattern: str = r"^uq\.") -> list[tuple[str, str]]:
    """(key, value) pairs of the repository's effective config whose keys match PATTERN, in order."""
    proc = run_git(repo.git_dir, ["config", "-z", "--get-regexp", pattern], check=False)
    if proc.returncode not in (0, 1):
        proc.check_returncode()
    entries: list[tuple[str, str]] = []
    for item in proc.stdout.split(b"\0"):
        if not item:
            continue
        key, _, value = item.partition(b"\n")
        entries.append((key.decode("utf-8", "replace"), value.decode("utf-8", "replace")))
    return entries


def read_section(repo: Repo, section: str) -> list[tuple[str, str]] | None:
    """Entries of one section of the local config (`uq.master`), or None when absent."""
    proc = run_git(repo.git_dir, ["config", "--local", "-z", "--get-regexp", "^" + _regex_escape(section) + r"\.[^.]+$"], check=False)
    if proc.returncode == 1:
        return None
    proc.check_returncode()
    entries = []
    for item in proc.stdout.split(b"\0"):
        if item:
            key, _, value = item.partition(b"\n")
            entries.append((key.decode("utf-8", "replace").rsplit(".", 1)[1], value.decode("utf-8", "replace")))
    return entries or None


def write_section(repo: Repo, section: str, entries: list[tuple[str, str]] | None) -> None:
    """Replace SECTION of the local config with ENTRIES (None removes it)."""
    if read_section(repo, section) is not None:
        run_git(repo.git_dir, ["config", "--local", "--remove-section", section], check=False)
    for key, value in entries or []:
        run_git(repo.git_dir, ["config", "--local", "--add", f"{section}.{key}", value])


def restore_sections(repo: Repo, changes: list[ConfigChange]) -> None:
    """Bring each changed section to its `new` entries."""
    for change in changes:
        write_section(repo, change.section, change.new)


def set_value(repo: Repo, key: str, value: str) -> None:
    """Set one single-valued key in the local config."""
    run_git(repo.git_dir, ["config", "--local", key, value])


def _regex_escape(text: str) -> str:
    return "".join("\\" + ch if ch in r".^$*+?()[]{}|\\" else ch for ch in text)
