"""Divergence: every downstream-only commit with its state (remaining, queued or landed).

Upstream's twin of a downstream patch usually sits inside downstream's own history (downstream
merges upstream), so the search covers ALL of upstream's non-merge history, not only the
symmetric difference `git cherry` looks at. The cheap pass (touched paths, subjects, authors) runs
over everything; patch-ids, the expensive part, are computed only where paths already agree,
since equal patch-ids imply equal sets of touched paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .cache import IdentityCache
from .history import CommitMeta, commit_patches, compute_patch_ids, list_commits, scan_metadata
from .identity import changed_lines, multiset_similarity, set_similarity
from .repo import Repo

REMAINING, QUEUED, LANDED = "remaining", "queued", "landed"
UPSTREAM, QUEUE = "upstream", "queue"
HOW_PATCH_ID, HOW_TRAILER, HOW_SUBJECT, HOW_AUTHOR_DATE, HOW_SIMILAR = (
    "patch-id", "trailer", "subject", "author-date", "similar",
)
SIMILAR_THRESHOLD = 0.7
MAX_CANDIDATES = 24
MAX_WARNINGS_LISTED = 20

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

    def __init__(self, name: str, metas: dict[str, CommitMeta]) -> None:
        self.name = name
        self.metas = metas
        self.patch_ids: dict[str, str | None] = {}
        self.by_paths: dict[str, list[str]] = {}
        self.by_subject: dict[str, list[str]] = {}
        self.by_author: dict[str, list[str]] = {}
        self.by_patch_id: dict[str, list[str]] = {}

    def index(self, metas: Iterable[CommitMeta]) -> None:
        """Index METAS by paths, subject and author keys."""
        for m in metas:
            if m.paths_key:
                self.by_paths.setdefault(m.paths_key, []).append(m.id)
            if m.subject_key:
                self.by_subject.setdefault(m.subject_key, []).append(m.id)
            self.by_author.setdefault(m.author_key, []).append(m.id)

    def index_patch_ids(self) -> None:
        """Index the known patch-ids."""
        self.by_patch_id = {}
        for commit_id, pid in self.patch_ids.items():
            if pid:
                self.by_patch_id.setdefault(pid, []).append(commit_id)


class DivergenceComputer:
    """Computes a Divergence for explicit revisions, reusing the persistent identity cache."""

    def __init__(self, repo: Repo, progress: StageProgress | None = None) -> None:
        self.repo = repo
        self.progress = progress or (lambda stage, done, total: None)
        self.cache = IdentityCache(repo.uq_dir())
        self.warnings: list[str] = list(self.cache.warnings)
        self.unreadable: dict[str, str] = {}

    def close(self) -> None:
        """Close the cache."""
        self.cache.close()

    # -- entry point ------------------------------------------------------------------
    def compute(self, downstream: str, upstream: str, queue: str | None = None) -> Divergence:
        """Every downstream-only commit of DOWNSTREAM against UPSTREAM (and QUEUE), with states."""
        repo = self.repo
        repo.require_commits()
        down_id = repo.resolve(downstream, "downstream revision")
        up_id = repo.resolve(upstream, "upstream revision")
        queue_id = repo.resolve(queue, "queue revision") if queue else None
        if repo.is_shallow:
            self.warnings.append(
                "This is a shallow clone: history beyond the shallow boundary is not seen, so some landed "
                "commits may show as remaining. Run `git fetch --unshallow` for a complete answer."
            )
        slot = self._update_upstream_slot(upstream, up_id)
        down_ids = self._downstream_only(down_id, up_id)
        queue_ids = list_commits(repo.git_dir, [queue_id], [up_id]) if queue_id else []
        self._ensure_metas(slot, down_ids + queue_ids)

        metas = self.cache.metas(down_ids + queue_ids)
        entries = [Entry(metas[i]) if i in metas else Entry(_unreadable_meta(i), unreadable=True) for i in down_ids]
        for e in entries:
            if e.unreadable:
                e.meta.subject = "(could not be read)"
        queue_side = _Side(QUEUE, {i: metas[i] for i in queue_ids if i in metas})
        queue_side.index(queue_side.metas.values())
        upstream_side = self._upstream_side(slot, [e.meta for e in entries] + list(queue_side.metas.values()))

        self._load_patch_ids(entries, upstream_side, queue_side)
        self.progress("Matching morphed patches", 0, len(entries))
        queue_landed = self._match_queue_upstream(queue_side, upstream_side)
        self._match_entries(entries, upstream_side, queue_side, queue_landed)
        self._report_unreadable()
        return Divergence(down_id, up_id, queue_id, entries, queue_ids, self.warnings)

    # -- sets and metadata ----------------------------------------------------------
    def _update_upstream_slot(self, upstream: str, up_id: str) -> str:
        """Keep the cached set of upstream's non-merge commits current, incrementally."""
        ref = self.repo.full_ref_name(upstream) if self.repo.ref_target(self.repo.full_ref_name(upstream)) else None
        slot = f"set:{ref or up_id}"
        old_tip = self.cache.slot_tip(slot)
        if old_tip == up_id:
            return slot
        self.progress("Listing upstream history", 0, 0)
        if old_tip and self.repo.git.get(old_tip) is not None and self.repo.is_ancestor(old_tip, up_id):
            new = list_commits(self.repo.git_dir, [up_id], [old_tip])
            self.cache.set_slot(slot, up_id, new, replace=False)
        else:
            self.cache.set_slot(slot, up_id, list_commits(self.repo.git_dir, [up_id]), replace=True)
        return slot

    def _downstream_only(self, down_id: str, up_id: str) -> list[str]:
        key = f"{down_id}..{up_id}"
        cached = self.cache.range_ids(key)
        if cached is not None:
            return cached
        self.progress("Listing downstream-only commits", 0, 0)
        ids = list_commits(self.repo.git_dir, [down_id], [up_id])
        self.cache.store_range(key, ids)
        return ids

    def _ensure_metas(self, slot: str, extra: list[str]) -> None:
        """Scan the commits whose metadata is not cached yet (upstream set plus EXTRA)."""
        missing = self.cache.missing_metas(extra)
        slot_done = self.cache.slot_complete(slot)
        if not slot_done:
            missing = list(dict.fromkeys(self.cache.slot_missing_metas(slot) + missing))
        if missing:
            self.progress("Reading commits", 0, len(missing))
            result = scan_metadata(self.repo.git_dir, missing, lambda d, t: self.progress("Reading commits", d, t))
            self.cache.store_metas(result.metas.values())
            self.cache.store_unreadable(result.unreadable)
        if not slot_done:
            self.cache.mark_slot_complete(slot)
        self.unreadable.update(self.cache.unreadable(extra))
        self.unreadable.update(self.cache.unreadable_in_slot(slot))

    def _upstream_side(self, slot: str, probes: list[CommitMeta]) -> _Side:
        """The upstream commits that could be twins of PROBES, by paths, subject or author."""
        cache = self.cache
        by_paths = cache.in_slot(slot, "paths_key", [m.paths_key for m in probes if m.paths_key])
        by_subject = cache.in_slot(slot, "subject_key", [m.subject_key for m in probes if m.subject_key])
        by_author = cache.in_slot(slot, "author_key", [m.author_key for m in probes])
        trailer_ids: set[str] = set()
        for m in probes:
            for named in m.provenance:
                trailer_ids.update(cache.slot_ids_with_prefix(slot, named))
        wanted = {i for group in (by_paths, by_subject, by_author) for ids in group.values() for i in ids} | trailer_ids
        side = _Side(UPSTREAM, cache.metas(sorted(wanted)))
        side.by_paths, side.by_subject, side.by_author = by_paths, by_subject, by_author
        side.slot = slot  # type: ignore[attr-defined]
        return side

    def _load_patch_ids(self, entries: list[Entry], up: _Side, queue: _Side) -> None:
        """Patch-ids of every commit whose paths agree with some commit on the other side."""
        need: set[str] = set()
        for e in entries:
            key = e.meta.paths_key
            if key and (key in up.by_paths or key in queue.by_paths):
                need.add(e.meta.id)
                need.update(up.by_paths.get(key, []))
                need.update(queue.by_paths.get(key, []))
        for m in queue.metas.values():
            if m.paths_key and m.paths_key in up.by_paths:
                need.add(m.id)
                need.update(up.by_paths[m.paths_key])
        need -= set(self.unreadable)
        known = self.cache.patch_ids(sorted(need))
        missing = sorted(need - set(known))
        if missing:
            self.progress("Computing patch-ids", 0, len(missing))
            result = compute_patch_ids(self.repo.git_dir, missing, lambda d, t: self.progress("Computing patch-ids", d, t))
            self.cache.store_patch_ids(result.patch_ids)
            self.cache.store_unreadable(result.unreadable)
            self.unreadable.update(result.unreadable)
            known.update(result.patch_ids)
        for e in entries:
            e.patch_id = known.get(e.meta.id)
        up.patch_ids = {i: known.get(i) for i in up.metas}
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
                    twin.id, m_q.how, min(m_q.score, twin.score), UPSTREAM,
                    f"{m_q.evidence} as queue commit {m_q.id[:12]}, which landed upstream ({twin.evidence})",
                    chain=[m_q.id, twin.id],
                )
            elif m_q is not None:
                e.state, e.match = QUEUED, m_q

    def _best_matches(self, metas: list[CommitMeta], pids: dict[str, str | None], side: _Side) -> dict[str, Match | None]:
        """For each of METAS, its best twin on SIDE, or None."""
        found: dict[str, Match | None] = {}
        morph_pairs: dict[str, dict[str, set[str]]] = {}
        for m in metas:
            if m.id in side.metas:
                found[m.id] = Match(m.id, HOW_PATCH_ID, 1.0, side.name, f"the same commit is in the {side.name}")
                continue
            pid = pids.get(m.id)
            twins = side.by_patch_id.get(pid, []) if pid else []
            if twins:
                found[m.id] = Match(twins[0], HOW_PATCH_ID, 1.0, side.name, "same patch-id")
                continue
            trailer = self._trailer_match(m, side)
            if trailer is not None:
                found[m.id] = trailer
                continue
            reasons: dict[str, set[str]] = {}
            if m.subject_key:
                for c in side.by_subject.get(m.subject_key, []):
                    reasons.setdefault(c, set()).add(HOW_SUBJECT)
            for c in side.by_author.get(m.author_key, []):
                reasons.setdefault(c, set()).add(HOW_AUTHOR_DATE)
            if m.paths_key:
                email = m.author_email.casefold()
                for c in side.by_paths.get(m.paths_key, []):
                    other = side.metas.get(c)
                    if other is not None and other.author_email.casefold() == email:
                        reasons.setdefault(c, set()).add(HOW_SIMILAR)
            reasons.pop(m.id, None)
            if reasons:
                morph_pairs[m.id] = dict(list(reasons.items())[:MAX_CANDIDATES])
            else:
                found[m.id] = None
        if morph_pairs:
            found.update(self._score_morphs(metas, morph_pairs, side))
        return found

    def _trailer_match(self, m: CommitMeta, side: _Side) -> Match | None:
        """A twin named by a provenance trailer, directly or through the commit it names."""
        for named in m.provenance:
            direct = self._lookup_prefix(side, named)
            if direct:
                return Match(direct, HOW_TRAILER, 0.95, side.name, f"trailer names {direct[:12]}")
            via = self._chain_through(named, side)
            if via is not None:
                return via
        return None

    def _lookup_prefix(self, side: _Side, prefix: str) -> str | None:
        if side.name == UPSTREAM:
            ids = self.cache.slot_ids_with_prefix(side.slot, prefix)  # type: ignore[attr-defined]
        else:
            ids = [i for i in side.metas if i.startswith(prefix)]
        return ids[0] if len(ids) == 1 else None

    def _chain_through(self, named: str, side: _Side) -> Match | None:
        """Follow a trailer to a commit outside SIDE (an old queue version) and match that one."""
        try:
            obj = self.repo.git.get(named) if len(named) >= 40 else self.repo.git.revparse_single(named)
        except (KeyError, ValueError, Exception):
            return None
        if obj is None:
            return None
        commit_id = str(obj.id)
        metas = self.cache.metas([commit_id])
        if commit_id not in metas:
            result = scan_metadata(self.repo.git_dir, [commit_id])
            self.cache.store_metas(result.metas.values())
            metas = result.metas
        meta = metas.get(commit_id)
        if meta is None or not meta.paths_key:
            return None
        candidates = side.by_paths.get(meta.paths_key)
        if candidates is None and side.name == UPSTREAM:
            candidates = self.cache.in_slot(side.slot, "paths_key", [meta.paths_key]).get(meta.paths_key, [])  # type: ignore[attr-defined]
        if not candidates:
            return None
        pids = self.cache.patch_ids([commit_id, *candidates])
        missing = [i for i in [commit_id, *candidates] if i not in pids]
        if missing:
            computed = compute_patch_ids(self.repo.git_dir, missing).patch_ids
            self.cache.store_patch_ids(computed)
            pids.update(computed)
        pid = pids.get(commit_id)
        for c in candidates:
            if pid and pids.get(c) == pid and c != commit_id:
                return Match(c, HOW_TRAILER, 0.9, side.name,
                             f"trailer names {commit_id[:12]}, which has the same patch-id as {c[:12]}",
                             chain=[commit_id, c])
        return None

    def _score_morphs(self, metas: list[CommitMeta], pairs: dict[str, dict[str, set[str]]], side: _Side) -> dict[str, Match | None]:
        """Score candidate twins by the similarity of touched files and changed lines."""
        by_id = {m.id: m for m in metas}
        involved = set(pairs) | {c for cands in pairs.values() for c in cands}
        patches, bad = commit_patches(self.repo.git_dir, sorted(involved))
        self.unreadable.update(bad)
        lines = {i: changed_lines(p) for i, p in patches.items()}
        out: dict[str, Match | None] = {}
        for commit_id, candidates in pairs.items():
            best: Match | None = None
            meta = by_id[commit_id]
            for cand, reasons in candidates.items():
                other = side.metas.get(cand)
                if other is None or commit_id not in lines or cand not in lines:
                    continue
                files = set_similarity(meta.paths, other.paths)
                alike = multiset_similarity(lines[commit_id], lines[cand])
                match = _judge(meta, other, reasons, files, alike, side.name)
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


def _judge(meta: CommitMeta, other: CommitMeta, reasons: set[str], files: float, alike: float, where: str) -> Match | None:
    """Decide whether the evidence for a morphed twin holds, and with what score."""
    same_author = meta.author_email.casefold() == other.author_email.casefold()
    percent = f"{alike:.0%} of changed lines alike"
    if HOW_SUBJECT in reasons and (files > 0 or same_author):
        extra = ", same author and date" if HOW_AUTHOR_DATE in reasons else ""
        return Match(other.id, HOW_SUBJECT, 0.6 + 0.4 * alike, where, f"same subject{extra}, {percent}")
    if HOW_AUTHOR_DATE in reasons and files > 0:
        return Match(other.id, HOW_AUTHOR_DATE, 0.55 + 0.4 * alike, where, f"same author and date, {percent}")
    if HOW_SIMILAR in reasons and alike >= SIMILAR_THRESHOLD:
        return Match(other.id, HOW_SIMILAR, 0.9 * alike, where, f"same author and files, {percent}")
    return None


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
