"""The downstream list as the panes show it, prepared off the GUI thread; and a quick first listing.

Three jobs, all Qt-free:

- `DownstreamListing` holds everything a list view needs of the downstream-only commits in
  plain columns (states, sort keys, case-folded text for the filters, an id index), computed once
  where the divergence is computed (the GUI's core worker process), so the GUI thread never does
  per-row Python work when a divergence arrives.
- It crosses the process boundary in slices (`write_listing_answer` / `read_listing_answer`), so
  unpickling it never holds the GUI process's GIL for long.
- A quick first listing for the first screen: the profile from `git config`, the tips from
  `git rev-parse`, and the downstream-only commits from the identity cache (read-only) or from
  `git log`, with their states still unknown. It imports nothing beyond the standard library
  (no pygit2), so `Prefetch` can run it in a thread started before Qt is even imported; the full
  divergence replaces it when it arrives.
"""

from __future__ import annotations

import fnmatch
import io
import json
import pickle
import re
import sqlite3
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .gitcli import common_dir, git_environment

if TYPE_CHECKING:
    from .divergence import Divergence, Entry

# Display states: the core's three states, landed split by evidence, commits with no diff, and
# "pending" for a commit listed before its state is known.
S_REMAINING = "remaining"
S_QUEUED = "queued"
S_LANDED_EXACT = "landed-exact"
S_LANDED_MORPHED = "landed-morphed"
S_NO_DIFF = "no-diff"
S_PENDING = "pending"
DISPLAY_STATES = (S_REMAINING, S_QUEUED, S_LANDED_EXACT, S_LANDED_MORPHED, S_NO_DIFF)
# The default order: the work still to do first.
STATE_RANK = {S_REMAINING: 0, S_PENDING: 0, S_QUEUED: 1, S_LANDED_EXACT: 2, S_LANDED_MORPHED: 3, S_NO_DIFF: 4}

SOURCE_DIVERGENCE, SOURCE_CACHE, SOURCE_GIT = "divergence", "identity cache", "git log"
# identity.sqlite layouts this module can read (uqgui.core.cache.SCHEMA_VERSION); a test holds it to the cache.
KNOWN_CACHE_SCHEMAS = frozenset({"7"})
CACHE_FILE = ("uqgui", "identity.sqlite")
GIT_BATCH = 1000  # rows per batch while `git log` streams (each one is a short GIL hold and model insert)
QUICK_TIMEOUT_S = 30.0
# Rows per pickle when a listing crosses a process boundary: each load holds the GIL (about 6 ms
# per 1,000 rows), so a big listing arrives as many short loads rather than one long one.
SLICE_ROWS = 1000
_COLUMNS = ("ids", "subjects", "author_names", "author_emails", "author_times", "paths", "states", "entries",
            "subjects_folded", "authors_folded", "ranks")


def display_state(entry: Entry) -> str:
    """The display state of a divergence entry."""
    from .divergence import HOW_PATCH_ID, LANDED, QUEUED

    if entry.state == LANDED:
        exact = entry.match is not None and entry.match.how == HOW_PATCH_ID
        return S_LANDED_EXACT if exact else S_LANDED_MORPHED
    if entry.state == QUEUED:
        return S_QUEUED
    if entry.no_diff:
        return S_NO_DIFF
    return S_REMAINING


@dataclass(frozen=True)
class CommitRow:
    """What a list row shows of one commit."""

    id: str
    subject: str
    author_name: str
    author_email: str
    author_time: int

    @staticmethod
    def of(info: Any) -> CommitRow:
        """The row of anything with these attributes (a decoded CommitInfo, a CommitMeta)."""
        return CommitRow(info.id, info.subject, info.author_name, info.author_email, info.author_time)


@dataclass
class DownstreamListing:
    """Downstream-only commits in divergence order (newest first), in columns, with derived indexes."""

    ids: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    author_names: list[str] = field(default_factory=list)
    author_emails: list[str] = field(default_factory=list)
    author_times: list[int] = field(default_factory=list)
    paths: list[list[str] | None] = field(default_factory=list)  # None: not known yet
    states: list[str] = field(default_factory=list)
    entries: list[Entry | None] = field(default_factory=list)  # the core's entries, once states are known
    queue_positions: dict[str, int] = field(default_factory=dict)  # queue commit id -> its '#'
    complete: bool = False  # True when the states are the divergence's
    source: str = SOURCE_DIVERGENCE
    warnings: list[str] = field(default_factory=list)
    # Derived, filled by prepare():
    index: dict[str, int] = field(default_factory=dict)
    subjects_folded: list[str] = field(default_factory=list)
    authors_folded: list[str] = field(default_factory=list)
    ranks: list[int] = field(default_factory=list)
    queued_source: dict[str, int] = field(default_factory=dict)  # queue commit id -> row of its original

    def __len__(self) -> int:
        return len(self.ids)

    @staticmethod
    def from_divergence(divergence: Divergence) -> DownstreamListing:
        """The listing of a computed divergence (every state known)."""
        from .divergence import QUEUE

        listing = DownstreamListing(complete=True, source=SOURCE_DIVERGENCE, warnings=list(divergence.warnings))
        queue_ids = divergence.queue_ids
        # queue_ids is newest first; the queue's '#' counts from its base.
        listing.queue_positions = {cid: len(queue_ids) - i for i, cid in enumerate(queue_ids)}
        for n, e in enumerate(divergence.entries):
            meta = e.meta
            state = display_state(e)
            listing._add(meta.id, meta.subject, meta.author_name, meta.author_email, meta.author_time,
                         meta.paths, state)
            listing.entries.append(e)
            if state == S_QUEUED and e.match is not None and e.match.where == QUEUE:
                listing.queued_source[e.match.id] = n
        return listing.prepare()

    @staticmethod
    def pending(rows: Iterable[tuple[CommitRow, list[str] | None]], source: str) -> DownstreamListing:
        """A listing of ROWS (row, paths or None) whose states are not known yet."""
        return DownstreamListing.pending_columns(
            [(r.id, r.subject, r.author_name, r.author_email, r.author_time, paths) for r, paths in rows], source)

    @staticmethod
    def pending_columns(rows: Sequence[tuple[str, str, str, str, int, list[str] | None]],
                        source: str) -> DownstreamListing:
        """A pending listing from (id, subject, name, email, time, paths) tuples, built column-wise.

        This runs while the GUI thread imports Qt (Prefetch): comprehensions and zip() keep its
        share of the GIL small (a few ms for 4,000 rows, against about 20 row by row).
        """
        n = len(rows)
        columns = list(zip(*rows)) if n else [(), (), (), (), (), ()]
        listing = DownstreamListing(
            ids=list(columns[0]), subjects=list(columns[1]), author_names=list(columns[2]),
            author_emails=list(columns[3]), author_times=list(columns[4]), paths=list(columns[5]),
            states=[S_PENDING] * n, entries=[None] * n, complete=False, source=source)
        listing.index = dict(zip(listing.ids, range(n)))
        listing.subjects_folded = [s.casefold() for s in listing.subjects]
        listing.authors_folded = [f"{a}\n{e}".casefold() for a, e in zip(listing.author_names, listing.author_emails)]
        listing.ranks = [STATE_RANK[S_PENDING]] * n
        return listing

    def _add(self, commit_id: str, subject: str, name: str, email: str, when: int, paths: list[str] | None,
             state: str) -> None:
        self.ids.append(commit_id)
        self.subjects.append(subject)
        self.author_names.append(name)
        self.author_emails.append(email)
        self.author_times.append(when)
        self.paths.append(paths)
        self.states.append(state)

    def prepare(self, start: int = 0) -> DownstreamListing:
        """Compute the derived columns from row START on (the filters and sorting read only these)."""
        for i in range(start, len(self.ids)):
            self.index[self.ids[i]] = i
            self.subjects_folded.append(self.subjects[i].casefold())
            self.authors_folded.append(f"{self.author_names[i]}\n{self.author_emails[i]}".casefold())
            self.ranks.append(STATE_RANK.get(self.states[i], 0))
        return self

    def extend(self, more: DownstreamListing) -> int:
        """Append MORE's rows (a later batch of a pending listing); return the first new row."""
        start = len(self.ids)
        for name in ("ids", "subjects", "author_names", "author_emails", "author_times", "paths", "states",
                     "entries"):
            getattr(self, name).extend(getattr(more, name))
        self.prepare(start)
        return start

    def same_commits(self, other: DownstreamListing) -> bool:
        """True when OTHER lists the same commits in the same order."""
        return self.ids == other.ids

    def counts(self) -> dict[str, int]:
        """Commits per display state (pending included when there are some)."""
        found = Counter(self.states)
        return {s: found.get(s, 0) for s in (*DISPLAY_STATES, S_PENDING)}

    def match(self, i: int) -> Any:
        """The core's Match of row I, or None."""
        entry = self.entries[i] if i < len(self.entries) else None
        return entry.match if entry is not None else None

    def queue_position(self, i: int) -> int | None:
        """The queue '#' of row I when it is queued there."""
        match = self.match(i)
        return self.queue_positions.get(match.id) if match is not None and self.states[i] == S_QUEUED else None

    def why_not_pickable(self, i: int) -> str | None:
        """Why row I should not go into the queue (queued, landed, no diff), or None when it may."""
        state, short = self.states[i], self.ids[i][:12]
        if state == S_QUEUED:
            position = self.queue_position(i)
            return f"{short} is already queued" + (f" as #{position}" if position else "")
        if state in (S_LANDED_EXACT, S_LANDED_MORPHED):
            twin = str(getattr(self.match(i), "id", "") or "")
            return f"{short} has landed upstream" + (f" as {twin[:12]}" if twin else "")
        if state == S_NO_DIFF:
            return f"{short} changes nothing (it has no diff)"
        return None

    def sort_order(self, column: str, descending: bool = False) -> list[int]:
        """Row numbers sorted by COLUMN (state, subject, author, date; anything else: the default order).

        The sort is stable, so ties keep the divergence order (newest first).
        """
        n = range(len(self.ids))
        if column == "subject":
            rows = sorted(n, key=self.subjects_folded.__getitem__)
        elif column == "author":
            rows = sorted(n, key=self.authors_folded.__getitem__)
        elif column == "date":
            # Ascending is newest first, like git log.
            rows = sorted(n, key=self.author_times.__getitem__, reverse=True)
        else:
            rows = sorted(n, key=self.ranks.__getitem__)
            descending = descending and column == "state"
        if descending:
            rows.reverse()
        return rows


# -- filtering -------------------------------------------------------------------------------------
def compile_globs(text: str) -> re.Pattern[str] | None:
    """One regex for space- or comma-separated path globs; a glob without wildcards is a prefix."""
    parts = [p for p in re.split(r"[\s,]+", text.strip()) if p]
    if not parts:
        return None
    regexes = []
    for p in parts:
        if not any(c in p for c in "*?["):
            p = p + "*"
        regexes.append(fnmatch.translate(p))
    return re.compile("|".join(f"(?:{r})" for r in regexes))


@dataclass(frozen=True)
class ListingFilter:
    """Free text (subject or id prefix), display states (None: all), path globs and author."""

    text: str = ""
    states: frozenset[str] | None = None
    path_glob: str = ""
    author: str = ""

    @property
    def active(self) -> bool:
        """True when some filter hides rows."""
        return bool(self.text or self.states is not None or self.path_glob or self.author)

    def apply(self, listing: DownstreamListing, rows: Sequence[int] | None = None) -> tuple[list[bool], Counter[str]]:
        """A keep-mask over ROWS (default: all) and the counts per state of what the other filters keep.

        Counts ignore the state filter: they say what the text, path and author filters hold in
        each state. Rows whose paths are not known yet never match a path filter.
        """
        todo = range(len(listing.ids)) if rows is None else rows
        text = self.text.strip().casefold()
        is_hex = len(text) >= 4 and all(c in "0123456789abcdef" for c in text)
        author = self.author.strip().casefold()
        globs = compile_globs(self.path_glob)
        wanted = self.states
        subjects, ids, authors, paths, states = (listing.subjects_folded, listing.ids, listing.authors_folded,
                                                 listing.paths, listing.states)
        mask: list[bool] = []
        counts: Counter[str] = Counter()
        for i in todo:
            if text and text not in subjects[i] and not (is_hex and ids[i].startswith(text)):
                mask.append(False)
                continue
            if author and author not in authors[i]:
                mask.append(False)
                continue
            if globs is not None:
                touched = paths[i]
                if not touched or not any(globs.match(p) for p in touched):
                    mask.append(False)
                    continue
            state = states[i]
            counts[state] += 1
            mask.append(wanted is None or state in wanted)
        return mask, counts


# -- a quick first listing, standard library only -------------------------------------------------------
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


# -- a listing across a process boundary --------------------------------------------------------------
# The GUI gets listings from its worker process (uqgui.ui.worker). Unpickling holds the GIL, so
# a listing travels as a header and slices of SLICE_ROWS rows: between two slices the GUI thread
# can run (one load of 1,000 rows takes about 6 ms; the whole of 4,000 rows in one go took 26).

def compute_listing(repo_path: Path, downstream: str, upstream: str, queue: str | None,
                    progress: Callable[[str, int, int], None] | None = None) -> tuple[Divergence, DownstreamListing]:
    """compute_divergence() and its listing."""
    from .divergence import compute_divergence
    from .repo import Repo

    divergence = compute_divergence(Repo(repo_path), downstream, upstream, queue or None, progress=progress)
    return divergence, DownstreamListing.from_divergence(divergence)


def write_listing_answer(out: IO[bytes], divergence: Divergence, listing: DownstreamListing) -> None:
    """A header pickle (the divergence without its entries), then one pickle per SLICE_ROWS rows."""
    import copy

    head = copy.copy(divergence)
    head.entries = []
    extra = {"queue_positions": listing.queue_positions, "queued_source": listing.queued_source,
             "complete": listing.complete, "source": listing.source, "warnings": listing.warnings}
    pickle.dump((head, extra), out, protocol=pickle.HIGHEST_PROTOCOL)
    for start in range(0, len(listing), SLICE_ROWS):
        end = start + SLICE_ROWS
        pickle.dump({name: getattr(listing, name)[start:end] for name in _COLUMNS}, out,
                    protocol=pickle.HIGHEST_PROTOCOL)


def read_listing_answer(data: bytes,
                        load: Callable[[IO[bytes]], Any] = pickle.load) -> tuple[Divergence, DownstreamListing]:
    """What write_listing_answer() wrote; LOAD reads one pickle from a stream (the caller may map classes)."""
    stream = io.BytesIO(data)
    divergence, extra = load(stream)
    listing = DownstreamListing(**extra)
    while stream.tell() < len(data):
        part = load(stream)  # one slice: the GIL is free again between two
        for name in _COLUMNS:
            getattr(listing, name).extend(part[name])
    listing.index = dict(zip(listing.ids, range(len(listing.ids))))
    divergence.entries = listing.entries
    return divergence, listing
