"""Moving refs atomically, and only from the values we expected (compare-and-swap)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygit2

from .errors import GitCommandError, MissingObjectError, RefMovedError, UqError
from .gitcli import common_dir, run_git

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


def _loose_symbolic_target(git_dir: Path, name: str) -> str | None:
    """What NAME points at when it is a symbolic ref (a loose ref file "ref: TARGET"), else None."""
    # Read from the file, not through Repo.symbolic_target: this layer works on a git dir without
    # opening pygit2. Packed refs are never symbolic; per-work-tree refs (HEAD) are not ours to move.
    text = _read_line(common_dir(git_dir) / name)
    return text.removeprefix("ref:").strip() if text.startswith("ref:") else None


def checked_out_branches(git_dir: Path) -> dict[str, str]:
    """Branches some work tree is using, as git counts them: full ref name -> what uses it.

    That is the HEAD of each work tree (unborn ones included), and, as `git branch -f` refuses
    them too, a branch being rebased or bisected there (HEAD is detached meanwhile, and the
    rebase moves the branch when it ends: moving it under the rebase breaks it).
    """
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
    for state_dir, where in _work_tree_git_dirs(common_dir(git_dir)):
        for branch, doing in _branches_in_operation(state_dir):
            found.setdefault(branch, f"{where} ({doing})")
    return found


def _work_tree_git_dirs(common: Path) -> list[tuple[Path, str]]:
    """(git dir, work tree path) of the main work tree and of each linked one."""
    dirs = [(common, str(common.parent) if common.name == ".git" else str(common))]
    linked = common / "worktrees"
    if linked.is_dir():
        for state_dir in sorted(linked.iterdir()):
            try:
                where = str(Path((state_dir / "gitdir").read_text().strip()).parent)
            except OSError:
                where = str(state_dir)
            dirs.append((state_dir, where))
    return dirs


def _branches_in_operation(state_dir: Path) -> list[tuple[str, str]]:
    """(branch, "being rebased"/"being bisected") for what the work tree with git dir STATE_DIR is in the middle of."""
    found: list[tuple[str, str]] = []
    for name in ("rebase-merge/head-name", "rebase-apply/head-name"):
        head = _read_line(state_dir / name)
        if head.startswith("refs/heads/"):
            found.append((head, "being rebased"))
    # `git rebase --update-refs` moves these branches too when it ends: ref, old id, new id per entry.
    entries = _read_line(state_dir / "rebase-merge" / "update-refs").splitlines()
    found.extend((ref, "being rebased") for ref in entries[0::3] if ref.startswith("refs/heads/"))
    # BISECT_START names the branch bisect started from (or a commit id when it started detached).
    start = _read_line(state_dir / "BISECT_START")
    if start:
        found.append((f"refs/heads/{start}", "being bisected"))
    return found


def _read_line(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="surrogateescape").strip()
    except OSError:
        return ""


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
                f"work tree behind its back. Nothing was changed. Finish or abort what that work tree "
                f"is doing with {short} and switch it to another branch first (git switch --detach), "
                f"or work on {short} there with git itself.",
                title="Branch is checked out",
            )
    for c in changes:
        target = _loose_symbolic_target(git_dir, c.name)
        if target is not None:
            raise UqError(
                f"{c.name} is a symbolic ref to {target}: moving it would move {target} instead. Nothing "
                f"was changed. Point the profile at {target} itself.",
                title="Symbolic ref", hint="(uq profile remove, then uq profile add.)",
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
