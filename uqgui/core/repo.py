"""A thin pygit2 wrapper: opening repositories, resolving revisions, typed commit data."""

from __future__ import annotations

import codecs
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pygit2

from .errors import (EmptyRepositoryError, MissingObjectError, NotARepositoryError, RefNameEncodingError,
                     RefNotFoundError, UqDirUnavailableError, UqError)
from .gitcli import BULK_CONFIG, common_dir, git_environment, git_text, missing_object_named, run_git

# libgit2 maps packs in windows of 1 GiB up to 8 GiB: every page a read touches stays resident, so
# the GUI's core worker grew to 330 MiB reading 1,600 commits' details from a 394 MiB pack
# (149 MiB with these limits; least recently used windows are unmapped). git's own reads are
# held the same way (BULK_CONFIG in uqgui.core.gitcli).
pygit2.settings.mwindow_size = 32 * 1024 * 1024
pygit2.settings.mwindow_mapped_limit = 128 * 1024 * 1024


def escaped_bytes(text: str) -> str:
    """TEXT with the bytes that are not UTF-8 (surrogate escapes) shown as \\xNN: printable, and Qt keeps it."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _is_full_id(text: str) -> bool:
    """True when TEXT is a full object id (SHA-1 or SHA-256) in lower-case hex."""
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _lacking(what: str, rev: str, needed: str) -> str:
    """The message for WHAT named REV needing NEEDED ('commit ID'), which is not in the repository."""
    return (f"The {what} '{rev}' needs {needed}, which the repository lacks: the clone is damaged or incomplete. "
            "Run git fsck to see what is missing, then fetch again from where the repository came from "
            "(git fetch), or clone it anew.")


def _tagged_kind(tag: pygit2.Object) -> str:
    """What the annotated TAG says it points at ("commit", "tree", ...), from its own 'type' header."""
    for line in tag.read_raw().split(b"\n", 2)[:2]:
        if line.startswith(b"type "):
            kind = line[5:].decode("ascii", "replace")
            return "file (blob)" if kind == "blob" else kind
    return "object"


def require_utf8_name(name: str) -> None:
    """Raise RefNameEncodingError when NAME carries non-UTF-8 bytes (surrogate escapes from argv)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RefNameEncodingError(
            f"The name '{escaped_bytes(name)}' is not UTF-8: branch names must be UTF-8 for uqgui. "
            "Use a UTF-8 name, or rename the branch with git branch -m OLD NEW.",
        ) from exc


def decode_bytes(data: bytes, encoding: str | None = None) -> str:
    """Decode commit text: its declared encoding, else UTF-8, else Latin-1; never raises."""
    if encoding:
        try:
            codecs.lookup(encoding)
            return data.decode(encoding, "replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


@dataclass(frozen=True)
class CommitInfo:
    """What the views need of one commit, decoded to text."""

    id: str
    subject: str
    message: str
    author_name: str
    author_email: str
    author_time: int
    author_offset: int
    committer_time: int
    parents: tuple[str, ...]

    @property
    def is_merge(self) -> bool:
        """True for a commit with two or more parents."""
        return len(self.parents) > 1


def subject_of(message: str) -> str:
    """The subject line of a message: its first paragraph joined on one line."""
    paragraph = message.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines()).strip()


def commit_info(commit: pygit2.Commit) -> CommitInfo:
    """Build a CommitInfo from a pygit2 commit, decoding odd encodings safely."""
    encoding = commit.message_encoding
    message = decode_bytes(commit.raw_message, encoding)
    author = commit.author
    return CommitInfo(
        id=str(commit.id),
        subject=subject_of(message),
        message=message,
        author_name=decode_bytes(author.raw_name, encoding),
        author_email=decode_bytes(author.raw_email, encoding),
        author_time=author.time,
        author_offset=author.offset,
        committer_time=commit.commit_time,
        parents=tuple(str(p) for p in commit.parent_ids),
    )

_WHERE_TO_RUN = "(Run uq there, or give --repo PATH.)"


class Repo:
    """An opened repository: pygit2 for objects, the git command for bulk history scans."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.requested_path = Path(path)
        if not Path(path).exists():
            raise NotARepositoryError(
                f"{path} does not exist. Open the clone that holds both trees.",
                title="Folder not found", hint=_WHERE_TO_RUN,
            )
        found = pygit2.discover_repository(str(path))
        if found is None:
            raise NotARepositoryError(
                f"{path} is not a git repository (nor inside one). Open the clone that holds both trees.",
                hint=_WHERE_TO_RUN,
            )
        try:
            self.git = pygit2.Repository(found)
        except pygit2.GitError as exc:
            raise NotARepositoryError(f"{path} could not be opened as a git repository: {exc}") from exc
        self.git_dir = Path(self.git.path).resolve()
        self.workdir = Path(self.git.workdir).resolve() if self.git.workdir else None
        self.common_dir = common_dir(self.git_dir)

    # -- facts --------------------------------------------------------------------
    @property
    def is_bare(self) -> bool:
        """True for a repository without a work tree."""
        return bool(self.git.is_bare)

    @property
    def is_shallow(self) -> bool:
        """True for a shallow clone, whose history is cut off."""
        return bool(self.git.is_shallow)

    def require_commits(self) -> None:
        """Raise a clear error for a repository with no commits at all."""
        if self.git.is_empty:
            raise EmptyRepositoryError(
                f"The repository at {self.git_dir} has no commits yet. "
                "Fetch the downstream and upstream trees into it first (git fetch).",
            )

    def uq_dir(self) -> Path:
        """The folder under the common git dir where uqgui keeps its caches and log."""
        # The common dir, not the work tree's own git dir: every work tree of a clone shares the
        # refs, so they must share the operation log, its lock and the identity cache too.
        path = self.common_dir / "uqgui"
        try:
            path.mkdir(exist_ok=True)
        except FileExistsError as exc:
            # Something that is not a folder holds the name: making the git dir writable would not help.
            kind = "not a folder"
            if path.is_symlink():
                there = "is not a folder" if path.exists() else "does not exist"
                kind = f"a link to {os.readlink(path)}, which {there}"
            raise UqDirUnavailableError(
                f"{path} exists but is {kind}; uqgui keeps its operation log and caches in a folder of that "
                f"name. Move it aside (mv {path} {path}.old) and run again.",
                title="uqgui folder blocked",
            ) from exc
        except OSError as exc:
            raise UqDirUnavailableError(
                f"uqgui cannot create its folder {path} ({exc.strerror}). Make the git dir writable "
                "for your user (or run as the repository's owner).",
            ) from exc
        return path

    # -- revisions ----------------------------------------------------------------
    def resolve(self, rev: str, what: str = "revision") -> str:
        """Resolve REV to a commit id (hex), or raise RefNotFoundError saying what to do."""
        if not rev:
            raise RefNotFoundError(f"No {what} was given.")
        require_utf8_name(rev)
        try:
            obj = self.git.revparse_single(rev)
        except (KeyError, ValueError, pygit2.InvalidSpecError) as exc:
            self.require_commits()
            lacking = self._missing_on_the_way(rev)
            if lacking is not None:
                raise MissingObjectError(_lacking(what, rev, lacking), details=str(exc)) from exc
            raise RefNotFoundError(
                f"The {what} '{rev}' does not exist in {self.git_dir}. "
                "Check the name (git branch -a), or fetch the remote that holds it.",
            ) from exc
        except pygit2.GitError as exc:
            raise MissingObjectError(f"The {what} '{rev}' could not be read: {exc}") from exc
        try:
            commit = obj.peel(pygit2.Commit)
        except (ValueError, pygit2.InvalidSpecError, pygit2.GitError) as exc:
            # libgit2 says GitError both for a tag of a tree or blob (not peelable into a commit)
            # and for an object it cannot read: follow the tags to tell the two apart.
            target = self._peel_tags(rev, what, obj)
            if target.type == pygit2.GIT_OBJECT_COMMIT:  # a commit after all, yet not peeled: unreadable
                raise MissingObjectError(f"The {what} '{rev}' could not be read: {exc}") from exc
            kind = {pygit2.GIT_OBJECT_TREE: "a tree", pygit2.GIT_OBJECT_BLOB: "a file (blob)"}.get(target.type, "an object")
            raise RefNotFoundError(
                f"The {what} '{rev}' names {kind}, not a commit. Give a branch, tag or commit id.",
            ) from exc
        return str(commit.id)

    def _missing_on_the_way(self, rev: str) -> str | None:
        """'commit ID' (or 'an object') when REV failed to resolve because an object it leads through is missing.

        libgit2 says "not found" alike for a name that does not exist and for `main~2` whose
        parent commit is gone; git tells them apart (it reads no further than it must).
        """
        if rev.startswith("-") or _is_full_id(rev):  # a full id not there is one that does not exist
            return None
        if not any(c in rev for c in "~^@:{"):  # a plain name: no git run unless it is a ref (cheap misses)
            try:
                self.git.lookup_reference_dwim(rev)
            except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
                return None
        proc = run_git(self.git_dir, ["rev-parse", "--verify", rev], check=False)
        if proc.returncode == 0:  # git names the object without reading it: the last step is missing
            found = proc.stdout.decode("ascii", "replace").strip()
            return f"commit {found}" if _is_full_id(found) else None
        missing, object_id = missing_object_named(proc.stderr.decode("utf-8", "replace"))
        if not missing:
            return None
        return f"commit {object_id}" if object_id else "a commit"

    def _peel_tags(self, rev: str, what: str, obj: pygit2.Object) -> pygit2.Object:
        """The object the annotated tag(s) OBJ lead to (OBJ itself when it is no tag), or MissingObjectError."""
        seen: set[str] = set()
        while obj.type == pygit2.GIT_OBJECT_TAG and str(obj.id) not in seen:
            seen.add(str(obj.id))
            target = obj.peel(pygit2.Tag).target
            try:
                obj = self.git[target]
            except (KeyError, ValueError, pygit2.GitError) as exc:
                raise MissingObjectError(_lacking(what, rev, f"{_tagged_kind(obj)} {target}"),
                                         details=str(exc)) from exc
        return obj

    def try_resolve(self, rev: str) -> str | None:
        """Resolve REV to a commit id, or None when it does not exist."""
        try:
            return self.resolve(rev)
        except UqError:
            return None

    def ref_target(self, name: str) -> str | None:
        """The commit id a full ref name points at, or None when it does not exist (non-UTF-8: an error)."""
        require_utf8_name(name)
        try:
            ref = self.git.references.get(name)
        except (pygit2.GitError, ValueError):
            return None
        if ref is None:
            return None
        try:
            return str(ref.peel(pygit2.Commit).id)
        except (pygit2.GitError, KeyError, ValueError):
            return None

    def full_ref_name(self, name: str) -> str:
        """Expand a short branch name (uq/master) to its full ref name when it is one."""
        require_utf8_name(name)
        if name.startswith("refs/"):
            return name
        for prefix in ("refs/heads/", "refs/remotes/", "refs/tags/"):
            if (prefix + name) in self.git.references:
                return prefix + name
        return "refs/heads/" + name

    def symbolic_target(self, name: str) -> str | None:
        """The ref a symbolic ref NAME points at, or None when NAME is a plain ref or missing."""
        require_utf8_name(name)
        try:
            ref = self.git.references.get(name)
        except (pygit2.GitError, ValueError):
            return None
        if ref is None or ref.type != pygit2.enums.ReferenceType.SYMBOLIC:
            return None
        return str(ref.target)

    def commit(self, commit_id: str) -> pygit2.Commit:
        """The pygit2 commit object for an id, or MissingObjectError."""
        try:
            obj = self.git[commit_id]
        except (KeyError, ValueError, pygit2.GitError) as exc:
            raise MissingObjectError(
                f"Commit {commit_id} is not in the repository. Fetch it, or run git fsck.",
            ) from exc
        return obj.peel(pygit2.Commit)

    def info(self, commit_id: str) -> CommitInfo:
        """Decoded CommitInfo for an id."""
        return commit_info(self.commit(commit_id))

    def reachable_among(self, tip: str, candidates: Iterable[str]) -> set[str]:
        """The CANDIDATES (full ids) reachable from TIP, in one walk of its history.

        One `git rev-list` instead of a `merge-base --is-ancestor` per candidate: each of those
        walks the whole history when the answer is no (0.45 s apiece on 80,000 commits). The
        walk stops as soon as every candidate is found. A walk git cannot finish finds nothing more.
        """
        wanted = set(candidates)
        found: set[str] = set()
        if not wanted:
            return found
        # Small pack windows: the walk touches every commit of the pack and would keep it all resident.
        with subprocess.Popen(["git", f"--git-dir={self.git_dir}", *BULK_CONFIG, "rev-list", tip, "--"],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, env=git_environment()) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                commit_id = line.strip().decode("ascii", "replace")
                if commit_id in wanted:
                    found.add(commit_id)
                    if len(found) == len(wanted):
                        proc.kill()  # the rest of history can only repeat what is known
                        break
        return found

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """True when ANCESTOR is reachable from DESCENDANT (or equal)."""
        proc = run_git(self.git_dir, ["merge-base", "--is-ancestor", ancestor, descendant], check=False)
        return proc.returncode == 0

    def config_value(self, key: str, default: str | None = None) -> str | None:
        """One value of the repository's git config (all levels), or DEFAULT."""
        try:
            return str(self.git.config[key])
        except (KeyError, pygit2.GitError):
            return default

    def git_text(self, args: list[str]) -> str:
        """Run git on this repository and return its output as text."""
        return git_text(self.git_dir, args)
