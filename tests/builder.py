"""Build real git repositories in code with a fixed signature clock, so commit ids never change."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

import pygit2

EPOCH = 1262304000  # 2010-01-01 00:00:00 UTC, the seed's era


class RepoBuilder:
    """Write commits straight into a repository: trees from dicts, a clock that ticks by one minute."""

    def __init__(self, path: Path, bare: bool = False) -> None:
        self.path = path
        self.repo = pygit2.init_repository(str(path), bare=bare, initial_head="master")
        self.clock = EPOCH

    def tick(self) -> int:
        """Advance the fixed clock by one minute and return it."""
        self.clock += 60
        return self.clock

    def signature(self, name: str = "A U Thor", email: str = "author@example.org", time: int | None = None) -> pygit2.Signature:
        """A signature at the clock's next tick (or the given time)."""
        return pygit2.Signature(name, email, time if time is not None else self.tick(), 0)

    def tree(self, files: Mapping[str, bytes | str | tuple[int, bytes] | None], base: str | None = None) -> pygit2.Oid:
        """A tree: BASE's tree with FILES applied (None deletes; (mode, data) sets a mode)."""
        index = pygit2.Index()
        if base is not None:
            index.read_tree(self.repo[base].peel(pygit2.Commit).tree)
        for path, content in files.items():
            if content is None:
                if path in index:
                    index.remove(path)
                continue
            mode = pygit2.GIT_FILEMODE_BLOB
            if isinstance(content, tuple):
                mode, content = content
            data = content.encode() if isinstance(content, str) else content
            if mode == pygit2.GIT_FILEMODE_COMMIT:
                index.add(pygit2.IndexEntry(path, pygit2.Oid(hex=data.decode()), mode))
            else:
                index.add(pygit2.IndexEntry(path, self.repo.create_blob(data), mode))
        return index.write_tree(self.repo)

    def commit(
        self,
        message: str | bytes,
        files: Mapping[str, bytes | str | tuple[int, bytes] | None] | None = None,
        parents: list[str] | None = None,
        ref: str | None = None,
        author: pygit2.Signature | None = None,
        committer: pygit2.Signature | None = None,
        encoding: str | None = None,
        tree: pygit2.Oid | None = None,
    ) -> str:
        """Create a commit on PARENTS (default: REF's tip) and move REF to it; return its id."""
        if parents is None:
            parents = []
            if ref is not None and ref in self.repo.references:
                parents = [str(self.repo.references[ref].target)]
        if tree is None:
            tree = self.tree(files or {}, base=parents[0] if parents else None)
        author = author or self.signature()
        committer = committer or pygit2.Signature("C O Mitter", "committer@example.org", self.tick(), 0)
        args: list[object] = [None, author, committer, message, tree, [pygit2.Oid(hex=p) for p in parents]]
        if encoding:
            args.append(encoding)
        oid = self.repo.create_commit(*args)
        if ref is not None:
            self.repo.references.create(ref, oid, force=True)
        return str(oid)

    def ref(self, name: str, target: str) -> None:
        """Point NAME at TARGET (creating or forcing it)."""
        self.repo.references.create(name, pygit2.Oid(hex=target), force=True)

    def git(self, *args: str, input: bytes | None = None) -> str:
        """Run the real git command on this repository and return its stdout."""
        return subprocess.run(
            ["git", f"--git-dir={self.repo.path}", *args], input=input, capture_output=True, check=True
        ).stdout.decode("utf-8", "replace")


def git_patch_id(repo_path: Path | str, commit: str) -> str | None:
    """The oracle: `git show COMMIT | git patch-id --stable`, or None for an empty diff."""
    show = subprocess.run(["git", "-C", str(repo_path), "show", commit], capture_output=True, check=True).stdout
    out = subprocess.run(["git", "patch-id", "--stable"], input=show, capture_output=True, check=True).stdout
    text = out.decode().strip()
    return text.split()[0] if text else None
