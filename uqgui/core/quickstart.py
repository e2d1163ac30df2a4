"""A quick first screen before the core has run: profile, tips, queue rows and downstream rows.

The profile from `git config`, the tips from `git rev-parse`, the queue from `git log`, and the
downstream-only commits from the identity cache (read-only) or from `git log`, with their states
still unknown. It imports nothing beyond the standard library (no pygit2), so `Prefetch` can run
it in a thread started before Qt is even imported; the full divergence replaces it when it arrives.
"""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from .gitcli import common_dir, git_environment
from .listing import SOURCE_CACHE, SOURCE_GIT, CommitRow, DownstreamListing

# identity.sqlite layouts this module can read (uqgui.core.cache.SCHEMA_VERSION); a test holds it to the cache.
KNOWN_CACHE_SCHEMAS = frozenset({"7", "8"})  # 8 dropped stored rows only: the same layout
CACHE_FILE = ("uqgui", "identity.sqlite")
GIT_BATCH = 1000  # rows per batch while `git log` streams (each one is a short GIL hold and model insert)
QUICK_TIMEOUT_S = 30.0


@dataclass
class QuickProfile:
    """A profile as `git config` spells it (the core's Profile is the authority)."""

    name: str
    downstream: str
    upstream: str
    branch: str


@dataclass
class QuickStart:
    """What the first screen can show before the core has run: profile, queue rows, downstream rows."""

    git_dir: Path
    shown: Path  # the repository's path as the window names it (and keys its settings)
    profile: QuickProfile
    tips: tuple[str, str, str | None]  # downstream, upstream, queue
    queue_base: CommitRow | None = None
    queue_commits: list[CommitRow] = field(default_factory=list)  # oldest first
    downstream: DownstreamListing | None = None  # None: not in the cache (run list_downstream)


def _git(git_dir: Path | None, args: Sequence[str], cwd: Path | None = None,
         timeout: float = QUICK_TIMEOUT_S) -> subprocess.CompletedProcess[bytes]:
    prefix = ["git"] + ([f"--git-dir={git_dir}"] if git_dir is not None else [])
    return subprocess.run([*prefix, *args], cwd=cwd, capture_output=True, env=git_environment(), timeout=timeout,
                          check=False)


def find_repository(path: str | Path) -> tuple[Path, Path] | None:
    """(git dir, the path a window shows: the work tree, or the git dir when bare) of PATH, or None."""
    folder = Path(path)
    if not folder.is_dir():
        return None
    proc = _git(None, ["rev-parse", "--absolute-git-dir", "--is-bare-repository"], cwd=folder)
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if proc.returncode != 0 or len(lines) != 2:
        return None
    git_dir = Path(lines[0]).resolve()
    if lines[1] == "true":
        return git_dir, git_dir
    proc = _git(None, ["rev-parse", "--show-toplevel"], cwd=folder)
    top = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return (git_dir, Path(top).resolve()) if proc.returncode == 0 and top else None


def read_quick_profiles(git_dir: Path) -> tuple[list[QuickProfile], str | None]:
    """Complete profiles in config order, and uq.defaultProfile."""
    from .names import DEFAULT_PROFILE_KEY, PROFILE_BRANCH, PROFILE_DOWNSTREAM, PROFILE_UPSTREAM

    proc = _git(git_dir, ["config", "-z", "--get-regexp", r"^uq\."])
    items: dict[str, dict[str, str]] = {}
    default = None
    for item in proc.stdout.split(b"\0"):
        key_b, _, value_b = item.partition(b"\n")
        key, value = key_b.decode("utf-8", "replace"), value_b.decode("utf-8", "replace")
        if key.casefold() == DEFAULT_PROFILE_KEY.casefold():
            default = value
            continue
        section, dot, rest = key.partition(".")
        name, dot2, item_key = rest.rpartition(".")
        if dot and dot2 and name:
            items.setdefault(name, {})[item_key.lower()] = value
    profiles = [QuickProfile(n, v.get(PROFILE_DOWNSTREAM, ""), v.get(PROFILE_UPSTREAM, ""), v.get(PROFILE_BRANCH, ""))
                for n, v in items.items()]
    return [p for p in profiles if p.downstream and p.upstream and p.branch], default


def choose_quick_profile(profiles: list[QuickProfile], default: str | None, wanted: str | None) -> QuickProfile | None:
    """WANTED when it exists, else the default, else the only profile; None when that would be a guess."""
    by_name = {p.name: p for p in profiles}
    if wanted and wanted in by_name:
        return by_name[wanted]
    if default:
        return by_name.get(default)
    return profiles[0] if len(profiles) == 1 else None


def resolve_tips(git_dir: Path, revs: Sequence[str]) -> list[str] | None:
    """Commit ids of REVS, or None when one does not resolve."""
    if any(r.startswith("-") for r in revs):
        return None
    proc = _git(git_dir, ["rev-parse", *[f"{r}^{{commit}}" for r in revs]])
    ids = proc.stdout.decode("ascii", "replace").split()
    if proc.returncode != 0 or len(ids) != len(revs):
        return None
    return ids


def _surrogate_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def peek_cached_listing(git_dir: Path, down_id: str, up_id: str) -> DownstreamListing | None:
    """The downstream-only commits as the identity cache last recorded them, or None.

    Read-only and defensive: an unknown cache layout, a missing range or missing rows give None
    (the caller lists with git instead), never a wrong answer.
    """
    path = common_dir(git_dir).joinpath(*CACHE_FILE)  # a linked work tree shares the main one's cache
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error:
        return None
    # A file name that is not UTF-8 is stored as bytes (uqgui.core.cache); concatenated here, it
    # comes back inside the text: keep it as the surrogate escapes it was read as.
    db.text_factory = _surrogate_text
    try:
        row = db.execute("SELECT value FROM info WHERE key = 'schema'").fetchone()
        if row is None or str(row[0]) not in KNOWN_CACHE_SCHEMAS:
            return None
        row = db.execute("SELECT ids FROM ranges WHERE key = ?", (f"{down_id}..{up_id}",)).fetchone()
        if row is None:
            return None
        ids = str(row[0]).split()
        # One statement and one result row for all of them: iterating 4,000 result rows takes the
        # GIL back 4,000 times, and beside a thread importing Qt that cost 170 ms instead of 10.
        row = db.execute(
            "SELECT count(*), group_concat(c.id || char(31) || c.subject || char(31) || c.author_name || char(31) "
            "|| c.author_email || char(31) || c.author_time || char(31) || c.paths, char(30)) "
            "FROM json_each(?) AS j JOIN commits AS c ON c.id = j.value", (json.dumps(ids),)).fetchone()
        if row is None or row[0] != len(ids):
            return None  # some commits were never scanned (unreadable ones): let git list them
        found: dict[str, tuple[str, str, str, str, int, list[str]]] = {}
        for record in str(row[1] or "").split("\x1e") if ids else []:
            fields = record.split("\x1f")
            if len(fields) != 6:
                return None  # a separator inside a subject: rather list with git than guess
            cid, subject, name, email, when, paths = fields
            found[cid] = (cid, subject, name, email, int(when), paths.split("\0") if paths else [])
        if len(found) != len(ids):
            return None
        return DownstreamListing.pending_columns([found[i] for i in ids], SOURCE_CACHE)
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        db.close()


_LOG_FORMAT = "--format=%x1e%H%x1f%an%x1f%ae%x1f%at%x1f%s"


def _parse_log(chunk: bytes) -> list[tuple[str, str, str, str, int, None]]:
    """(id, subject, name, email, time, None) per record: one decode, then splits (this runs beside the GUI)."""
    rows = []
    for record in chunk.decode("utf-8", "replace").split("\x1e"):
        fields = record.rstrip("\n").split("\x1f")
        if len(fields) == 5:
            rows.append((fields[0], fields[4], fields[1], fields[2], int(fields[3] or 0), None))
    return rows


def _rows_of(records: list[tuple[str, str, str, str, int, None]]) -> list[CommitRow]:
    return [CommitRow(cid, subject, name, email, when) for cid, subject, name, email, when, _ in records]


def list_commits_streaming(git_dir: Path, include: str, exclude: str,
                           on_batch: Callable[[list[tuple[str, str, str, str, int, None]]], None],
                           stop: threading.Event | None = None, first_parent: bool = False) -> bool:
    """`git log --no-merges INCLUDE ^EXCLUDE`, newest first, to ON_BATCH in batches; False if stopped.

    Each row is (id, subject, author name, author e-mail, author time, None): the shape
    DownstreamListing.pending_columns() takes.

    git prints nothing until it has walked the boundary (about half a second on 80,000 upstream
    commits without a commit-graph), then everything at once: batches keep big lists flowing.
    """
    args = ["git", f"--git-dir={git_dir}", "log", "--no-merges", "--encoding=UTF-8", "--no-show-signature",
            _LOG_FORMAT]
    if first_parent:
        args.append("--first-parent")
    args += [include, f"^{exclude}", "--"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=git_environment())
    assert proc.stdout is not None
    stream = proc.stdout
    assert isinstance(stream, io.BufferedReader)  # read1(): whatever the pipe holds, without waiting for more
    pending = b""
    batch: list[tuple[str, str, str, str, int, None]] = []
    finished = False
    try:
        while stop is None or not stop.is_set():
            data = stream.read1(1 << 16)
            if not data:
                finished = True
                break
            pending += data
            cut = pending.rfind(b"\x1e")
            if cut <= 0:
                continue
            batch.extend(_parse_log(pending[:cut]))
            pending = pending[cut:]
            if len(batch) >= GIT_BATCH:
                on_batch(batch)
                batch = []
        if finished:
            batch.extend(_parse_log(pending))
            if batch:
                on_batch(batch)
    finally:
        if not finished:  # stopped, or ON_BATCH raised (cancelled): git need not finish its walk
            proc.kill()
        proc.stdout.close()
        proc.wait()
    return finished and proc.returncode == 0


def quick_listing(git_dir: Path, down_id: str, up_id: str, on_part: Callable[[DownstreamListing], None],
                  progress: Callable[[str, int, int], None]) -> str:
    """The downstream-only commits before their states: from the identity cache, else streamed from git log.

    Each part goes to ON_PART as it comes; returns where the rows came from. PROGRESS may raise
    to stop (git is then killed).
    """
    cached = peek_cached_listing(git_dir, down_id, up_id)
    if cached is not None:
        on_part(cached)
        return cached.source
    progress("Listing downstream-only commits", 0, 0)
    listed = [0]

    def batch(rows: list[tuple[str, str, str, str, int, None]]) -> None:
        listed[0] += len(rows)
        progress("Listing downstream-only commits", listed[0], 0)
        on_part(DownstreamListing.pending_columns(rows, SOURCE_GIT))

    list_commits_streaming(git_dir, down_id, up_id, batch)
    return SOURCE_GIT


def quick_queue(git_dir: Path, branch: str, upstream: str) -> tuple[CommitRow | None, list[CommitRow]] | None:
    """The queue's base row and commits (oldest first) as git log gives them, or None."""
    proc = _git(git_dir, ["merge-base", branch, upstream])
    base_id = proc.stdout.decode("ascii", "replace").strip()
    if proc.returncode != 0 or not base_id:
        return None
    records: list[tuple[str, str, str, str, int, None]] = []
    if not list_commits_streaming(git_dir, branch, base_id, records.extend, first_parent=True):
        return None
    proc = _git(git_dir, ["log", "-1", "--encoding=UTF-8", "--no-show-signature", _LOG_FORMAT, base_id, "--"])
    base = _rows_of(_parse_log(proc.stdout))
    commits = _rows_of(records)
    commits.reverse()
    return (base[0] if base else None), commits


def quick_start(path: str | Path, wanted_profile: str | None = None) -> QuickStart | None:
    """Profile, tips, queue rows and (from the cache) downstream rows of the repository at PATH; None if unsure."""
    found = find_repository(path)
    if found is None:
        return None
    git_dir, shown = found
    profiles, default = read_quick_profiles(git_dir)
    profile = choose_quick_profile(profiles, default, wanted_profile)
    if profile is None:
        return None
    tips = resolve_tips(git_dir, [profile.downstream, profile.upstream])
    if tips is None:
        return None
    queue_tip = resolve_tips(git_dir, [profile.branch])
    start = QuickStart(git_dir, shown, profile, (tips[0], tips[1], queue_tip[0] if queue_tip else None))
    if queue_tip:
        queue = quick_queue(git_dir, profile.branch, profile.upstream)
        if queue is not None:
            start.queue_base, start.queue_commits = queue
    start.downstream = peek_cached_listing(git_dir, tips[0], tips[1])
    return start


class Prefetch:
    """quick_start() in a thread started as early as possible (before Qt is imported).

    When the identity cache does not have the downstream list (a cold cache), the thread goes
    on listing it with `git log` and hands the parts to whoever subscribed (or keeps them until
    someone does).
    """

    def __init__(self, path: str | Path, wanted_profile: str | None = None) -> None:
        self.path = Path(path)
        self.future: Future[QuickStart | None] = Future()
        self._lock = threading.Lock()
        self._parts: list[DownstreamListing] = []
        self._subscriber: Callable[[DownstreamListing], None] | None = None
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(wanted_profile,), name="uqgui-prefetch", daemon=True)

    @classmethod
    def start(cls, path: str | Path, wanted_profile: str | None = None) -> Prefetch:
        """Start reading the first screen of the repository at PATH."""
        prefetch = cls(path, wanted_profile)
        prefetch._thread.start()
        return prefetch

    def subscribe(self, callback: Callable[[DownstreamListing], None]) -> None:
        """Give CALLBACK the listed parts so far, then each later one (from the prefetch thread)."""
        with self._lock:
            parts, self._parts = self._parts, []
            self._subscriber = callback
        for part in parts:
            callback(part)

    def _deliver(self, part: DownstreamListing) -> None:
        with self._lock:
            callback = self._subscriber
            if callback is None:
                self._parts.append(part)
        if callback is not None:
            callback(part)

    def _run(self, wanted_profile: str | None) -> None:
        try:
            start = quick_start(self.path, wanted_profile)
        except Exception:  # noqa: BLE001 (a quick start is optional: the full load reports real errors)
            start = None
        self.future.set_result(start)
        if start is None or start.downstream is not None:
            return
        try:
            list_commits_streaming(start.git_dir, start.tips[0], start.tips[1],
                                   lambda rows: self._deliver(DownstreamListing.pending_columns(rows, SOURCE_GIT)),
                                   stop=self.stop)
        except Exception:  # noqa: BLE001 (the divergence lists them anyway)
            return


