"""In-memory picking onto the queue branch: merge_trees + create_commit, no work tree involved."""

from __future__ import annotations

import codecs
import posixpath
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pygit2

from .commands import Plan
from .errors import ConflictError, MissingObjectError, QueueShapeError, UqError
from .identity import author_key, provenance_ids, subject_key
from .messages import pick_message
from .names import PROVENANCE_KEY, SIGNOFF_KEY
from .profile import refuse_symbolic_queue_branch
from .refs import RefChange
from .repo import Repo, decode_bytes, subject_of
from .signature import maintainer_signature

PROVENANCE_STYLES = ("cherry-pick", "trailer", "none")


@dataclass
class QueueSeries:
    """The queue branch as a linear series of commits on a base."""

    ref: str
    tip: str
    base: str
    commits: list[str]  # oldest first
    upstream_tip: str = ""  # the commit the profile's upstream ref names now


def _missing_branch(branch_ref: str, upstream: str) -> UqError:
    """The error for a profile whose queue branch is gone (`uq profile add` would refuse: it exists)."""
    short = branch_ref.removeprefix("refs/heads/")
    return UqError(
        f"The queue branch {short} does not exist. Create it at upstream with `git branch {short} {upstream}`.",
        title="Queue branch missing",
        hint="Or remove the profile and add it again (uq profile remove NAME, then uq profile add).",
    )


def read_series(repo: Repo, branch_ref: str, upstream: str) -> QueueSeries:
    """The commits of the queue (upstream..queue, oldest first); refuse merges in it."""
    refuse_symbolic_queue_branch(repo, branch_ref, "Point the profile at {real} itself.",
                                 "(uq profile remove, then uq profile add --branch {real}.)")
    tip = repo.ref_target(branch_ref)
    if tip is None:
        raise _missing_branch(branch_ref, upstream)
    up_id = repo.resolve(upstream, "upstream revision")
    try:
        base_oid = repo.git.merge_base(pygit2.Oid(hex=tip), pygit2.Oid(hex=up_id))
    except (KeyError, pygit2.GitError) as exc:
        names = " and ".join(name.removeprefix("refs/heads/").removeprefix("refs/remotes/")
                             for name in (branch_ref, upstream))
        raise missing_object(f"Reading the history of {names}", exc) from exc
    if base_oid is None:
        short, up = (name.removeprefix("refs/heads/").removeprefix("refs/remotes/") for name in (branch_ref, upstream))
        raise QueueShapeError(
            f"The queue branch {short} shares no history with upstream {up}: a queue is a series of "
            f"commits on top of upstream. Check that the profile names the right refs, or start the queue "
            f"again at upstream (git branch -f {short} {up}; its commits stay in git reflog {short}).")
    base = str(base_oid)
    commits: list[str] = []
    current = tip
    while current != base:
        commit = repo.commit(current)
        if len(commit.parent_ids) > 1:
            raise QueueShapeError(
                f"The queue {branch_ref.removeprefix('refs/heads/')} holds merge commit {current[:12]}; picking needs "
                "a linear series. "
                "Rebase the queue onto upstream first.",
            )
        if not commit.parent_ids:
            raise QueueShapeError(f"The queue {branch_ref} reaches root commit {current[:12]} without "
                                  f"meeting upstream {upstream}. Check that the profile names the right refs.")
        commits.append(current)
        current = str(commit.parent_ids[0])
    commits.reverse()
    return QueueSeries(branch_ref, tip, base, commits, up_id)


@dataclass
class CommitText:
    """What a new commit says besides its tree: message bytes, their encoding, author, committer."""

    message: bytes
    encoding: str | None
    author: pygit2.Signature
    committer: pygit2.Signature


def compose(commit: pygit2.Commit, committer: pygit2.Signature, signoff: bool, provenance: str) -> CommitText:
    """The text of COMMIT picked (or replayed, with no sign-off and provenance 'none') by COMMITTER.

    The message keeps its encoding and its bytes, the lines git would add appended. Only when
    the committer's name cannot be written in that encoding is the whole commit turned into
    UTF-8 (and its encoding header dropped), so that nothing is stored in the wrong encoding.
    """
    encoding = commit.message_encoding
    name, email = committer.name, committer.email
    try:
        if name.isascii() and email.isascii():
            # ASCII reads the same in every encoding git supports, even one Python does not know.
            codec, who = "ascii", pygit2.Signature(name, email, committer.time, committer.offset)
        else:
            codec = encoding or "utf-8"
            who = pygit2.Signature(name, email, committer.time, committer.offset, encoding)
        line = name.encode(codec) + b" <" + email.encode(codec) + b">" if signoff else None
        message = pick_message(commit.raw_message, str(commit.id), line, provenance)
        return CommitText(message, encoding, commit.author, who)
    except (UnicodeEncodeError, LookupError):
        pass
    # Transcode: the declared encoding cannot hold the committer (or Python does not know it).
    try:
        codecs.lookup(encoding or "utf-8")
        text = commit.raw_message.decode(encoding or "utf-8")
    except (UnicodeDecodeError, LookupError) as exc:
        raise UqError(
            f"Commit {str(commit.id)[:12]} declares encoding '{encoding}', which cannot hold your name "
            f"'{name}' and cannot be converted to UTF-8 either. Pick it with git.",
            title="Cannot encode the sign-off", hint="Or pick it with --no-signoff.",
        ) from exc
    author = commit.author
    utf8_author = pygit2.Signature(decode_bytes(author.raw_name, encoding), decode_bytes(author.raw_email, encoding),
                                   author.time, author.offset)
    line = f"{name} <{email}>".encode() if signoff else None
    message = pick_message(text.encode("utf-8"), str(commit.id), line, provenance)
    return CommitText(message, None, utf8_author, pygit2.Signature(name, email, committer.time, committer.offset))


_OBJECT_ID = re.compile(r"\b[0-9a-f]{40}(?:[0-9a-f]{24})?\b")


def missing_object(doing: str, exc: Exception, object_id: str | None = None) -> MissingObjectError:
    """The error for DOING (a phrase naming commits that exist) failing on an object git cannot read (EXC)."""
    found = _OBJECT_ID.search(str(exc))
    object_id = object_id or (found.group(0) if found else None)
    # The full id: an abbreviation names only objects that are there, so git could not fetch by it.
    what = f"object {object_id}" if object_id else f"an object it cannot read ({exc})"
    fetch = f" (in a partial clone, `git cat-file -e {object_id}` makes git fetch it)" if object_id else ""
    return MissingObjectError(
        f"{doing} needs {what}, which is not in the repository: a partial clone, or a damaged one. "
        f"Nothing was changed. Fetch the missing objects{fetch} and try again, or run git fsck to see what "
        "is damaged.",
        details=str(exc),
    )


def _named(commit: pygit2.Commit) -> str:
    """COMMIT as messages name it: short id and subject."""
    return f"{str(commit.id)[:12]} \"{_subject(commit)}\""


class Replayer:
    """Applies commits one after another onto a tip, in memory, refusing on the first conflict.

    The commits it makes are saved only if the whole command succeeds: messages never cite their
    ids, which the user could not look up, but name them by the commits they are made from.
    """

    def __init__(self, repo: Repo, tip: str, tip_words: str, committer: pygit2.Signature,
                 way_out: str = "Pick it at another position") -> None:
        """TIP_WORDS: how messages name TIP; WAY_OUT: what the user can do about a conflict (ends its message)."""
        self.repo = repo
        self.tip = tip
        self.tip_words = tip_words
        self.committer = committer
        self.way_out = way_out

    def pick(self, commit: pygit2.Commit, text: CommitText) -> str:
        """Apply COMMIT, named by the user, as a new commit saying TEXT; return the new tip."""
        return self._apply(commit, text, f"Picking {_named(commit)}", f"the picked {_named(commit)}")

    def replay(self, commit: pygit2.Commit, number: int) -> str:
        """Apply queue commit #NUMBER (its place in the queue as it stands) unchanged; return the new tip."""
        words = f"queue commit {_named(commit)}"
        return self._apply(commit, compose(commit, self.committer, False, "none"),
                           f"Replaying {words} (#{number} of the queue)", f"the replayed {words}")

    def _apply(self, commit: pygit2.Commit, text: CommitText, doing: str, done: str) -> str:
        """Apply COMMIT's change onto the tip as a new commit saying TEXT; DOING names the step, DONE its result."""
        git = self.repo.git
        commit_id = str(commit.id)
        onto = self.repo.commit(self.tip)
        try:
            # A root commit's change is everything it adds: diff it against the empty tree.
            ancestor = (commit.parents[0].tree if commit.parent_ids
                        else git[git.TreeBuilder().write()].peel(pygit2.Tree))
            index = git.merge_trees(ancestor, onto.tree, commit.tree)
            if index.conflicts is not None:
                paths = sorted({e.path for entry in index.conflicts for e in entry if e is not None})
                raise ConflictError(
                    f"{doing} on top of {self.tip_words} conflicts in {', '.join(paths)}. Nothing was changed. "
                    f"{self.way_out}, or resolve it by hand on a branch.",
                    commit=commit_id, paths=paths,
                )
            # Checked before the tree is written, so a refusal leaves no stray objects behind.
            self._refuse_displaced_additions(commit, ancestor, onto.tree, doing)
        except (KeyError, pygit2.GitError) as exc:  # NotFoundError is both
            raise missing_object(doing, exc) from exc
        tree = self._write_tree(index, doing)
        originally_empty = commit.tree_id == ancestor.id
        if tree == onto.tree_id and not originally_empty:
            # git cherry-pick refuses this too: an empty commit in a queue is never what was meant.
            raise UqError(
                f"{doing} changes nothing on top of {self.tip_words}: its change is already there. "
                "Nothing was changed.",
                title="Already applied",
            )
        args: list[Any] = [None, text.author, text.committer, text.message, tree, [pygit2.Oid(hex=self.tip)]]
        if text.encoding:
            args.append(text.encoding)
        self.tip = str(git.create_commit(*args))
        self.tip_words = done
        return self.tip

    def _write_tree(self, index: pygit2.Index, doing: str) -> pygit2.Oid:
        """Write the merged INDEX as a tree; an entry whose object is missing is a MissingObjectError."""
        git = self.repo.git
        try:
            return index.write_tree(git)
        except pygit2.GitError as exc:
            # The merge reads only the files both sides changed; writing checks every entry is there.
            missing = [str(e.id) for e in index if e.mode != pygit2.GIT_FILEMODE_COMMIT and e.id not in git]
            if not missing:
                raise
            raise missing_object(doing, exc, missing[0]) from exc

    def _refuse_displaced_additions(self, commit: pygit2.Commit, ancestor: pygit2.Tree, onto: pygit2.Tree,
                                   doing: str) -> None:
        """Raise ConflictError for files COMMIT adds in a directory that ONTO has renamed.

        libgit2's merge_trees has no directory rename detection: it would quietly recreate the
        old directory, where `git cherry-pick` reports "CONFLICT (file location)". A directory
        ONTO removed, or never had (a downstream-only folder), takes the file as git does.
        """
        displaced = displaced_additions(ancestor, onto, commit.tree)
        moves: dict[str, str | None] = {}
        for directory in sorted(set(displaced.values())):
            moves[directory] = renamed_directory(ancestor, onto, directory)
        renamed = {path: (directory, moves[directory]) for path, directory in displaced.items() if moves[directory]}
        if not renamed:
            return
        commit_id = str(commit.id)
        paths = sorted(renamed)
        notes = [f"{path}: added in {directory}/, which upstream renamed to {target}/ ({directory}/ is gone in "
                 f"{self.tip_words}); pick it with git cherry-pick and place it there"
                 for path, (directory, target) in sorted(renamed.items())]
        raise ConflictError(
            f"{doing} on top of {self.tip_words} conflicts in "
            f"{', '.join(paths)}: {'; '.join(notes)}. Nothing was changed.",
            commit=commit_id, paths=paths,
        )


def _tree_has_directory(tree: pygit2.Tree, path: str) -> bool:
    """True when PATH is a directory (a tree entry) in TREE."""
    try:
        return tree[path].type == pygit2.GIT_OBJECT_TREE
    except (KeyError, ValueError):
        return False


def _added_paths(ancestor: pygit2.Tree, tree: pygit2.Tree) -> list[str]:
    """Paths TREE has that ANCESTOR does not (no rename detection: a moved-in file counts as added)."""
    return [d.new_file.path for d in ancestor.diff_to_tree(tree).deltas
            if d.status == pygit2.enums.DeltaStatus.ADDED]


def _nearest_directory(tree: pygit2.Tree, path: str) -> str:
    """The deepest directory above PATH that TREE has ('' for the top)."""
    directory = posixpath.dirname(path)
    while directory and not _tree_has_directory(tree, directory):
        directory = posixpath.dirname(directory)
    return directory


def displaced_additions(ancestor: pygit2.Tree, onto: pygit2.Tree, picked: pygit2.Tree) -> dict[str, str]:
    """Paths PICKED adds under a directory ANCESTOR has but ONTO has not: path -> that directory."""
    displaced: dict[str, str] = {}
    for path in _added_paths(ancestor, picked):
        directory = _nearest_directory(ancestor, path)
        if directory and not _tree_has_directory(onto, directory):
            displaced[path] = directory
    return displaced


def renamed_directory(ancestor: pygit2.Tree, onto: pygit2.Tree, directory: str) -> str | None:
    """Where ONTO moved DIRECTORY's files, by rename detection from ANCESTOR; None when unclear."""
    diff = ancestor.diff_to_tree(onto)
    # Explicit flags: the user's diff.renames setting must not decide what is reported.
    diff.find_similar(flags=pygit2.enums.DiffFind.FIND_RENAMES)
    votes: Counter[str] = Counter()
    prefix = directory + "/"
    for delta in diff.deltas:
        old, new = delta.old_file.path, delta.new_file.path
        if delta.status != pygit2.enums.DeltaStatus.RENAMED or not old.startswith(prefix):
            continue
        rest = old[len(prefix):]
        if new.endswith("/" + rest):  # the file kept its place below the directory: a directory move
            votes[new[:-len(rest) - 1]] += 1
    return votes.most_common(1)[0][0] if votes else None


def _subject(commit: pygit2.Commit) -> str:
    """COMMIT's first line as messages quote it: a long one cut at 72 characters, and said to be cut."""
    line = decode_bytes(commit.raw_message, commit.message_encoding).strip().split("\n", 1)[0]
    return line if len(line) <= 72 else line[:71] + "…"


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
        picks = [repo.commit(repo.resolve(c, "commit to pick")) for c in self.commits]
        # Refuse merges before anything is written, so no stray objects are made for nothing.
        for spec, commit in zip(self.commits, picks):
            if len(commit.parent_ids) > 1:
                raise UqError(f"{spec} ({str(commit.id)[:12]}) is a merge commit; pick the commits it "
                              "merges instead. Nothing was changed.", title="Cannot pick a merge")
        series = read_series(repo, self.branch_ref, self.upstream)
        self._refuse_named_twice(picks)
        upstream_has = repo.reachable_among(series.upstream_tip, [str(c.id) for c in picks])
        for spec, commit in zip(self.commits, picks):
            self._refuse_present(repo, series, spec, str(commit.id), str(commit.id) in upstream_has)
        position = len(series.commits) if self.position is None else self.position
        if not 0 <= position <= len(series.commits):
            raise UqError(f"Position {position} is outside the queue (0 to {len(series.commits)}). "
                          "Nothing was changed.", title="Bad position")
        signoff = self.signoff if self.signoff is not None else config_bool(repo, SIGNOFF_KEY, True)
        style = self.provenance or repo.config_value(PROVENANCE_KEY, "cherry-pick") or "cherry-pick"
        if style not in PROVENANCE_STYLES:
            raise UqError(f"{PROVENANCE_KEY} must be one of {', '.join(PROVENANCE_STYLES)}, not '{style}'.",
                          title="Bad configuration")
        committer = maintainer_signature(repo, signoff=signoff)
        replayer = Replayer(repo, *start_of(repo, series, position), committer)
        picked = []
        for commit in picks:
            try:
                picked.append(replayer.pick(commit, compose(commit, committer, signoff, style)))
            except ConflictError as exc:
                raise _with_likely_twin(repo, series, commit, exc) from exc
        replayed: dict[str, str] = {}
        for number, commit_id in enumerate(series.commits[position:], start=position + 1):
            replayed[commit_id] = replayer.replay(repo.commit(commit_id), number)
        count = len(picks)
        what = f"{count} commit{'s' if count != 1 else ''}"
        description = f"pick {what} at position {position} of {self.branch_ref.removeprefix('refs/heads/')}"
        return Plan(description, [RefChange(self.branch_ref, series.tip, replayer.tip)],
                    result={"picked": picked, "replayed": replayed, "position": position, "tip": replayer.tip})

    def _refuse_named_twice(self, picks: list[pygit2.Commit]) -> None:
        """Refuse a commit named twice: its second pick would only find its own change already there."""
        specs: dict[str, list[str]] = {}
        for spec, commit in zip(self.commits, picks):
            specs.setdefault(str(commit.id), []).append(spec)
        for commit_id, names in specs.items():
            if len(names) < 2:
                continue
            if len(set(names)) == 1:
                name = commit_id[:12] if commit_id.startswith(names[0]) else f"{names[0]} ({commit_id[:12]})"
                what = f"{name} is named twice"
            else:
                what = f"{' and '.join(dict.fromkeys(names))} name the same commit {commit_id[:12]}: it is named twice"
            raise UqError(f"{what}; its second pick would find its change already there. Name it once. "
                          "Nothing was changed.", title="Named twice")

    def _refuse_present(self, repo: Repo, series: QueueSeries, spec: str, commit_id: str, in_upstream: bool) -> None:
        """Refuse a commit upstream already has (IN_UPSTREAM), or one that is (or is carried by) a queue commit."""
        name = f"{spec} ({commit_id[:12]})" if not commit_id.startswith(spec) else commit_id[:12]
        queue = self.branch_ref.removeprefix("refs/heads/")
        # Upstream first: after upstream moved on, the queue's base is older than upstream's tip.
        if in_upstream:  # the base is an ancestor of upstream too
            later = "" if repo.is_ancestor(commit_id, series.base) else (
                f", which {queue} is not rebased onto yet; rebase the queue instead of picking it")
            raise UqError(f"{name} is already in upstream {self.upstream.removeprefix('refs/heads/')}{later}. "
                          "Nothing was changed.", title="Already applied")
        # The queue's history is its own linear series on the base, which upstream has: a commit
        # upstream lacks is in the queue's history only as one of the series.
        if commit_id in series.commits:
            raise UqError(f"{name} is already a commit of the queue {queue}. Nothing was changed.",
                          title="Already applied")
        carrier = carrying_commit(repo, series, commit_id)
        if carrier is not None:
            raise UqError(f"{name} is already queued: {queue} carries it as {carrier[:12]} "
                          f"\"{_subject(repo.commit(carrier))}\". Nothing was changed.", title="Already queued")


def _with_likely_twin(repo: Repo, series: QueueSeries, commit: pygit2.Commit, exc: ConflictError) -> ConflictError:
    """EXC, saying which commit may already carry COMMIT's change in another form, if one does.

    A commit landed or queued in another form (reworded, adapted) conflicts with its own twin: the
    cheap part of the evidence `uq status` uses names it (a provenance line naming an upstream
    commit; a queue commit with the same subject, or author and date), so the user does not queue
    the change twice or resolve a conflict that is no conflict.
    """
    message = decode_bytes(commit.raw_message, commit.message_encoding)
    for named in provenance_ids(message):
        try:
            origin = repo.resolve(named, "named commit")
        except UqError:
            continue
        if repo.is_ancestor(origin, series.upstream_tip):
            return ConflictError(
                _before_the_way_out(exc.message, f"Its message names {_named(repo.commit(origin))} in upstream as "
                                                 "where it comes from: upstream may have its change already."),
                commit=exc.commit, paths=exc.paths, details=exc.details,
                hint="(`uq status` shows it as landed when it does.)")
    subject, author = _evidence_keys(commit)
    for queued in series.commits:
        other = repo.commit(queued)
        other_subject, other_author = _evidence_keys(other)
        if subject is not None and other_subject == subject:
            why = "the same subject"
        elif other_author == author:
            why = "the same author and date"
        else:
            continue
        return ConflictError(
            _before_the_way_out(exc.message, f"The queue already has {_named(other)}, with {why}: it may carry "
                                             "this change in another form."),
            commit=exc.commit, paths=exc.paths, details=exc.details,
            hint="(`uq status` shows it as queued when it does.)")
    return ConflictError(exc.message, commit=exc.commit, paths=exc.paths, details=exc.details,
                         hint="(`uq status` shows whether upstream or the queue has its change in another form.)")


def _evidence_keys(commit: pygit2.Commit) -> tuple[str | None, str]:
    """COMMIT's subject key and author key, as `uq status` computes them (identity.py)."""
    message = decode_bytes(commit.raw_message, commit.message_encoding)
    email = decode_bytes(commit.author.raw_email, commit.message_encoding)
    return subject_key(subject_of(message)), author_key(email, commit.author.time)


def _before_the_way_out(message: str, sentence: str) -> str:
    """MESSAGE (a conflict) with SENTENCE before its "Nothing was changed." and the advice after it.

    The last occurrence: the subjects quoted earlier are anyone's text.
    """
    said, marker, advice = message.rpartition(" Nothing was changed.")
    return f"{said} {sentence}{marker}{advice}" if marker else f"{message} {sentence}"


def start_of(repo: Repo, series: QueueSeries, position: int) -> tuple[str, str]:
    """Where work at POSITION starts (the base, or the queue's commit #POSITION), and how messages name it."""
    if not position:
        return series.base, f"the queue's base {series.base[:12]}"
    commit_id = series.commits[position - 1]
    return commit_id, f"queue commit {_named(repo.commit(commit_id))} (#{position})"


def carrying_commit(repo: Repo, series: QueueSeries, commit_id: str) -> str | None:
    """The queue commit whose provenance line names COMMIT_ID (full or abbreviated), or None."""
    for queued in series.commits:
        commit = repo.commit(queued)
        message = decode_bytes(commit.raw_message, commit.message_encoding)
        if any(commit_id.startswith(named) for named in provenance_ids(message)):
            return queued
    return None


class ReorderQueue:
    """Put the queue's commits in ORDER (oldest first), replaying in memory from the first moved one."""

    name = "reorder"

    def __init__(self, branch_ref: str, upstream: str, order: list[str]) -> None:
        self.branch_ref = branch_ref
        self.upstream = upstream
        self.order = order

    def plan(self, repo: Repo) -> Plan:
        """Replay the series in the new order; a conflict raises ConflictError and changes nothing."""
        series = read_series(repo, self.branch_ref, self.upstream)
        order = [repo.resolve(c, "queue commit") for c in self.order]
        if sorted(order) != sorted(series.commits) or len(set(order)) != len(order):
            raise UqError(not_a_reordering(order, series.commits), title="Not a reordering of the queue",
                          hint="(`uq oplog` and `git log` show what moved it.)")
        keep = 0
        while keep < len(order) and order[keep] == series.commits[keep]:
            keep += 1
        if keep == len(order):
            raise UqError("That is the order the queue already has; nothing to do.", title="Nothing to reorder")
        committer = maintainer_signature(repo)
        replayer = Replayer(repo, *start_of(repo, series, keep), committer, way_out="Try another order")
        numbers = {commit_id: number for number, commit_id in enumerate(series.commits, start=1)}
        replayed: dict[str, str] = {}
        for commit_id in order[keep:]:
            replayed[commit_id] = replayer.replay(repo.commit(commit_id), numbers[commit_id])
        moved = len(order) - keep
        description = (f"reorder {moved} commit{'s' if moved != 1 else ''} of "
                       f"{self.branch_ref.removeprefix('refs/heads/')}")
        return Plan(description, [RefChange(self.branch_ref, series.tip, replayer.tip)],
                    result={"replayed": replayed, "tip": replayer.tip})


def _short_ids(ids: list[str]) -> str:
    return ", ".join(i[:12] for i in ids)


def not_a_reordering(order: list[str], queue: list[str]) -> str:
    """Why ORDER is no order of the QUEUE's commits: which ones it leaves out, adds, or names twice."""
    problems = []
    if missing := [c for c in queue if c not in order]:
        problems.append(f"it leaves out {_short_ids(missing)}")
    if foreign := list(dict.fromkeys(c for c in order if c not in queue)):
        problems.append(f"{_short_ids(foreign)} {'is' if len(foreign) == 1 else 'are'} not in the queue")
    if twice := list(dict.fromkeys(c for c in order if order.count(c) > 1)):
        problems.append(f"it names {_short_ids(twice)} more than once")
    return (f"A new order must name each of the queue's {len(queue)} commits exactly once, but "
            f"{'; '.join(problems)}. If the queue moved meanwhile, look at it again. Nothing was changed.")


def config_bool(repo: Repo, key: str, default: bool) -> bool:
    """A boolean git config value, parsed by git's rules; a value git would reject is an error."""
    try:
        return bool(repo.git.config.get_bool(key))
    except KeyError:
        return default
    except (pygit2.GitError, ValueError) as exc:
        raise UqError(f"{key} must be true or false, not '{repo.config_value(key)}'. "
                      f"Fix it: git config {key} true", title="Bad configuration") from exc
