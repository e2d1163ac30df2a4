"""In-memory picking onto the queue branch: merge_trees + create_commit, no work tree involved."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pygit2

from .commands import Plan
from .errors import ConflictError, QueueShapeError, UqError
from .messages import add_trailer_lines, pick_trailers
from .names import PROVENANCE_KEY, SIGNOFF_KEY
from .refs import RefChange
from .repo import Repo, decode_bytes
from .signature import maintainer_signature

PROVENANCE_STYLES = ("cherry-pick", "trailer", "none")


@dataclass
class QueueSeries:
    """The queue branch as a linear series of commits on a base."""

    ref: str
    tip: str
    base: str
    commits: list[str]  # oldest first


def read_series(repo: Repo, branch_ref: str, upstream: str) -> QueueSeries:
    """The commits of the queue (upstream..queue, oldest first); refuse merges in it."""
    tip = repo.ref_target(branch_ref)
    if tip is None:
        raise UqError(f"The queue branch {branch_ref} does not exist. Create it with `uq profile add`.",
                      title="Queue branch missing")
    up_id = repo.resolve(upstream, "upstream revision")
    base_oid = repo.git.merge_base(pygit2.Oid(hex=tip), pygit2.Oid(hex=up_id))
    if base_oid is None:
        raise QueueShapeError(f"The queue branch {branch_ref} shares no history with upstream {upstream}.")
    base = str(base_oid)
    commits: list[str] = []
    current = tip
    while current != base:
        commit = repo.commit(current)
        if len(commit.parent_ids) != 1:
            raise QueueShapeError(
                f"The queue {branch_ref} holds merge commit {current[:12]}; picking needs a linear series. "
                "Rebase the queue onto upstream first.",
            )
        commits.append(current)
        current = str(commit.parent_ids[0])
    commits.reverse()
    return QueueSeries(branch_ref, tip, base, commits)


class Replayer:
    """Applies commits one after another onto a tip, in memory, refusing on the first conflict."""

    def __init__(self, repo: Repo, tip: str) -> None:
        self.repo = repo
        self.tip = tip
        self.committer = maintainer_signature(repo)

    def apply(self, commit_id: str, message: bytes, encoding: str | None) -> str:
        """Apply COMMIT_ID's change onto the current tip with MESSAGE; return the new tip."""
        git = self.repo.git
        commit = self.repo.commit(commit_id)
        if len(commit.parent_ids) > 1:
            raise UqError(f"{commit_id[:12]} is a merge commit; pick the commits it merges instead.",
                          title="Cannot pick a merge")
        onto = self.repo.commit(self.tip)
        ancestor = commit.parents[0].tree if commit.parent_ids else git[git.TreeBuilder().write()]
        index = git.merge_trees(ancestor, onto.tree, commit.tree)
        if index.conflicts is not None:
            paths = sorted({e.path for entry in index.conflicts for e in entry if e is not None})
            raise ConflictError(
                f"Applying {commit_id[:12]} \"{_subject(commit)}\" onto {self.tip[:12]} conflicts in "
                f"{', '.join(paths)}. Nothing was changed. Pick it at another position, or resolve it "
                "by hand on a branch.",
                commit=commit_id, paths=paths,
            )
        tree = index.write_tree(git)
        args: list[Any] = [None, commit.author, self.committer, message, tree, [pygit2.Oid(hex=self.tip)]]
        if encoding:
            args.append(encoding)
        self.tip = str(git.create_commit(*args))
        return self.tip


def _subject(commit: pygit2.Commit) -> str:
    return decode_bytes(commit.raw_message, commit.message_encoding).strip().split("\n", 1)[0][:72]


def picked_message(repo: Repo, commit: pygit2.Commit, signoff: str | None, provenance: str) -> tuple[bytes, str | None]:
    """The message of a picked commit, trailers added, in its own encoding when it can hold them."""
    encoding = commit.message_encoding
    text = decode_bytes(commit.raw_message, encoding)
    text = add_trailer_lines(text, pick_trailers(str(commit.id), signoff, provenance))
    if encoding:
        try:
            return text.encode(encoding), encoding
        except (UnicodeEncodeError, LookupError):
            return text.encode("utf-8"), None
    return text.encode("utf-8", "surrogateescape"), None


class PickCommits:
    """Pick COMMITS onto the queue branch at POSITION (default: the top), replaying what is above."""

    name = "pick"

    def __init__(self, branch_ref: str, upstream: str, commits: list[str], position: int | None = None,
                 signoff: bool | None = None, provenance: str | None = None) -> None:
        self.branch_ref = branch_ref
        self.upstream = upstream
        self.commits = commits
        self.position = position
        self.signoff = signoff
        self.provenance = provenance

    def plan(self, repo: Repo) -> Plan:
        """Build the new series in memory; conflicts raise ConflictError and change nothing."""
        if not self.commits:
            raise UqError("Name at least one commit to pick.", title="Nothing to pick")
        ids = [repo.resolve(c, "commit to pick") for c in self.commits]
        series = read_series(repo, self.branch_ref, self.upstream)
        position = len(series.commits) if self.position is None else self.position
        if not 0 <= position <= len(series.commits):
            raise UqError(f"Position {position} is outside the queue (0 to {len(series.commits)}).",
                          title="Bad position")
        signoff_on = self.signoff if self.signoff is not None else _config_bool(repo, SIGNOFF_KEY, True)
        style = self.provenance or repo.config_value(PROVENANCE_KEY, "cherry-pick") or "cherry-pick"
        if style not in PROVENANCE_STYLES:
            raise UqError(f"{PROVENANCE_KEY} must be one of {', '.join(PROVENANCE_STYLES)}, not '{style}'.",
                          title="Bad configuration")
        onto = series.commits[position - 1] if position else series.base
        replayer = Replayer(repo, onto)
        signoff = None
        if signoff_on:
            who = replayer.committer
            signoff = f"{who.name} <{who.email}>"
        picked: list[str] = []
        for commit_id in ids:
            commit = repo.commit(commit_id)
            message, encoding = picked_message(repo, commit, signoff, style)
            picked.append(replayer.apply(commit_id, message, encoding))
        for commit_id in series.commits[position:]:
            commit = repo.commit(commit_id)
            replayer.apply(commit_id, commit.raw_message, commit.message_encoding)
        count = len(ids)
        what = f"{count} commit{'s' if count != 1 else ''}"
        description = f"pick {what} at position {position} of {self.branch_ref.removeprefix('refs/heads/')}"
        return Plan(description, [RefChange(self.branch_ref, series.tip, replayer.tip)],
                    result={"picked": picked, "position": position, "tip": replayer.tip})


def _config_bool(repo: Repo, key: str, default: bool) -> bool:
    value = repo.config_value(key)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")
