"""Run the git command line: the oracle where we must agree with git to the byte."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from .errors import GitCommandError, MissingObjectError, UqError


# git maps packs in windows of 1 GiB by default, so a walk that touches a whole pack keeps all
# of it resident (515 MiB on an 80,000-commit history, above `git cherry`). Small windows under
# a limit hold it near 250 MiB at no measurable cost in time.
BULK_CONFIG = ["-c", "core.packedGitWindowSize=16m", "-c", "core.packedGitLimit=128m"]


def git_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for git subprocesses: stable, untranslated, never prompting."""
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    env.pop("GIT_INDEX_FILE", None)
    if extra:
        env.update(extra)
    return env


def describe_command(args: Sequence[str]) -> str:
    """A shell-like rendering of a git command line for error details."""
    return " ".join(["git", *args])


def run_git(
    git_dir: Path,
    args: Sequence[str],
    *,
    input: bytes | None = None,
    check: bool = True,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run `git --git-dir=GIT_DIR ARGS` and return its completed process (bytes out)."""
    cmd = ["git", f"--git-dir={git_dir}", *args]
    try:
        proc = subprocess.run(
            cmd,
            input=input,
            capture_output=True,
            env=git_environment(env),
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise UqError(
            "The git command is not installed or not on PATH. Install git (apt-get install git).",
            title="git not found",
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise GitCommandError(
            f"git took longer than {timeout} s and was stopped.",
            details=describe_command(args),
        ) from exc
    if check and proc.returncode != 0:
        raise GitCommandError(
            f"{describe_command(args[:2])} failed: {first_line(proc.stderr)}",
            details=(
                f"command: {describe_command(args)}\nexit status: {proc.returncode}\n"
                f"stderr:\n{proc.stderr.decode('utf-8', 'replace')}"
            ),
        )
    return proc


# What git says when an object it needs is not in the repository (a damaged or incomplete clone):
# "error: Could not read ID", "fatal: unable to read ID", "fatal: bad object ID",
# "error: missing commit object ID" (or tree, blob), "fatal: did not find object for shallow ID".
_MISSING_OBJECT = re.compile(
    r"could not read|unable to read|bad object|missing \w+ object|missing object|did not find object",
    re.IGNORECASE,
)
_OBJECT_ID = re.compile(r"\b[0-9a-f]{40}(?:[0-9a-f]{24})?\b")


def missing_object_named(stderr: str) -> tuple[bool, str | None]:
    """Whether git's STDERR says an object is missing, and the full id it names (None when it names none)."""
    for line in stderr.splitlines():
        if _MISSING_OBJECT.search(line):
            found = _OBJECT_ID.search(line)
            return True, found.group(0) if found else None
    return False, None


def walk_failure(args: Sequence[str], proc: subprocess.CompletedProcess[bytes]) -> UqError:
    """The error for a history walk (rev-list, log: ARGS) that git could not finish.

    A commit missing from the repository is a MissingObjectError saying what to do; anything
    else is a GitCommandError. Either way git's own output is in the details.
    """
    stderr = proc.stderr.decode("utf-8", "replace")
    details = f"command: {describe_command(args)}\nexit status: {proc.returncode}\nstderr:\n{stderr}"
    missing, object_id = missing_object_named(stderr)
    if not missing:
        return GitCommandError(f"{describe_command(args[:2])} failed: {first_line(proc.stderr)}", details=details)
    # The full id: an abbreviation names only objects that are there.
    what = f"commit {object_id}" if object_id else f"a commit ({first_line(proc.stderr)})"
    return MissingObjectError(
        f"The repository lacks {what}, so the history that holds it cannot be walked: the clone is damaged or "
        "incomplete. Nothing was changed. Run git fsck to see what is missing, then fetch again from where "
        "the repository came from (git fetch), or clone it anew.",
        details=details,
    )


def first_line(data: bytes) -> str:
    """The first non-empty line of a git error output, decoded leniently."""
    for line in data.decode("utf-8", "replace").splitlines():
        if line.strip():
            return line.strip()
    return "(no message)"


def git_text(git_dir: Path, args: Sequence[str], **kwargs: object) -> str:
    """Run git and return its stdout decoded as UTF-8 (lenient), stripped of the final newline."""
    proc = run_git(git_dir, args, **kwargs)  # type: ignore[arg-type]
    return proc.stdout.decode("utf-8", "replace").rstrip("\n")


def common_dir(git_dir: Path) -> Path:
    """The repository's common git dir: GIT_DIR itself, or the main one for a linked work tree's git dir."""
    # A linked work tree's git dir (.git/worktrees/NAME) holds only HEAD, index and a pointer;
    # objects, refs, config and uqgui's folder are shared through the common dir. Kept free of
    # pygit2: the GUI process (which never loads it) watches the common dir too.
    try:
        pointer = (git_dir / "commondir").read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return git_dir
    return (git_dir / pointer).resolve() if pointer else git_dir
