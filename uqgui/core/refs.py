"""Moving refs atomically, and only from the values we expected (compare-and-swap)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import RefMovedError
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


def update_refs(git_dir: Path, changes: list[RefChange], message: str) -> None:
    """Apply CHANGES in one git ref transaction; refuse if any ref is not at its expected value."""
    if not changes:
        return
    lines = ["start"]
    for c in changes:
        old = c.old or ZERO_ID
        if c.new is None:
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
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        names = ", ".join(c.name for c in changes)
        raise RefMovedError(
            f"{names} did not point where expected (another git moved it?): nothing was changed. "
            "Refresh and try again.",
            details=f"git update-ref --stdin\n{chr(10).join(lines)}\nstderr:\n{err}",
        )
