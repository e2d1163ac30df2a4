"""The downstream list as the panes show it, prepared off the GUI thread, in plain columns.

Two jobs, both Qt-free:

- `DownstreamListing` holds everything a list view needs of the downstream-only commits in
  plain columns (states, sort keys, case-folded text for the filters, an id index), computed once
  where the divergence is computed (the GUI's core worker process), so the GUI thread never does
  per-row Python work when a divergence arrives.
- It crosses the process boundary in slices (`write_listing_answer` / `read_listing_answer`), so
  unpickling it never holds the GUI process's GIL for long.

The quick first listing, before the core has run, is uqgui.core.quickstart's.
"""

from __future__ import annotations

import fnmatch
import io
import pickle
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

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
