"""Moving refs atomically, and only from the values we expected (compare-and-swap)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygit2

from .errors import GitCommandError, MissingObjectError, RefMovedError, UqError
from .gitcli import run_git

ZERO_ID = "0" * 40


@dataclass(frozen=True)
class RefChange:
    """One ref moving from OLD to NEW (None: absent before, or deleted after)."""

    name: str
    old: str | None
    new: str | None

    def reversed(self) -> RefChange:
        """The change that puts the ref back."""
        return RefChange(self.name, self.new, self.old)

    def to_json(self) -> dict[str, str | None]:
        """A plain dict for logs and JSON output."""
        return {"name": self.name, "old": self.old, "new": self.new}


def ref_value(git: pygit2.Repository, name: str) -> str | None:
    """The object id NAME points at directly (not peeled), or None when it is absent or symbolic.

    Compare-and-swap must compare what the ref file holds, which is what `git update-ref` checks.
    """
    try:
        ref = git.references.get(name)
    except (pygit2.GitError, ValueError):
        return None
    if ref is None or ref.type != pygit2.enums.ReferenceType.DIRECT:
        return None
    return str(ref.target)


def checked_out_branches(git_dir: Path) -> dict[str, str]:
    """Branches that are HEAD of some work tree (unborn ones included): full ref name -> work tree path."""
    proc = run_git(git_dir, ["worktree", "list", "--porcelain"], check=False)
    if proc.returncode != 0:
        return {}
    found: dict[str, str] = {}
    path = ""
    for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines():
        if line.startswith("worktree "):
            path = line.removeprefix("worktree ")
        elif line.startswith("branch "):
            found[line.removeprefix("branch ")] = path
    return found


def update_refs(git_dir: Path, changes: list[RefChange], message: str) -> None:
    """Apply CHANGES in one git ref transaction; refuse if any ref is not at its expected value.

    A branch checked out in a work tree is refused too: moving it would change what that work
    tree's HEAD means, which is touching the user's checkout behind their back.
    """
    if not changes:
        return
    busy = checked_out_branches(git_dir)
    for c in changes:
        if c.name in busy and c.old != c.new:
            short = c.name.removeprefix("refs/heads/")
            raise UqError(
                f"{short} is checked out in {busy[c.name]}; moving it in memory would change that "
                f"work tree behind its back. Nothing was changed. Switch that work tree to another "
                f"branch first (git switch --detach), or work on {short} there with git itself.",
                title="Branch is checked out",
            )
    lines = ["start"]
    for c in changes:
        old = c.old or ZERO_ID
        if c.new is None and c.old is None:
            lines.append(f"verify {c.name} {ZERO_ID}")
        elif c.new is None:
            lines.append(f"delete {c.name} {old}")
        else:
            lines.append(f"update {c.name} {c.new} {old}")
    lines += ["prepare", "commit"]
    proc = run_git(
        git_dir,
        ["update-ref", "--create-reflog", "-m", message, "--stdin"],
        input=("\n".join(lines) + "\n").encode(),
        check=False,
    )
    if proc.returncode == 0:
        return
    err = proc.stderr.decode("utf-8", "replace").strip()
    details = f"git update-ref --stdin\n{chr(10).join(lines)}\nexit status: {proc.returncode}\nstderr:\n{err}"
    names = ", ".join(c.name for c in changes)
    if "nonexistent object" in err:
        raise MissingObjectError(
            f"Cannot move {names}: the commit it should point at is no longer in the repository "
            "(pruned by git gc?). Nothing was changed.",
            details=details,
        )
    if "File exists" in err:
        raise UqError(
            f"Another git process holds a lock on {names}; nothing was changed. Try again when it "
            "has finished (if none is running, a crashed git left a stale .lock file behind).",
            details=details, title="Repository busy",
        )
    if "but expected" in err or "already exists" in err or "unable to resolve reference" in err:
        raise RefMovedError(
            f"{names} did not point where expected (another git moved it?): nothing was changed. "
            "Refresh and try again.",
            details=details,
        )
    raise GitCommandError(f"Moving {names} failed: {err.splitlines()[0] if err else 'no message'}",
                          details=details)
