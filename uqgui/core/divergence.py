"""Divergence: every downstream-only commit with its state (remaining, queued or landed).

Upstream's twin of a downstream patch usually sits inside downstream's own history (downstream
merges upstream), so the search covers ALL of upstream's non-merge history, not only the
symmetric difference `git cherry` looks at. The cheap pass (touched paths, subjects, authors) runs
over everything; patch-ids, the expensive part, are computed only where paths already agree,
since equal patch-ids imply equal sets of touched paths.

Provenance trailers count both ways: a downstream commit naming its source, and a queue or
upstream commit naming the downstream commit it was picked from (an indexed lookup).

Everything is cached per repository (see cache.py): a run after a fetch only reads the new
commits, and a run on unchanged tips reuses the whole answer. Bulk passes feed git the commits
in history order, which is several times faster than hash order.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2

from .cache import IdentityCache, MetaRows, is_damage
from .errors import UqDirUnavailableError
from .gitcli import run_git
from .history import (
    BackgroundPatchIds,
    CommitMeta,
    ScanResult,
    commit_patches,
    compute_patch_ids,
    list_commits,
    object_store_fingerprint,
    scan_headers,
    scan_metadata,
    stream_metadata,
)
from .identity import changed_lines, content_lines, multiset_similarity, set_similarity
from .repo import Repo

REMAINING, QUEUED, LANDED = "remaining", "queued", "landed"
UPSTREAM, QUEUE = "upstream", "queue"
HOW_PATCH_ID, HOW_TRAILER, HOW_SUBJECT, HOW_AUTHOR_DATE, HOW_SIMILAR = (
    "patch-id", "trailer", "subject", "author-date", "similar",
)
# Bump when the matching rules change: answers remembered by earlier versions are then ignored.
MATCHER_VERSION = 2  # 2: author and date need changed lines alike (AUTHOR_DATE_THRESHOLD)
SIMILAR_THRESHOLD = 0.7
# Author e-mail and timestamp say two commits come from one piece of work, not that they are one
# change: the halves of a commit split with `rebase -i` keep its date. Together with this share of
# the changed lines that carry content alike they do; with less, they are no evidence.
AUTHOR_DATE_THRESHOLD = 0.2
MAX_CANDIDATES = 24
MAX_WARNINGS_LISTED = 20
MAX_KEPT_METAS = 5000

StageProgress = Callable[[str, int, int], None]


@dataclass
class Match:
    """How a commit's change was found elsewhere: the twin, the evidence kind and a score."""

    id: str
    how: str
    score: float
    where: str
    evidence: str
    chain: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `match` object of `uq status --json`."""
        data: dict[str, Any] = {"id": self.id, "how": self.how, "score": round(self.score, 3), "where": self.where,
                                "evidence": self.evidence}
        if self.chain:
            data["chain"] = self.chain
        return data


@dataclass
class Entry:
    """One downstream-only commit and its state."""

    meta: CommitMeta
    state: str = REMAINING
    match: Match | None = None
    patch_id: str | None = None
    unreadable: bool = False

    @property
    def no_diff(self) -> bool:
        """True for a commit whose diff is empty: it has no patch-id."""
        return not self.meta.paths and not self.unreadable

    def to_json(self) -> dict[str, Any]:
        """One element of `commits` in `uq status --json`."""
        return {
            "id": self.meta.id,
            "subject": self.meta.subject,
            "author": f"{self.meta.author_name} <{self.meta.author_email}>",
            "author_time": self.meta.author_time,
            "state": self.state,
            "match": self.match.to_json() if self.match else None,
            "patch_id": self.patch_id,
            "no_diff": self.no_diff,
            "unreadable": self.unreadable,
        }


@dataclass
class Divergence:
    """The complete answer: tips, entries newest first, and warnings."""

    downstream: str
    upstream: str
    queue: str | None
    entries: list[Entry]
    queue_ids: list[str]
    warnings: list[str]
    # Those of WARNINGS that hold as long as the tips do (remembered with the answer).
    lasting_warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Counts per state, as `uq status --json` reports them."""
        landed = [e for e in self.entries if e.state == LANDED]
        exact = sum(1 for e in landed if e.match and e.match.how == HOW_PATCH_ID)
        return {
            "downstream_only": len(self.entries),
            "remaining": sum(1 for e in self.entries if e.state == REMAINING),
            "queued": sum(1 for e in self.entries if e.state == QUEUED),
            "landed": len(landed),
            "landed_exact": exact,
            "landed_morphed": len(landed) - exact,
            "no_diff": sum(1 for e in self.entries if e.no_diff),
        }

    def to_json(self) -> dict[str, Any]:
        """The one JSON object `uq status --json` prints."""
        return {
            "downstream": self.downstream,
            "upstream": self.upstream,
            "queue": self.queue,
            "commits": [e.to_json() for e in self.entries],
            "summary": self.summary(),
            "warnings": self.warnings,
        }


class _Side:
    """Where twins are looked for: upstream (a cached set of tens of thousands) or the queue."""

    def __init__(self, name: str, metas: dict[str, CommitMeta], slot: str | None = None) -> None:
        self.name = name
        self.metas = metas
        self.slot = slot
        self.patch_ids: dict[str, str | None] = {}
        self.by_paths: dict[str, list[str]] = {}
        self.by_paths_email: dict[tuple[str, str], list[str]] = {}
        self.by_subject: dict[str, list[str]] = {}
        self.by_author: dict[str, list[str]] = {}
        self.by_patch_id: dict[str, list[str]] = {}

    def index(self, metas: Iterable[CommitMeta]) -> None:
        """Index METAS by paths, subject and author keys."""
        for m in metas:
            if m.paths_key:
                self.by_paths.setdefault(m.paths_key, []).append(m.id)
                self.by_paths_email.setdefault((m.paths_key, m.author_email.casefold()), []).append(m.id)
            if m.subject_key:
                self.by_subject.setdefault(m.subject_key, []).append(m.id)
            self.by_author.setdefault(m.author_key, []).append(m.id)

    def path_candidates(self) -> set[str]:
        """Every commit sharing its set of touched paths with a probe."""
        return {i for ids in self.by_paths.values() for i in ids}

    def index_patch_ids(self) -> None:
        """Index the known patch-ids."""
        self.by_patch_id = {}
        for commit_id, pid in self.patch_ids.items():
            if pid:
                self.by_patch_id.setdefault(pid, []).append(commit_id)
        # Several twins with one patch-id: report the same one on every run, whatever the set order.
        for twins in self.by_patch_id.values():
            twins.sort()


class DivergenceComputer:
    """Computes a Divergence for explicit revisions, reusing the persistent identity cache."""

    def __init__(self, repo: Repo, progress: StageProgress | None = None) -> None:
        self.repo = repo
        self.progress = progress or (lambda stage, done, total: None)
        self._cache: IdentityCache | None = None
        self.warnings: list[str] = []
        self.unreadable: dict[str, str] = {}
        # What the last compute() had to do (not what it found): evidence that warm runs are incremental.
        self.stats: dict[str, int] = {}
        self._reset_run()

    @property
    def cache(self) -> IdentityCache:
        """The identity cache, opened on first use (under the common git dir, else in memory)."""
        if self._cache is None:
            try:
                self._cache = IdentityCache(self.repo.uq_dir())
            except UqDirUnavailableError as exc:
                # Reading needs no folder: a read-only clone still gets its answer, only without a cache.
                self._cache = IdentityCache(None)
                # Kept with the cache, not in self.warnings, so every run of this computer reports it.
                self._cache.warnings.append(
                    f"{exc.message} This run keeps uqgui's cache in memory, so the next run starts cold.")
        return self._cache

    def close(self) -> None:
        """Close the cache."""
        if self._cache is not None:
            self._cache.close()

    def _reset_run(self) -> None:
        self.warnings = []
        self.unreadable = {}
        self._provisional = False
        self._slot: str | None = None
        self._order: dict[str, int] = {}
        # Patch-ids git may give otherwise later (binary changes): used this run, never stored.
        self._fresh: dict[str, str | None] = {}
        self.stats = {"upstream_listed": 0, "downstream_listed": 0, "metadata_scanned": 0,
                      "patch_ids_computed": 0, "patches_read": 0, "answer_reused": 0}

    # -- entry point ------------------------------------------------------------------
    def compute(self, downstream: str, upstream: str, queue: str | None = None) -> Divergence:
        """Every downstream-only commit of DOWNSTREAM against UPSTREAM (and QUEUE), with states."""
        repo = self.repo
        repo.require_commits()
        down_id = repo.resolve(downstream, "downstream revision")
        up_id = repo.resolve(upstream, "upstream revision")
        queue_id = repo.resolve(queue, "queue revision") if queue else None
        self._reset_run()
        try:
            return (self._reused(down_id, up_id, queue_id)
                    or self._compute(upstream, down_id, up_id, queue_id, queue or ""))
        except sqlite3.DatabaseError as exc:
            # Everything in the cache can be recomputed from git: start over once with a fresh one.
            cache = self.cache
            if is_damage(exc):
                cache.reset(exc)
            else:
                cache.use_memory(exc)
            self._reset_run()
            return self._compute(upstream, down_id, up_id, queue_id, queue or "")

    def _reused(self, down_id: str, up_id: str, queue_id: str | None) -> Divergence | None:
        """The remembered answer for exactly these tips, when there is one."""
        if self.repo.is_shallow:
            return None
        data = self.cache.result(_answer_key(down_id, up_id, queue_id))
        if data is None:
            return None
        try:
            found = _divergence_from_stored(data, down_id, up_id, queue_id)
        except (ValueError, KeyError, IndexError, TypeError):
            return None
        self.stats["answer_reused"] = 1
        found.warnings = list(dict.fromkeys(self.cache.warnings + self.warnings + found.warnings))
        return found

    def _remember(self, result: Divergence) -> None:
        """Keep the answer for these tips, unless it could change while they stay put.

        Unreadable commits (a fetch may bring their objects), a shallow boundary, trailers naming
        commits this repository lacks, and binary changes (whose patch-ids git abbreviates by the
        size of the repository) all make an answer provisional.
        """
        if self.unreadable or self.repo.is_shallow or self._provisional:
            return
        if any(e.meta.id in self._fresh for e in result.entries):
            return  # a binary change's patch-id (and what it matches) may be otherwise on the next run
        self.cache.store_result(_answer_key(result.downstream, result.upstream, result.queue), _stored(result))

    def _compute(self, upstream: str, down_id: str, up_id: str, queue_id: str | None, queue: str) -> Divergence:
        repo = self.repo
        cache = self.cache
        lasting = queue_shape_warnings(repo, queue, queue_id, up_id) if queue_id is not None else []
        self.warnings.extend(lasting)
        if repo.is_shallow:
            self.warnings.append(
                "This is a shallow clone: history beyond the shallow boundary is not seen, so some landed "
                "commits may show as remaining. Run `git fetch --unshallow` for a complete answer."
            )
        cache.forget_unreadable_unless(object_store_fingerprint(repo.git_dir))
        slot = self._slot_name(upstream, up_id)
        old_tip = cache.slot_tip(slot)
        down_ids_known = cache.range_ids(f"{down_id}..{up_id}")
        # After a fetch of upstream alone, the old answer minus what upstream gained is the new
        # one (same order): no need to walk downstream's history again.
        earlier = cache.range_ids(f"{down_id}..{old_tip}") if down_ids_known is None and old_tip else None
        # On an empty cache, walks read the metadata of what they list in the same pass.
        cold = not cache.has_commits()
        # The walks are mostly git's work: run them side by side (the cache stays on this
        # thread: one connection, one transaction at a time).
        with ThreadPoolExecutor(2) as pool:
            listing = None
            if down_ids_known is None and earlier is None:
                listing = pool.submit(_list_reading, repo.git_dir, down_id, up_id, cold)
            queue_listing = pool.submit(_list_reading, repo.git_dir, queue_id, up_id, cold) if queue_id else None
            # A cold run knows both sides' paths while upstream is still being read: the
            # patch-ids sure to be needed are computed beside the walk, not after it.
            early = None
            if cold and listing is not None:
                early = _EarlyPatchIds(repo.git_dir, [f for f in (listing, queue_listing) if f is not None])
            try:
                gained = self._update_upstream_slot(slot, old_tip, up_id, cold, early)
                if early is not None:
                    early.finish()
                if down_ids_known is None and listing is None and earlier is not None and gained is not None:
                    dropped = set(gained)
                    down_ids_known = [c for c in earlier if c not in dropped]
                    cache.store_range(f"{down_id}..{up_id}", down_ids_known)
                down_ids = down_ids_known if down_ids_known is not None else self._downstream_only(down_id, up_id, listing)
                queue_ids, queue_rows = queue_listing.result() if queue_listing else ([], None)
                if queue_rows is not None:
                    cache.store_rows(queue_rows)
                    self.stats["metadata_scanned"] += len(queue_rows)
                if early is not None:
                    self._store_patch_ids(early.runner.result())
            finally:
                if early is not None:
                    early.runner.close()
        self._slot = slot
        self._order = {commit_id: n for n, commit_id in enumerate(down_ids + queue_ids)}
        self._ensure_metas(slot, down_ids + queue_ids)

        metas = cache.metas(down_ids + queue_ids)
        headers = self._headers([i for i in down_ids if i not in metas])
        entries = []
        for i in down_ids:
            if i in metas:
                entries.append(Entry(metas[i]))
            else:
                entries.append(Entry(headers.get(i) or _unreadable_meta(i), unreadable=True))
        queue_side = _Side(QUEUE, {i: metas[i] for i in queue_ids if i in metas})
        queue_side.index(queue_side.metas.values())
        readable = [e.meta for e in entries if not e.unreadable]
        upstream_side = self._upstream_side(slot, readable + list(queue_side.metas.values()))

        self._load_patch_ids(entries, upstream_side, queue_side)
        self.progress("Matching morphed patches", 0, len(entries))
        queue_landed = self._match_queue_upstream(queue_side, upstream_side)
        self._match_entries(entries, upstream_side, queue_side, queue_landed)
        for e in entries:
            if e.meta.id in self.unreadable:
                e.unreadable = True
        self._report_unreadable()
        warnings = list(dict.fromkeys(cache.warnings + self.warnings))
        result = Divergence(down_id, up_id, queue_id, entries, queue_ids, warnings, lasting)
        self._remember(result)
        return result

    # -- sets and metadata ----------------------------------------------------------
    def _slot_name(self, upstream: str, up_id: str) -> str:
        """The cache slot holding upstream's commit set: per ref, so it follows the ref incrementally."""
        full = self.repo.full_ref_name(upstream)
        ref = full if self.repo.ref_target(full) else None
        return f"set:{ref or up_id}"

    def _update_upstream_slot(self, slot: str, old_tip: str | None, up_id: str, cold: bool = False,
                              early: _EarlyPatchIds | None = None) -> list[str] | None:
        """Bring SLOT from OLD_TIP to UP_ID; return the commits it gained, or None when rebuilt whole.

        COLD: the cache knows no commit, so a rebuild reads everything anyway. EARLY sees each
        batch of upstream metadata as it is read.
        """
        if old_tip == up_id:
            return []
        self.progress("Listing upstream history", 0, 0)
        grows = bool(old_tip and old_tip in self.repo.git and self.repo.is_ancestor(old_tip, up_id))
        streamed = self._stream_upstream(slot, up_id, old_tip if grows else None, early) if grows or cold else None
        if streamed is not None:
            return streamed if grows else None
        if old_tip and grows:
            new = list_commits(self.repo.git_dir, [up_id], [old_tip])
            self.cache.set_slot(slot, up_id, new, replace=False)
            gained: list[str] | None = new
        else:
            new = list_commits(self.repo.git_dir, [up_id])
            self.cache.set_slot(slot, up_id, new, replace=True)
            gained = None
        self.stats["upstream_listed"] += len(new)
        return gained

    def _stream_upstream(self, slot: str, up_id: str, old_tip: str | None,
                         early: _EarlyPatchIds | None = None) -> list[str] | None:
        """List and scan upstream in one streaming walk (from OLD_TIP when it grows); None when not done.

        Used when most of the commits are new to the cache (a cold cache, or a fetch): a full
        rebuild over a cache that already knows most commits lists first and scans only the gaps.
        A walk that fails (an unreadable object) leaves the work to the bisecting path.
        """
        cache = self.cache
        was_complete = old_tip is None or cache.slot_complete(slot)
        self.progress("Reading commits", 0, 0)
        rows = MetaRows()

        def gather(metas: dict[str, CommitMeta]) -> None:
            added = rows.add(metas.values())
            if early is not None:
                early.offer(added)
            self.progress("Reading commits", len(rows), 0)

        ids, _ = stream_metadata(self.repo.git_dir, [up_id], [old_tip] if old_tip else [], gather)
        if ids is None:
            return None  # what a failed walk printed is not trusted: the bisecting path reads it again
        with cache.bulk(len(rows)):
            cache.store_rows(rows)
        self.stats["metadata_scanned"] += len(rows)
        cache.set_slot(slot, up_id, ids, replace=old_tip is None)
        if was_complete:
            cache.mark_slot_complete(slot)
        self.stats["upstream_listed"] += len(ids)
        return ids

    def _downstream_only(self, down_id: str, up_id: str,
                         listing: Future[tuple[list[str], MetaRows | None]] | None = None) -> list[str]:
        """The downstream-only non-merge commits, newest first (LISTING: git already asked)."""
        key = f"{down_id}..{up_id}"
        cached = self.cache.range_ids(key)
        if cached is not None:
            return cached
        self.progress("Listing downstream-only commits", 0, 0)
        ids, rows = listing.result() if listing else _list_reading(self.repo.git_dir, down_id, up_id, False)
        if rows is not None:
            self.cache.store_rows(rows)
            self.stats["metadata_scanned"] += len(rows)
        self.stats["downstream_listed"] += len(ids)
        self.cache.store_range(key, ids)
        return ids

    def _scan(self, ids: list[str], stage: str | None = "Reading commits") -> dict[str, CommitMeta]:
        """Scan IDS' metadata with git, store it (and what could not be read); return what was read."""
        if not ids:
            return {}
        if stage:
            self.progress(stage, 0, len(ids))
        report = (lambda d, t: self.progress(stage, d, t)) if stage else None
        read: dict[str, CommitMeta] = {}
        keep = len(ids) <= MAX_KEPT_METAS  # a cold scan's tens of thousands go to the cache only

        def store(part: ScanResult) -> None:
            self.cache.store_metas(part.metas.values())
            self.cache.store_unreadable(part.unreadable)
            if keep:
                read.update(part.metas)

        with self.cache.bulk(len(ids)):
            scan_metadata(self.repo.git_dir, ids, report, sink=store)
        self.stats["metadata_scanned"] += len(ids)
        return read

    def _ensure_metas(self, slot: str, extra: list[str]) -> None:
        """Scan the commits whose metadata is not cached yet (upstream set plus EXTRA)."""
        missing = self.cache.missing_metas(extra)
        slot_done = self.cache.slot_complete(slot)
        if not slot_done:
            missing = list(dict.fromkeys(self.cache.slot_missing_metas(slot) + missing))
        self._scan(missing)
        if not slot_done:
            self.cache.mark_slot_complete(slot)
        self.unreadable.update(self.cache.unreadable(extra))
        self.unreadable.update(self.cache.unreadable_in_slot(slot))

    def _headers(self, ids: list[str]) -> dict[str, CommitMeta]:
        """Subjects and authors of commits whose diffs could not be read, for display."""
        if not ids:
            return {}
        result = scan_headers(self.repo.git_dir, ids)
        self.unreadable.update({i: r for i, r in result.unreadable.items() if i not in self.unreadable})
        return result.metas

    def _upstream_side(self, slot: str, probes: list[CommitMeta]) -> _Side:
        """The upstream commits that could be twins of PROBES, by paths, subject, author or trailer."""
        cache = self.cache
        # Commits with the same paths only need their ids (for patch-ids) and author e-mail (for
        # "similar"): thousands of them, so their full metadata is loaded only for a probe's author.
        by_paths_email: dict[tuple[str, str], list[str]] = {}
        by_paths: dict[str, list[str]] = {}
        for key, rows in cache.paths_in_slot(slot, [m.paths_key for m in probes if m.paths_key]).items():
            by_paths[key] = [commit_id for commit_id, _ in rows]
            for commit_id, email in rows:
                by_paths_email.setdefault((key, email.casefold()), []).append(commit_id)
        similar = {i for m in probes if m.paths_key
                   for i in by_paths_email.get((m.paths_key, m.author_email.casefold()), [])}
        by_subject = cache.in_slot(slot, "subject_key", [m.subject_key for m in probes if m.subject_key])
        by_author = cache.in_slot(slot, "author_key", [m.author_key for m in probes])
        named_by = cache.naming([m.id for m in probes], slot)
        wanted = similar | {i for group in (by_subject, by_author, named_by) for ids in group.values() for i in ids}
        side = _Side(UPSTREAM, cache.metas(sorted(wanted)), slot)
        side.by_paths, side.by_paths_email = by_paths, by_paths_email
        side.by_subject, side.by_author = by_subject, by_author
        return side

    def _patch_ids(self, ids: Iterable[str]) -> dict[str, str | None]:
        """Patch-ids of IDS: cached ones, the rest computed (in one parallel batch) and stored."""
        need = sorted(set(ids) - set(self.unreadable))
        known = self.cache.patch_ids(need)
        known.update((i, self._fresh[i]) for i in need if i in self._fresh)
        missing = self._in_history_order([i for i in need if i not in known])
        if missing:
            self.progress("Computing patch-ids", 0, len(missing))
            result = compute_patch_ids(self.repo.git_dir, missing,
                                       lambda d, t: self.progress("Computing patch-ids", d, t))
            self._store_patch_ids(result)
            known.update(result.patch_ids)
        return known

    def _store_patch_ids(self, result: ScanResult) -> None:
        """Keep computed patch-ids and the commits that could not be read."""
        self.stats["patch_ids_computed"] += len(result.patch_ids) + len(result.unreadable)
        self._fresh.update((i, pid) for i, pid in result.patch_ids.items() if i in result.volatile)
        self.cache.store_patch_ids({i: pid for i, pid in result.patch_ids.items() if i not in result.volatile})
        self.cache.store_unreadable(result.unreadable)
        self.unreadable.update(result.unreadable)

    def _in_history_order(self, ids: list[str]) -> list[str]:
        """IDS sorted as git walks them (downstream, queue, then upstream by rev-list position).

        Fed in hash order, git reloads each parent tree from the pack: 3 to 5 times slower.
        """
        if len(ids) < 2:
            return ids
        known = self._order
        rest = [i for i in ids if i not in known]
        upstream = self.cache.slot_order(self._slot, rest) if self._slot and rest else {}

        def key(commit_id: str) -> tuple[int, int, str]:
            if commit_id in known:
                return (0, known[commit_id], "")
            if commit_id in upstream:
                return (1, upstream[commit_id], "")
            return (2, 0, commit_id)

        return sorted(ids, key=key)

    def _load_patch_ids(self, entries: list[Entry], up: _Side, queue: _Side) -> None:
        """Patch-ids of every commit whose paths agree with some commit on the other side."""
        need: set[str] = set()
        for e in entries:
            key = e.meta.paths_key
            if key and not e.unreadable and (key in up.by_paths or key in queue.by_paths):
                need.add(e.meta.id)
                need.update(up.by_paths.get(key, []))
                need.update(queue.by_paths.get(key, []))
        for m in queue.metas.values():
            if m.paths_key and m.paths_key in up.by_paths:
                need.add(m.id)
                need.update(up.by_paths[m.paths_key])
        known = self._patch_ids(need)
        for e in entries:
            e.patch_id = known.get(e.meta.id)
        up.patch_ids = {i: known.get(i) for i in up.path_candidates() | set(up.metas)}
        queue.patch_ids = {i: known.get(i) for i in queue.metas}
        up.index_patch_ids()
        queue.index_patch_ids()

    # -- matching ---------------------------------------------------------------------
    def _match_queue_upstream(self, queue: _Side, up: _Side) -> dict[str, Match]:
        """Queue commits whose change is already upstream (so a downstream twin of one has landed)."""
        metas = list(queue.metas.values())
        matches = self._best_matches(metas, queue.patch_ids, up)
        return {k: v for k, v in matches.items() if v is not None}

    def _match_entries(self, entries: list[Entry], up: _Side, queue: _Side, queue_landed: dict[str, Match]) -> None:
        readable = [e for e in entries if not e.unreadable]
        pids = {e.meta.id: e.patch_id for e in readable}
        metas = [e.meta for e in readable]
        up_matches = self._best_matches(metas, pids, up)
        queue_matches = self._best_matches([m for m in metas if up_matches.get(m.id) is None], pids, queue)
        for e in readable:
            m_up = up_matches.get(e.meta.id)
            m_q = queue_matches.get(e.meta.id)
            if m_up is not None:
                e.state, e.match = LANDED, m_up
            elif m_q is not None and m_q.id in queue_landed:
                twin = queue_landed[m_q.id]
                e.state = LANDED
                e.match = Match(
                    twin.id, _weaker_link(m_q, twin).how, min(m_q.score, twin.score), UPSTREAM,
                    f"{m_q.evidence} as queue commit {m_q.id[:12]}, which landed upstream ({twin.evidence})",
                    chain=[m_q.id, twin.id],
                )
            elif m_q is not None:
                e.state, e.match = QUEUED, m_q

    def _best_matches(self, metas: list[CommitMeta], pids: dict[str, str | None], side: _Side) -> dict[str, Match | None]:
        """For each of METAS, its best twin on SIDE, or None."""
        found: dict[str, Match | None] = {}
        morph_pairs: dict[str, dict[str, set[str]]] = {}
        undecided: list[CommitMeta] = []
        for m in metas:
            if m.id in side.metas:
                found[m.id] = Match(m.id, HOW_PATCH_ID, 1.0, side.name, f"the same commit is in the {side.name}")
                continue
            pid = pids.get(m.id)
            twins = side.by_patch_id.get(pid, []) if pid else []
            if twins:
                found[m.id] = Match(twins[0], HOW_PATCH_ID, 1.0, side.name, "same patch-id")
                continue
            undecided.append(m)
        trailers = self._trailer_matches(undecided, side)
        for m in undecided:
            if m.id in trailers:
                found[m.id] = trailers[m.id]
                continue
            reasons: dict[str, set[str]] = {}
            if m.subject_key:
                for c in side.by_subject.get(m.subject_key, []):
                    reasons.setdefault(c, set()).add(HOW_SUBJECT)
            for c in side.by_author.get(m.author_key, []):
                reasons.setdefault(c, set()).add(HOW_AUTHOR_DATE)
            if m.paths_key:
                for c in side.by_paths_email.get((m.paths_key, m.author_email.casefold()), []):
                    if c in side.metas:
                        reasons.setdefault(c, set()).add(HOW_SIMILAR)
            reasons.pop(m.id, None)
            if reasons:
                # The strongest evidence first; ids break ties so the answer never depends on order.
                ranked = sorted(reasons.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:MAX_CANDIDATES]
                morph_pairs[m.id] = dict(ranked)
            else:
                found[m.id] = None
        if morph_pairs:
            found.update(self._score_morphs(metas, morph_pairs, side))
        return found

    def _trailer_matches(self, metas: list[CommitMeta], side: _Side) -> dict[str, Match]:
        """Twins named by provenance trailers: METAS naming a side commit, or a side commit naming one."""
        out: dict[str, Match] = {}
        outside: dict[str, list[str]] = {}
        for m in metas:
            for named in m.provenance:
                direct = self._lookup_prefix(side, named)
                if direct and direct != m.id:
                    out[m.id] = Match(direct, HOW_TRAILER, 0.95, side.name, f"trailer names {direct[:12]}")
                    break
            else:
                if m.provenance:
                    outside[m.id] = m.provenance
        naming = self._named_by(side, [m.id for m in metas if m.id not in out])
        for commit_id, namers in naming.items():
            c = namers[0]
            out[commit_id] = Match(c, HOW_TRAILER, 0.95, side.name, f"{c[:12]} says it was picked from this commit")
        pending = {k: v for k, v in outside.items() if k not in out}
        if pending:
            out.update(self._chain_through(pending, side))
        return out

    def _lookup_prefix(self, side: _Side, prefix: str) -> str | None:
        if side.slot is not None:
            ids = self.cache.slot_ids_with_prefix(side.slot, prefix)
        else:
            ids = [i for i in side.metas if i.startswith(prefix)]
        return ids[0] if len(ids) == 1 else None

    def _named_by(self, side: _Side, ids: list[str]) -> dict[str, list[str]]:
        """Reverse provenance: for each of IDS, the side commits whose trailers name it."""
        if not ids:
            return {}
        if side.slot is not None:
            found = self.cache.naming(ids, side.slot)
        else:
            by_prefix: dict[str, list[tuple[str, str]]] = {}
            for c, meta in side.metas.items():
                for n in meta.provenance:
                    by_prefix.setdefault(n[:7], []).append((n, c))
            found = {}
            for i in ids:
                namers = sorted({c for n, c in by_prefix.get(i[:7], []) if c != i and i.startswith(n)})
                if namers:
                    found[i] = namers
        return {k: sorted(v) for k, v in found.items()}

    def _chain_through(self, pending: dict[str, list[str]], side: _Side) -> dict[str, Match]:
        """Follow trailers to commits outside SIDE (old queue versions) and match those by patch-id.

        Everything is batched: one metadata scan and one patch-id pass for all of PENDING.
        """
        resolved: dict[str, list[str]] = {}
        for commit_id, names in pending.items():
            found = [self._resolve_named(n) for n in names]
            if None in found:
                self._provisional = True  # a later fetch may bring the named commit
            targets = [t for t in found if t and t != commit_id]
            if targets:
                resolved[commit_id] = targets
        if not resolved:
            return {}
        targets = sorted({t for ts in resolved.values() for t in ts})
        metas = self.cache.metas(targets)
        missing = [t for t in self.cache.missing_metas(targets) if t not in metas]
        metas.update(self._scan(missing, stage=None))
        keys = {m.paths_key for m in metas.values() if m.paths_key}
        candidates: dict[str, list[str]] = {k: list(side.by_paths.get(k, [])) for k in keys}
        if side.slot is not None:
            unknown = [k for k in keys if k not in side.by_paths]
            for key, ids in self.cache.in_slot(side.slot, "paths_key", unknown).items():
                candidates[key] = ids
        pids = self._patch_ids(
            [t for t in targets if t in metas and candidates.get(metas[t].paths_key or "")]
            + [c for ids in candidates.values() for c in ids]
        )
        out: dict[str, Match] = {}
        for commit_id, ts in resolved.items():
            for t in ts:
                meta = metas.get(t)
                pid = pids.get(t)
                if meta is None or not pid or not meta.paths_key:
                    continue
                twins = sorted(c for c in candidates.get(meta.paths_key, []) if c != t and pids.get(c) == pid)
                if twins:
                    c = twins[0]
                    out[commit_id] = Match(c, HOW_TRAILER, 0.9, side.name,
                                           f"trailer names {t[:12]}, which has the same patch-id as {c[:12]}",
                                           chain=[t, c])
                    break
        return out

    def _resolve_named(self, named: str) -> str | None:
        """The full id of a commit a trailer names, or None when it is not in the repository."""
        git = self.repo.git
        try:
            if len(named) >= 40:
                obj = git.get(named)
            else:
                obj = git.revparse_single(named)
            if obj is None:
                return None
            return str(obj.peel(pygit2.Commit).id)
        except (KeyError, ValueError, TypeError, pygit2.GitError, pygit2.InvalidSpecError):
            return None

    def _score_morphs(self, metas: list[CommitMeta], pairs: dict[str, dict[str, set[str]]], side: _Side) -> dict[str, Match | None]:
        """Score candidate twins by the similarity of touched files and changed lines (cached per pair)."""
        by_id = {m.id: m for m in metas}
        wanted = [(a, b) for a, cands in pairs.items() for b in cands
                  if b in side.metas and a not in self.unreadable and b not in self.unreadable]
        scores = self.cache.similarities(wanted)
        todo = [p for p in wanted if p not in scores]
        # Pairs only author and date bring together are judged on the lines that carry content,
        # which the cache does not keep: their patches are read on every run (they are few: an
        # exact pick is settled by its patch-id, a reworked one mostly by its subject).
        dated = [p for p in wanted if HOW_AUTHOR_DATE in pairs[p[0]][p[1]] and HOW_SUBJECT not in pairs[p[0]][p[1]]]
        content: dict[tuple[str, str], float] = {}
        if todo or dated:
            involved = sorted({i for p in todo + dated for i in p})
            patches, bad = commit_patches(self.repo.git_dir, involved)
            self.stats["patches_read"] += len(involved)
            self.unreadable.update(bad)
            self.cache.store_unreadable(bad)
            lines = {i: changed_lines(p) for i, p in patches.items()}
            computed: dict[tuple[str, str], tuple[float, float]] = {}
            for a, b in todo:
                if a in lines and b in lines:
                    files = set_similarity(by_id[a].paths, side.metas[b].paths)
                    computed[(a, b)] = (files, multiset_similarity(lines[a], lines[b]))
            self.cache.store_similarities(computed)
            scores.update(computed)
            for a, b in dated:
                if a in lines and b in lines:
                    content[(a, b)] = multiset_similarity(content_lines(lines[a]), content_lines(lines[b]))
        out: dict[str, Match | None] = {}
        for commit_id, candidates in pairs.items():
            best: Match | None = None
            meta = by_id[commit_id]
            for cand, reasons in candidates.items():
                other = side.metas.get(cand)
                score = scores.get((commit_id, cand))
                if other is None or score is None:
                    continue
                match = _judge(meta, other, reasons, score[0], score[1], content.get((commit_id, cand), 0.0),
                               side.name)
                if match is not None and (best is None or match.score > best.score):
                    best = match
            out[commit_id] = best
        return out

    def _report_unreadable(self) -> None:
        items = sorted(self.unreadable.items())
        for commit_id, reason in items[:MAX_WARNINGS_LISTED]:
            self.warnings.append(f"commit {commit_id} could not be read and was skipped: {reason}")
        if len(items) > MAX_WARNINGS_LISTED:
            self.warnings.append(f"... and {len(items) - MAX_WARNINGS_LISTED} more unreadable commits")


def _weaker_link(first: Match, second: Match) -> Match:
    """The link that decides how a chain was found: exact only when every link is the same patch."""
    morphed = [m for m in (first, second) if m.how != HOW_PATCH_ID]
    return min(morphed, key=lambda m: m.score) if morphed else first


def _judge(meta: CommitMeta, other: CommitMeta, reasons: set[str], files: float, alike: float, content: float,
           where: str) -> Match | None:
    """Decide whether the evidence for a morphed twin holds, and with what score.

    ALIKE is the similarity of all changed lines, CONTENT that of the lines carrying content
    (computed only for pairs whose evidence is author and date without the subject).
    """
    same_author = meta.author_email.casefold() == other.author_email.casefold()
    percent = f"{alike:.0%} of changed lines alike"
    if HOW_SUBJECT in reasons and (files > 0 or same_author):
        extra = ", same author and date" if HOW_AUTHOR_DATE in reasons else ""
        return Match(other.id, HOW_SUBJECT, 0.6 + 0.4 * alike, where, f"same subject{extra}, {percent}")
    if HOW_AUTHOR_DATE in reasons and files > 0 and content >= AUTHOR_DATE_THRESHOLD:
        return Match(other.id, HOW_AUTHOR_DATE, 0.55 + 0.4 * content, where,
                     f"same author and date, {content:.0%} of changed lines alike")
    if HOW_SIMILAR in reasons and alike >= SIMILAR_THRESHOLD:
        return Match(other.id, HOW_SIMILAR, 0.9 * alike, where, f"same author and files, {percent}")
    return None


class _EarlyPatchIds:
    """Patch-ids started during a cold upstream walk, for commits sure to need one.

    _load_patch_ids asks for the patch-id of every commit whose set of paths also occurs on
    another side: upstream commits sharing paths with a downstream or queue commit, and
    downstream or queue commits sharing paths with upstream or each other. The cold walks
    know the downstream and queue paths before upstream is read through, so these start
    beside the walk. Always a subset of what is asked for later, which then finds them cached.
    """

    def __init__(self, git_dir: Path, listings: list[Future[tuple[list[str], MetaRows | None]]]) -> None:
        self.listings = listings
        self.runner = BackgroundPatchIds(git_dir)
        self.probe_keys: set[str] | None = None
        # Downstream and queue commits by paths key, until some upstream commit shares the key.
        self.probes: dict[str, list[str]] = {}
        self.waiting: list[tuple[str, str]] = []

    def _sides(self) -> list[list[tuple[str, str]]]:
        """(id, paths key) of what the downstream and queue walks read (a failed walk read none)."""
        out = []
        for f in self.listings:
            rows = f.result()[1] if f.exception() is None else None
            if rows is not None:
                out.append([(str(r[0]), str(r[6])) for r in rows.commits if r[6]])
        return out

    def _ready(self, wait: bool) -> bool:
        if self.probe_keys is None and (wait or all(f.done() for f in self.listings)):
            self.probe_keys = set()
            for side in self._sides():
                for commit_id, key in side:
                    self.probe_keys.add(key)
                    self.probes.setdefault(key, []).append(commit_id)
            self._consider(self.waiting)
            self.waiting = []
        return self.probe_keys is not None

    def _consider(self, upstream: list[tuple[str, str]]) -> None:
        keys = self.probe_keys or set()
        wanted = [i for i, key in upstream if key in keys]
        # Probes first met here join too: their upstream twins by paths are being computed.
        for _, key in upstream:
            if key in self.probes:
                wanted.extend(self.probes.pop(key))
        self.runner.add(wanted)

    def offer(self, commits: list[tuple[str, str | None]]) -> None:
        """One batch of upstream (id, paths key), as the walk reads it."""
        batch = [(i, key) for i, key in commits if key]
        if self._ready(wait=False):
            self._consider(batch)
        else:
            self.waiting.extend(batch)

    def finish(self) -> None:
        """Upstream is read: add the downstream and queue commits sharing paths with each other."""
        self._ready(wait=True)
        sides = self._sides()
        for n, side in enumerate(sides):
            others = {key for m, other in enumerate(sides) if m != n for _, key in other}
            self.runner.add(i for i, key in side if key in others)


def _list_reading(git_dir: Path, down_id: str, up_id: str, read: bool) -> tuple[list[str], MetaRows | None]:
    """DOWN_ID's non-merge commits missing from UP_ID, and with READ their metadata as rows (one walk).

    Runs on a worker thread, so it leaves the cache alone. A walk that fails (an unreadable
    object) falls back to a plain listing; the commits are then scanned one chunk at a time.
    """
    if read:
        rows = MetaRows()
        ids, _ = stream_metadata(git_dir, [down_id], [up_id], lambda metas: rows.add(metas.values()))
        if ids is not None:
            return ids, rows
    return list_commits(git_dir, [down_id], [up_id]), None


def _answer_key(down_id: str, up_id: str, queue_id: str | None) -> str:
    return f"v{MATCHER_VERSION} {down_id} {up_id} {queue_id or '-'}"


def queue_shape_warnings(repo: Repo, queue: str, queue_id: str, up_id: str) -> list[str]:
    """Why QUEUE is no series of commits on upstream (UP_ID), if it is not: its "queued" would mislead.

    A profile whose queue branch is an unrelated history, or the downstream branch itself, lists
    every commit there as queued; status still answers, and says so.
    """
    name = queue.removeprefix("refs/heads/").removeprefix("refs/remotes/")
    base = run_git(repo.git_dir, ["merge-base", queue_id, up_id], check=False)
    if base.returncode == 1 and not base.stdout.strip():
        return [f"The queue {name} shares no history with upstream, so any commit in its history may show as "
                "queued. Check which branch the profile names as its queue."]
    merges = run_git(repo.git_dir, ["rev-list", "--merges", "--count", f"{up_id}..{queue_id}"], check=False)
    count = int(merges.stdout.strip() or 0) if merges.returncode == 0 else 0
    if count:
        return [f"The queue {name} holds {count} merge commit{'s' if count != 1 else ''} on top of upstream: a "
                "queue is a linear series of patches, so what it lists as queued may be another branch's "
                "history. Check which branch the profile names as its queue, or rebase the queue."]
    return []


def _stored(result: Divergence) -> str:
    """A compact JSON text of RESULT's entries (for the answer cache)."""
    rows = []
    for e in result.entries:
        m = e.meta
        match = None
        if e.match is not None:
            match = [e.match.id, e.match.how, e.match.score, e.match.where, e.match.evidence, e.match.chain]
        rows.append([m.id, m.subject, m.author_name, m.author_email, m.author_time, m.paths, m.provenance,
                     e.state, match, e.patch_id, e.unreadable])
    # ASCII: a file name that is not UTF-8 is held as surrogate escapes, which sqlite's text cannot hold.
    # Warnings that hold as long as the tips do (the queue's shape) come back with the answer.
    return json.dumps({"entries": rows, "queue_ids": result.queue_ids, "warnings": result.lasting_warnings},
                      separators=(",", ":"))


def _divergence_from_stored(text: str, down_id: str, up_id: str, queue_id: str | None) -> Divergence:
    data = json.loads(text)
    entries = []
    for (cid, subject, name, email, when, paths, provenance, state, match, patch_id, unreadable) in data["entries"]:
        meta = CommitMeta(cid, subject, name, email, int(when), list(paths), list(provenance))
        found = Match(match[0], match[1], float(match[2]), match[3], match[4], list(match[5])) if match else None
        entries.append(Entry(meta, state, found, patch_id, bool(unreadable)))
    return Divergence(down_id, up_id, queue_id, entries, list(data["queue_ids"]), list(data.get("warnings", [])))


def _unreadable_meta(commit_id: str) -> CommitMeta:
    return CommitMeta(commit_id, "", "", "", 0, [])


def compute_divergence(repo: Repo, downstream: str, upstream: str, queue: str | None = None,
                       progress: StageProgress | None = None) -> Divergence:
    """Compute the divergence of DOWNSTREAM from UPSTREAM (and QUEUE) in REPO."""
    computer = DivergenceComputer(repo, progress)
    try:
        return computer.compute(downstream, upstream, queue)
    finally:
        computer.close()
