"""Bulk history scans through the git command line, split across the cores.

The git command is the oracle for patch-ids (`git patch-id --stable`) and is also the fastest
way to walk tens of thousands of commits (it uses the commit-graph file; pygit2 does not), so
bulk passes run `git log` / `git diff-tree` in parallel chunks. A chunk that fails (a missing
object in a partial clone) is bisected until the unreadable commits are isolated and reported;
every other commit still gets its answer.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Generic, TypeVar, overload

from .gitcli import BULK_CONFIG, common_dir, git_environment, run_git, walk_failure
from .identity import author_key, paths_key, provenance_ids, subject_key
from .repo import decode_bytes, subject_of

# Diff options shared by every pass so paths and patch-ids describe the same diff that
# `git show COMMIT | git patch-id --stable` sees under git's defaults (rename detection on).
DIFF_OPTIONS = ["-M", "--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/"]
# The touched paths of a commit, as metadata: the same set with or without rename detection (a
# rename lists its old and new names either way), so git need not look for renames, and a plain
# list of names is quicker to read than name-status lines.
PATHS_OPTIONS = ["--root", "--name-only", "--no-renames", "--no-color", "--no-ext-diff", "--no-textconv"]

Progress = Callable[[int, int], None]
T = TypeVar("T")


R = TypeVar("R")


class _computed_once(Generic[R]):
    """Like functools.cached_property without its per-access lock (3.11), which costs seconds at 80k."""

    def __init__(self, fn: Callable[[Any], R]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _computed_once[R]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> R: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> R | _computed_once[R]:
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.name] = value  # an instance attribute now shadows this descriptor
        return value


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

    # Computed once (the cache fills them in from its columns): tens of thousands are read per run.
    @_computed_once
    def paths_key(self) -> str | None:
        """The digest of the touched paths, or None for a commit with an empty diff."""
        return paths_key(self.paths) if self.paths else None

    @_computed_once
    def subject_key(self) -> str | None:
        """The normalised subject, or None when it is generic."""
        return subject_key(self.subject)

    @_computed_once
    def author_key(self) -> str:
        """Author e-mail plus author timestamp."""
        return author_key(self.author_email, self.author_time)


@dataclass
class ScanResult:
    """Answers for the commits that could be read, warnings for those that could not."""

    metas: dict[str, CommitMeta] = field(default_factory=dict)
    patch_ids: dict[str, str | None] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    # Commits whose patch-id git may give otherwise later (binary files): see _COMMIT_OR_BINARY.
    volatile: set[str] = field(default_factory=set)


def object_store_fingerprint(git_dir: Path) -> str:
    """A cheap digest of the object store's shape: it changes when objects are added (fetch, repair).

    Pack names, alternates and the mtimes of the loose-object folders: a few hundred stat calls.
    """
    # A linked work tree's git dir has no objects/ (nor shallow file): they live in the common dir.
    git_dir = common_dir(git_dir)
    objects = git_dir / "objects"
    parts: list[str] = []
    try:
        parts += sorted(p.name for p in (objects / "pack").glob("*.pack"))
    except OSError:
        pass
    for extra in (objects / "info" / "alternates", git_dir / "shallow"):
        try:
            parts.append(extra.read_text("utf-8", "replace"))
        except OSError:
            parts.append("-")
    try:
        with os.scandir(objects) as it:
            for entry in it:
                if len(entry.name) == 2:
                    parts.append(f"{entry.name}:{entry.stat().st_mtime_ns}")
    except OSError:
        pass
    return hashlib.sha1("\n".join(sorted(parts)).encode()).hexdigest()


def worker_count() -> int:
    """How many git processes to run side by side."""
    return max(1, min(8, os.cpu_count() or 1))


def list_commits(git_dir: Path, include: Sequence[str], exclude: Sequence[str] = (), no_merges: bool = True) -> list[str]:
    """Commit ids reachable from INCLUDE and not from EXCLUDE, newest first (git's default order)."""
    args = [*BULK_CONFIG, "rev-list"]
    if no_merges:
        args.append("--no-merges")
    args += list(include) + [f"^{rev}" for rev in exclude]
    proc = run_git(git_dir, args, check=False)
    if proc.returncode != 0:
        raise walk_failure(args, proc)  # a commit missing on the way is said as such
    return proc.stdout.decode("ascii").split()


def _chunks(ids: Sequence[str], parts: int) -> list[Sequence[str]]:
    size = max(1, -(-len(ids) // parts))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _run_bisecting(
    ids: Sequence[str],
    run: Callable[[Sequence[str]], tuple[bool, T | None, str]],
    merge: Callable[[T], None],
    unreadable: dict[str, str],
) -> None:
    """Run RUN on IDS; on failure split the ids in halves until the failing commits stand alone."""
    ok, payload, err = run(ids)
    if ok and payload is not None:
        merge(payload)
        return
    if len(ids) == 1:
        unreadable[ids[0]] = err or "could not be read"
        return
    half = len(ids) // 2
    _run_bisecting(ids[:half], run, merge, unreadable)
    _run_bisecting(ids[half:], run, merge, unreadable)


def _parse_meta(raw: bytes) -> dict[str, CommitMeta]:
    # Output is: "" then, per commit, a header part and a part holding its touched paths.
    return _metas_from_parts(raw.split(b"\0")[1:])


def _metas_from_parts(parts: Sequence[bytes]) -> dict[str, CommitMeta]:
    """Metadata from alternating header and path-list parts of `_META_FORMAT` output."""
    metas: dict[str, CommitMeta] = {}
    for i in range(0, len(parts) - 1, 2):
        header, names = parts[i], parts[i + 1]
        fields = header.split(b"\n", 4)
        if len(fields) < 5:
            continue
        commit_id = fields[0].decode("ascii")
        message = decode_bytes(fields[4])
        paths: list[str] = []
        for path in names.decode("utf-8", "surrogateescape").splitlines():
            if path:  # git quotes only unusual names: most need no unquoting
                paths.append(unquote_path(path) if path[:1] == '"' else path)
        metas[commit_id] = CommitMeta(
            id=commit_id,
            subject=subject_of(message),
            author_name=decode_bytes(fields[3]),
            author_email=decode_bytes(fields[2]),
            author_time=_bounded_time(fields[1]),
            paths=paths,
            provenance=provenance_ids(message),
        )
    return metas


_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote_path(text: str) -> str:
    """Undo git's C-style quoting of a path ("a\\tb" in double quotes); other text is returned as is."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return text
    body = text[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and i + 4 <= len(body) and all(c in "01234567" for c in body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
            if nxt in _C_ESCAPES:
                out.append(_C_ESCAPES[nxt])
                i += 2
                continue
        out += ch.encode("utf-8", "surrogateescape")
        i += 1
    return out.decode("utf-8", "surrogateescape")


# Paths as UTF-8 rather than octal escapes; tabs, newlines and quotes are still quoted (see unquote_path).
_READABLE_PATHS = ["-c", "core.quotePath=false"]
# The identity fields on lines of their own: a name or e-mail may hold any byte but a newline
# (git ends header lines there), \x01 included, which once shifted every field after it.
_META_FORMAT = "--format=%x00%H%n%at%n%ae%n%an%n%B%x00"
_TIME_LIMIT = (1 << 63) - 1  # sqlite's INTEGER; git fsck calls dates beyond it badDateOverflow


def _bounded_time(text: bytes) -> int:
    """An author timestamp as sqlite can keep it (an overflowing one, which git fsck rejects, as 0)."""
    value = int(text or b"0")
    return value if -_TIME_LIMIT <= value <= _TIME_LIMIT else 0


MetaRun = Callable[[Sequence[str]], tuple[bool, dict[str, CommitMeta] | None, str]]


def _meta_chunk(git_dir: Path, with_paths: bool = True) -> MetaRun:
    def run(ids: Sequence[str]) -> tuple[bool, dict[str, CommitMeta] | None, str]:
        diff = PATHS_OPTIONS if with_paths else []
        proc = run_git(
            git_dir,
            [
                *BULK_CONFIG, *_READABLE_PATHS, "log", "--no-walk=unsorted", "--stdin", "--no-show-signature",
                "--encoding=UTF-8", _META_FORMAT, *diff,
            ],
            input="\n".join(ids).encode() + b"\n",
            check=False,
        )
        if proc.returncode != 0:
            return False, None, proc.stderr.decode("utf-8", "replace").strip()
        return True, _parse_meta(proc.stdout), ""

    return run


def _scan_in_chunks(
    ids: Sequence[str],
    parts: int,
    run: Callable[[Sequence[str]], tuple[bool, object, str]],
    merge: Callable[[ScanResult, Any], None],
    progress: Progress | None,
    sink: Callable[[ScanResult], None] | None = None,
) -> ScanResult:
    """Run RUN over IDS split in PARTS chunks on the worker pool, bisecting failures to the bad commits.

    With SINK, each chunk's answers go to it (on the calling thread) as soon as they are in,
    and the result returned stays empty.
    """
    result = ScanResult()
    if not ids:
        return result
    done = 0

    def one(chunk: Sequence[str]) -> ScanResult:
        part = ScanResult()
        _run_bisecting(chunk, run, lambda payload: merge(part, payload), part.unreadable)
        return part

    with ThreadPoolExecutor(worker_count()) as pool:
        for part in pool.map(one, _chunks(ids, parts)):
            if sink is not None:
                sink(part)
            else:
                result.metas.update(part.metas)
                result.patch_ids.update(part.patch_ids)
                result.volatile.update(part.volatile)
                result.unreadable.update(part.unreadable)
            done += len(part.metas) + len(part.patch_ids) + len(part.unreadable)
            if progress:
                progress(done, len(ids))
    return result


def scan_metadata(git_dir: Path, ids: Sequence[str], progress: Progress | None = None,
                  sink: Callable[[ScanResult], None] | None = None) -> ScanResult:
    """Subject, author, provenance and touched paths of IDS, in parallel chunks.

    With SINK, each chunk's answers go to it (on the calling thread) as soon as they are in,
    so storing overlaps with git still reading, and the result returned stays empty.
    """
    return _scan_in_chunks(ids, worker_count() * 4 if len(ids) > 2000 else 1, _meta_chunk(git_dir),
                           lambda part, m: part.metas.update(m), progress, sink)


def stream_metadata(git_dir: Path, include: Sequence[str], exclude: Sequence[str],
                    sink: Callable[[dict[str, CommitMeta]], object], batch: int = 4000) -> tuple[list[str] | None, str]:
    """Walk INCLUDE minus EXCLUDE with one `git log`, handing metadata to SINK in batches as git prints it.

    One walk both lists the commits (in rev-list order) and reads them: no separate rev-list,
    and Python parses and stores while git is still diffing trees on the other core. Returns
    the non-merge ids in walk order, or None and git's error when the walk failed (a missing
    object): the caller then drops what SINK got and falls back to listing and bisecting scans.
    """
    cmd = [
        "git", f"--git-dir={git_dir}", *BULK_CONFIG, *_READABLE_PATHS, "log", "--no-merges", "--no-show-signature",
        "--encoding=UTF-8", _META_FORMAT, *PATHS_OPTIONS,
        *include, *[f"^{rev}" for rev in exclude], "--",
    ]
    ids: list[str] = []
    with tempfile.TemporaryFile() as errors, _GrowingOutput() as output:
        proc = subprocess.Popen(cmd, stdout=output.writer, stderr=errors, env=git_environment())
        parts: list[bytes] = []
        pending = b""
        started = False
        try:
            for chunk in output.chunks(proc):
                pieces = (pending + chunk).split(b"\0")
                pending = pieces.pop()  # not terminated yet
                if not started and pieces:
                    pieces = pieces[1:]  # the empty text before the first record
                    started = True
                parts.extend(pieces)
                # A path-list part is complete once the next record's header has begun.
                if len(parts) >= 2 * batch:
                    usable = len(parts) - len(parts) % 2
                    metas = _metas_from_parts(parts[:usable])
                    del parts[:usable]
                    ids.extend(metas)
                    sink(metas)
        except BaseException:
            proc.kill()  # nobody will read the rest
            raise
        finally:
            proc.wait()
        if proc.returncode != 0:
            errors.seek(0)
            return None, errors.read().decode("utf-8", "replace").strip() or "git log failed"
    if started:
        parts.append(pending)  # the last record's path list ends with the output
    metas = _metas_from_parts(parts)
    ids.extend(metas)
    if metas:
        sink(metas)
    return ids, ""


_READ_SIZE = 4 << 20
_CAUGHT_UP_WAIT_S = 0.005


class _GrowingOutput:
    """A git command's output in an unlinked temporary file, read while git still writes it.

    Not a pipe: read from a pipe, every few kilobytes git wrote woke a reader thread that had to
    take the GIL from the parsing thread. Measured on 80,000 upstream commits (31 MB of output):
    11,500 reads, 97,000 futex calls and a second of system time; git also stalled whenever the
    64 KiB pipe was full. A file never blocks git, and one thread reads it in large chunks. The
    file is in the temporary folder; what has been read of it is freed as the walk goes on
    (see _hole_puncher), and the rest is gone when the walk is.
    """

    def __enter__(self) -> _GrowingOutput:
        fd, name = tempfile.mkstemp(prefix="uqgui-log-")
        try:
            self.writer = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            os.unlink(name)
            raise
        try:
            self.reader = open(name, "rb", buffering=0)  # its own offset, apart from git's
        except BaseException:
            self.writer.close()
            raise
        finally:
            os.unlink(name)  # gone with the last descriptor, whatever happens
        return self

    def __exit__(self, *exc: object) -> None:
        self.writer.close()
        self.reader.close()

    def chunks(self, proc: subprocess.Popen[bytes]) -> Iterable[bytes]:
        """What git has written so far, in large chunks, until it has exited and all is read."""
        read = 0
        release = _hole_puncher()
        while True:
            chunk = self.reader.read(_READ_SIZE)
            if chunk:
                read += len(chunk)
                # Through the writer: punching a hole needs a descriptor open for writing.
                if release is not None and not release(self.writer.fileno(), read):
                    release = None  # this file system keeps what was read: it goes with the file
                yield chunk
            elif proc.poll() is not None:
                rest = self.reader.read()  # written between the last read and the exit
                if rest:
                    yield rest
                return
            else:
                time.sleep(_CAUGHT_UP_WAIT_S)  # caught up with git: let it write some more


@functools.cache
def _hole_puncher() -> Callable[[int, int], bool] | None:
    """A function freeing the first N bytes of a file's storage (Linux's FALLOC_FL_PUNCH_HOLE), or None.

    What the walk has read of its output need not stay on disk (or in memory, where the temporary
    folder is a tmpfs): 31 MB for big.git's 80,000 commits would otherwise stay until the end.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        # The process's own symbols, libc's among them (ctypes.util.find_library would run ldconfig).
        fallocate = ctypes.CDLL(None, use_errno=True).fallocate64
    except (OSError, AttributeError):
        return None
    fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    fallocate.restype = ctypes.c_int
    keep_size_punch_hole = 0x01 | 0x02  # FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE
    block = 1 << 16  # whole blocks only; what is left of one goes with the next call

    def release(fd: int, length: int) -> bool:
        end = length - length % block
        return end == 0 or fallocate(fd, keep_size_punch_hole, 0, end) == 0

    return release


def scan_headers(git_dir: Path, ids: Sequence[str]) -> ScanResult:
    """Subject, author and provenance of IDS without their diffs (for commits whose trees are missing)."""
    result = ScanResult()
    if ids:
        _run_bisecting(list(dict.fromkeys(ids)), _meta_chunk(git_dir, with_paths=False),
                       lambda m: result.metas.update(m), result.unreadable)
    return result


PatchIds = tuple[dict[str, str | None], set[str]]  # patch-ids, and the commits whose patch-id may change


# A binary file's patch-id hashes the blob ids of the diff's "index" line, which git abbreviates to
# a length that grows with the repository (and for any id another object comes to share a prefix
# with): git's own patch-id of such a commit changes over time, so it is never kept for later.
_COMMIT_OR_BINARY = re.compile(rb"^(?:([0-9a-f]{40}(?:[0-9a-f]{24})?)$|Binary files )", re.MULTILINE)


_PUMP_READ = 1 << 20


def _patch_id_chunk(git_dir: Path) -> Callable[[Sequence[str]], tuple[bool, PatchIds | None, str]]:
    def run(ids: Sequence[str]) -> tuple[bool, PatchIds | None, str]:
        env = git_environment()
        # diff-tree's stderr goes to a file: nobody reads it until the end, and a full pipe would
        # stall the whole pipeline.
        with tempfile.TemporaryFile() as errors:
            diff = subprocess.Popen(
                ["git", f"--git-dir={git_dir}", *BULK_CONFIG, "diff-tree", "--stdin", "-p", "--root", *DIFF_OPTIONS],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=env,
            )
            pid = subprocess.Popen(["git", f"--git-dir={git_dir}", "patch-id", "--stable"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
            assert diff.stdin is not None and diff.stdout is not None and pid.stdin is not None
            volatile: set[str] = set()
            with ThreadPoolExecutor(2) as helpers:
                helpers.submit(_feed, diff.stdin, ids)
                # Passed on a megabyte at a time, looked at on the way: never the whole diff in memory.
                pumped = helpers.submit(_pump_marking_binary, diff.stdout, pid.stdin, volatile)
                assert pid.stdout is not None
                out = pid.stdout.read()  # not communicate(): it would close patch-id's stdin under the pump
                pid.wait()
                pumped.result()
            diff.wait()
            errors.seek(0)
            diff_err = errors.read()
        if diff.returncode != 0 or pid.returncode != 0:
            return False, None, diff_err.decode("utf-8", "replace").strip() or "git patch-id failed"
        found: dict[str, str | None] = {}
        for line in out.decode("ascii", "replace").splitlines():
            cols = line.split()
            if len(cols) == 2:
                found[cols[1]] = cols[0]
        return True, ({i: found.get(i) for i in ids}, volatile), ""

    return run


def _pump_marking_binary(source: IO[bytes], sink: IO[bytes], volatile: set[str]) -> None:
    """Copy SOURCE (diff-tree -p output) to SINK, adding to VOLATILE each commit with a binary file."""
    commit = ""
    rest = b""
    open_sink: IO[bytes] | None = sink
    try:
        while True:
            chunk = source.read(_PUMP_READ)
            if not chunk:
                break
            if open_sink is not None:
                try:
                    open_sink.write(chunk)
                except BrokenPipeError:
                    open_sink = None  # patch-id died (its status says so): diff-tree is still drained
            text = rest + chunk
            cut = text.rfind(b"\n") + 1  # whole lines only: a marker may straddle two reads
            for match in _COMMIT_OR_BINARY.finditer(text, 0, cut):
                if match.group(1):
                    commit = match.group(1).decode("ascii")
                elif commit:
                    volatile.add(commit)
            rest = text[cut:]
    finally:
        source.close()
        if open_sink is not None:
            try:
                open_sink.close()
            except BrokenPipeError:
                pass


def _feed(stream: IO[bytes], ids: Iterable[str]) -> None:
    try:
        stream.write(("\n".join(ids) + "\n").encode())
        stream.close()
    except BrokenPipeError:
        pass


def _merge_patch_ids(part: ScanResult, payload: PatchIds) -> None:
    part.patch_ids.update(payload[0])
    part.volatile.update(payload[1])


MIN_SHARED_BATCH = 250  # below this a batch's own git start-up outweighs sharing it


class BackgroundPatchIds:
    """Patch-ids computed by worker threads in batches while the caller goes on reading history.

    Batches are large: each starts two git processes that map the packs afresh and warm their
    own delta cache, which costs about a fifth more CPU at 500 commits a batch than at 2,000.
    Measured on big.git's cold run (9,262 patch-ids, both cores busy with the walk): 4,000 a
    batch beat 2,000 by 0.3 s; 8,000 lost 0.4 s (the first batch waited for most of the walk).
    """

    def __init__(self, git_dir: Path, batch: int = 4000) -> None:
        self.git_dir = git_dir
        self.batch = batch
        self.pending: list[str] = []
        self.seen: set[str] = set()
        self.pool = ThreadPoolExecutor(worker_count())
        self.jobs: list[Future[ScanResult]] = []

    def add(self, ids: Iterable[str]) -> None:
        """Ask for the patch-ids of IDS (in history order: git then reads each tree once)."""
        for commit_id in ids:
            if commit_id not in self.seen:
                self.seen.add(commit_id)
                self.pending.append(commit_id)
        while len(self.pending) >= self.batch:
            self._submit(self.pending[: self.batch])
            del self.pending[: self.batch]

    def _submit(self, ids: list[str]) -> None:
        def one() -> ScanResult:
            part = ScanResult()
            _run_bisecting(ids, _patch_id_chunk(self.git_dir), lambda m: _merge_patch_ids(part, m), part.unreadable)
            return part

        self.jobs.append(self.pool.submit(one))

    def result(self) -> ScanResult:
        """Every patch-id asked for (waits for the workers)."""
        # The last ones are what everybody waits for: shared among the workers, not left to one.
        shares = _chunks(self.pending, worker_count()) if len(self.pending) >= 2 * MIN_SHARED_BATCH else [self.pending]
        for share in shares:
            if share:
                self._submit(list(share))
        self.pending = []
        out = ScanResult()
        for job in self.jobs:
            part = job.result()
            out.patch_ids.update(part.patch_ids)
            out.volatile.update(part.volatile)
            out.unreadable.update(part.unreadable)
        self.close()
        return out

    def close(self) -> None:
        """Stop: batches not started are dropped, running ones finish."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def compute_patch_ids(git_dir: Path, ids: Sequence[str], progress: Progress | None = None) -> ScanResult:
    """`git patch-id --stable` of each commit in IDS (None for an empty diff), in parallel."""
    return _scan_in_chunks(ids, worker_count() * 2 if len(ids) > 200 else 1, _patch_id_chunk(git_dir),
                           _merge_patch_ids, progress)


def commit_patch(git_dir: Path, commit_id: str) -> str:
    """The unified diff of one commit against its first parent, as `git show` would print it."""
    proc = run_git(git_dir, ["diff-tree", "-p", "--root", "--no-commit-id", *DIFF_OPTIONS, commit_id], check=False)
    return proc.stdout.decode("utf-8", "replace")


def _patches_chunk(git_dir: Path) -> Callable[[Sequence[str]], tuple[bool, dict[str, str] | None, str]]:
    def run(ids: Sequence[str]) -> tuple[bool, dict[str, str] | None, str]:
        proc = run_git(
            git_dir, [*BULK_CONFIG, "diff-tree", "--stdin", "-p", "--root", *DIFF_OPTIONS],
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
        _run_bisecting(chunk, _patches_chunk(git_dir), lambda m: found.update(m), bad)
        return found, bad

    with ThreadPoolExecutor(worker_count()) as pool:
        for found, bad in pool.map(one, chunks):
            patches.update(found)
            unreadable.update(bad)
    return patches, unreadable
