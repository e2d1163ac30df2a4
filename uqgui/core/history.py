"""Bulk history scans through the git command line, split across the cores.

The git command is the oracle for patch-ids (`git patch-id --stable`) and is also the fastest
way to walk tens of thousands of commits (it uses the commit-graph file; pygit2 does not), so
bulk passes run `git log` / `git diff-tree` in parallel chunks. A chunk that fails (a missing
object in a partial clone) is bisected until the unreadable commits are isolated and reported;
every other commit still gets its answer.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .gitcli import git_environment, run_git
from .identity import author_key, paths_key, provenance_ids, subject_key
from .repo import decode_bytes, subject_of

# Diff options shared by every pass so paths and patch-ids describe the same diff that
# `git show COMMIT | git patch-id --stable` sees under git's defaults (rename detection on).
DIFF_OPTIONS = ["-M", "--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/"]

Progress = Callable[[int, int], None]


@dataclass
class CommitMeta:
    """What the identity index stores of one non-merge commit."""

    id: str
    subject: str
    author_name: str
    author_email: str
    author_time: int
    paths: list[str]
    provenance: list[str] = field(default_factory=list)

    @property
    def paths_key(self) -> str | None:
        """The digest of the touched paths, or None for a commit with an empty diff."""
        return paths_key(self.paths) if self.paths else None

    @property
    def subject_key(self) -> str | None:
        """The normalised subject, or None when it is generic."""
        return subject_key(self.subject)

    @property
    def author_key(self) -> str:
        """Author e-mail plus author timestamp."""
        return author_key(self.author_email, self.author_time)


@dataclass
class ScanResult:
    """Answers for the commits that could be read, warnings for those that could not."""

    metas: dict[str, CommitMeta] = field(default_factory=dict)
    patch_ids: dict[str, str | None] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)


def worker_count() -> int:
    """How many git processes to run side by side."""
    return max(1, min(8, os.cpu_count() or 1))


def list_commits(git_dir: Path, include: Sequence[str], exclude: Sequence[str] = (), no_merges: bool = True) -> list[str]:
    """Commit ids reachable from INCLUDE and not from EXCLUDE, newest first (git's default order)."""
    args = ["rev-list"]
    if no_merges:
        args.append("--no-merges")
    args += list(include) + [f"^{rev}" for rev in exclude]
    out = run_git(git_dir, args).stdout.decode("ascii")
    return out.split()


def _chunks(ids: Sequence[str], parts: int) -> list[Sequence[str]]:
    size = max(1, -(-len(ids) // parts))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _run_bisecting(
    ids: Sequence[str],
    run: Callable[[Sequence[str]], tuple[bool, object, str]],
    merge: Callable[[object], None],
    unreadable: dict[str, str],
) -> None:
    """Run RUN on IDS; on failure split the ids in halves until the failing commits stand alone."""
    ok, payload, err = run(ids)
    if ok:
        merge(payload)
        return
    if len(ids) == 1:
        unreadable[ids[0]] = err or "could not be read"
        return
    half = len(ids) // 2
    _run_bisecting(ids[:half], run, merge, unreadable)
    _run_bisecting(ids[half:], run, merge, unreadable)


def _parse_meta(raw: bytes) -> dict[str, CommitMeta]:
    metas: dict[str, CommitMeta] = {}
    parts = raw.split(b"\0")
    # Output is: "" then, per commit, a header part and a part holding its name-status lines.
    for i in range(1, len(parts) - 1, 2):
        header, names = parts[i], parts[i + 1]
        fields = header.split(b"\x01", 4)
        if len(fields) < 5:
            continue
        commit_id = fields[0].decode("ascii")
        message = decode_bytes(fields[4])
        paths: list[str] = []
        for line in names.decode("utf-8", "surrogateescape").splitlines():
            cols = line.split("\t")
            if len(cols) >= 2 and cols[0][:1].isalpha():
                paths.extend(cols[1:])
        metas[commit_id] = CommitMeta(
            id=commit_id,
            subject=subject_of(message),
            author_name=decode_bytes(fields[1]),
            author_email=decode_bytes(fields[2]),
            author_time=int(fields[3] or b"0"),
            paths=paths,
            provenance=provenance_ids(message),
        )
    return metas


def _meta_chunk(git_dir: Path) -> Callable[[Sequence[str]], tuple[bool, object, str]]:
    def run(ids: Sequence[str]) -> tuple[bool, object, str]:
        proc = run_git(
            git_dir,
            [
                "log", "--no-walk=unsorted", "--stdin", "--root", "--name-status", "--no-show-signature",
                "--encoding=UTF-8", "--format=%x00%H%x01%an%x01%ae%x01%at%x01%B%x00", *DIFF_OPTIONS,
            ],
            input="\n".join(ids).encode() + b"\n",
            check=False,
        )
        if proc.returncode != 0:
            return False, None, proc.stderr.decode("utf-8", "replace").strip()
        return True, _parse_meta(proc.stdout), ""

    return run


def scan_metadata(git_dir: Path, ids: Sequence[str], progress: Progress | None = None) -> ScanResult:
    """Subject, author, provenance and touched paths of IDS, in parallel chunks."""
    result = ScanResult()
    if not ids:
        return result
    chunks = _chunks(ids, worker_count() * 4 if len(ids) > 2000 else 1)
    done = 0

    def one(chunk: Sequence[str]) -> ScanResult:
        part = ScanResult()
        _run_bisecting(chunk, _meta_chunk(git_dir), lambda m: part.metas.update(m), part.unreadable)  # type: ignore[arg-type]
        return part

    with ThreadPoolExecutor(worker_count()) as pool:
        for part in pool.map(one, chunks):
            result.metas.update(part.metas)
            result.unreadable.update(part.unreadable)
            done += len(part.metas) + len(part.unreadable)
            if progress:
                progress(done, len(ids))
    return result


def _patch_id_chunk(git_dir: Path) -> Callable[[Sequence[str]], tuple[bool, object, str]]:
    def run(ids: Sequence[str]) -> tuple[bool, object, str]:
        env = git_environment()
        diff = subprocess.Popen(
            ["git", f"--git-dir={git_dir}", "diff-tree", "--stdin", "-p", "--root", *DIFF_OPTIONS],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        pid = subprocess.Popen(
            ["git", f"--git-dir={git_dir}", "patch-id", "--stable"],
            stdin=diff.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        assert diff.stdin is not None and diff.stdout is not None
        diff.stdout.close()  # patch-id owns the read end now
        with ThreadPoolExecutor(1) as feeder:
            feeder.submit(_feed, diff.stdin, ids)
            out, _ = pid.communicate()
        diff_err = diff.stderr.read() if diff.stderr else b""
        diff.wait()
        if diff.returncode != 0 or pid.returncode != 0:
            return False, None, diff_err.decode("utf-8", "replace").strip() or "git patch-id failed"
        found: dict[str, str | None] = {}
        for line in out.decode("ascii", "replace").splitlines():
            cols = line.split()
            if len(cols) == 2:
                found[cols[1]] = cols[0]
        return True, {i: found.get(i) for i in ids}, ""

    return run


def _feed(stream: object, ids: Iterable[str]) -> None:
    try:
        stream.write(("\n".join(ids) + "\n").encode())  # type: ignore[attr-defined]
        stream.close()  # type: ignore[attr-defined]
    except BrokenPipeError:
        pass


def compute_patch_ids(git_dir: Path, ids: Sequence[str], progress: Progress | None = None) -> ScanResult:
    """`git patch-id --stable` of each commit in IDS (None for an empty diff), in parallel."""
    result = ScanResult()
    if not ids:
        return result
    chunks = _chunks(ids, worker_count() * 2 if len(ids) > 200 else 1)
    done = 0

    def one(chunk: Sequence[str]) -> ScanResult:
        part = ScanResult()
        _run_bisecting(chunk, _patch_id_chunk(git_dir), lambda m: part.patch_ids.update(m), part.unreadable)  # type: ignore[arg-type]
        return part

    with ThreadPoolExecutor(worker_count()) as pool:
        for part in pool.map(one, chunks):
            result.patch_ids.update(part.patch_ids)
            result.unreadable.update(part.unreadable)
            done += len(part.patch_ids) + len(part.unreadable)
            if progress:
                progress(done, len(ids))
    return result


def commit_patch(git_dir: Path, commit_id: str) -> str:
    """The unified diff of one commit against its first parent, as `git show` would print it."""
    proc = run_git(git_dir, ["diff-tree", "-p", "--root", "--no-commit-id", *DIFF_OPTIONS, commit_id], check=False)
    return proc.stdout.decode("utf-8", "replace")


def _patches_chunk(git_dir: Path) -> Callable[[Sequence[str]], tuple[bool, object, str]]:
    def run(ids: Sequence[str]) -> tuple[bool, object, str]:
        proc = run_git(
            git_dir, ["diff-tree", "--stdin", "-p", "--root", *DIFF_OPTIONS],
            input=("\n".join(ids) + "\n").encode(), check=False,
        )
        if proc.returncode != 0:
            return False, None, proc.stderr.decode("utf-8", "replace").strip()
        wanted = set(ids)
        patches: dict[str, list[str]] = {i: [] for i in ids}
        current: list[str] | None = None
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            if len(line) in (40, 64) and line in wanted:
                current = patches[line]
                continue
            if current is not None:
                current.append(line)
        return True, {i: "\n".join(lines) for i, lines in patches.items()}, ""

    return run


def commit_patches(git_dir: Path, ids: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Unified diffs of IDS against their first parents, and the ids that could not be read."""
    patches: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    unique = list(dict.fromkeys(ids))
    if not unique:
        return patches, unreadable
    chunks = _chunks(unique, worker_count() if len(unique) > 50 else 1)

    def one(chunk: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
        found: dict[str, str] = {}
        bad: dict[str, str] = {}
        _run_bisecting(chunk, _patches_chunk(git_dir), lambda m: found.update(m), bad)  # type: ignore[arg-type]
        return found, bad

    with ThreadPoolExecutor(worker_count()) as pool:
        for found, bad in pool.map(one, chunks):
            patches.update(found)
            unreadable.update(bad)
    return patches, unreadable
