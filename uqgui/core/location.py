"""Where a repository is, asked of git itself: also for one pygit2 will not open (no commits yet)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .errors import UqError
from .gitcli import git_environment


def locate_repository(path: Path) -> tuple[Path, Path]:
    """(The path to show, the git dir) of the repository at PATH: its work tree, or the git dir when bare.

    For a repository Repo() refuses because it has no commits yet: the window keeps it open and
    loads it when commits arrive.
    """
    def rev_parse(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(path), "rev-parse", *args], capture_output=True, text=True,
                              env=git_environment(), check=False)

    found = rev_parse("--absolute-git-dir", "--is-bare-repository")
    lines = found.stdout.split("\n")
    if found.returncode != 0 or len(lines) < 2:
        raise UqError(f"{path} could not be opened: {found.stderr.strip()}", title="Not a git repository")
    git_dir = Path(lines[0]).resolve()
    if lines[1] == "true":
        return git_dir, git_dir
    top = rev_parse("--show-toplevel")
    return (Path(top.stdout.strip()).resolve() if top.returncode == 0 and top.stdout.strip() else git_dir), git_dir
