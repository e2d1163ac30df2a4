"""Work the window sends to the core worker process: plain functions over a repository path, no Qt.

Each function takes plain arguments and a progress callback last, opens its own Repo (one
pygit2 Repository per thread) and returns data the GUI turns into model rows. They run in the
worker process (uqgui.ui.worker: the GUI process never imports this module), so arguments and
results cross a pipe: pass ids, names and refs, not core objects. Nothing here mutates a
repository except through `execute()` and the operation log.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2

from ..core.commands import Command, Outcome, execute
from ..core.divergence import Divergence, Match, compute_divergence
from ..core.errors import ProfileError, UqError
from ..core.gitcli import git_environment
from ..core.history import commit_patch
from ..core.listing import CommitRow, DownstreamListing, compute_listing
from ..core.names import DEFAULT_PROFILE_KEY
from ..core.oplog import Operation, OperationLog
from ..core.pick import PickCommits, read_series
from ..core.profile import AddProfile, Profile, get_profile, list_profiles, profile_branch_ref
from ..core.refs import checked_out_branches
from ..core.repo import CommitInfo, Repo, escaped_bytes

ProgressFn = Callable[[str, int, int], None]
MAX_PATCH_LINES = 6000
MAX_INTERDIFF_LINES = 4000
# Longer lines (a minified file) are cut for display: Qt lays out a 1 MB line for seconds, on the GUI thread.
MAX_LINE_CHARS = 1000


@dataclass
class QueueState:
    """Everything cheap the window shows: profiles, the queue series, undo/redo and the log."""

    repo_path: Path
    git_dir: Path
    profiles: list[Profile]
    profile: Profile | None
    profile_problem: UqError | None = None
    branch_ref: str | None = None
    base: CommitRow | None = None
    commits: list[CommitRow] = field(default_factory=list)  # oldest first
    series_problem: UqError | None = None
    undo: Operation | None = None
    redo: Operation | None = None
    operations: list[Operation] = field(default_factory=list)
    fingerprint: tuple[Any, ...] = ()
    can_reorder: bool = False  # the core has a reorder command
    # Where the queue branch is checked out (a work tree, maybe "(being rebased)"), else None: every
    # queue command moves the branch, and moving a checked-out one is refused.
    branch_checked_out: str | None = None


@dataclass(frozen=True)
class FileChange:
    """One file a commit touches."""

    status: str
    path: str
    old_path: str | None
    added: int
    deleted: int
    binary: bool


@dataclass
class CommitDetails:
    """What the details pane shows for one commit, and for its twin when it has one."""

    info: CommitInfo
    patch: str
    patch_truncated: bool
    files: list[FileChange]
    match: Match | None = None
    twin: CommitInfo | None = None
    twin_problem: str | None = None
    interdiff: str = ""
    interdiff_truncated: bool = False


def open_repository(path: Path | str, progress: ProgressFn | None = None) -> tuple[Path, Path]:
    """Check PATH is a repository with commits; return (the path to show, its git dir)."""
    repo = Repo(path)
    repo.require_commits()
    return (repo.workdir or repo.git_dir), repo.git_dir


def choose_profile(repo: Repo, wanted: str | None) -> tuple[Profile | None, list[Profile], UqError | None]:
    """The profile to show: WANTED if it exists, else the default, else the first one."""
    profiles = list_profiles(repo)
    names = [p.name for p in profiles]
    try:
        if wanted in names:
            return get_profile(repo, wanted), profiles, None
        return get_profile(repo, None), profiles, None
    except ProfileError as exc:
        # The profile asked for (or the default) has a problem: show that one, with what is wrong,
        # rather than quietly another.
        chosen = wanted if wanted in names else repo.config_value(DEFAULT_PROFILE_KEY)
        if chosen is None and len(names) == 1:
            chosen = names[0]  # the only one is the default
        broken = next((p for p in profiles if p.name == chosen), None)
        if broken is not None:
            return broken, profiles, exc
        complete = [p for p in profiles if p.downstream and p.upstream and p.branch]
        if complete:
            # Several profiles and no default: that is no reason to stop, the chooser is there.
            return complete[0], profiles, None
        return None, profiles, exc


def load_queue_state(path: Path, wanted_profile: str | None, progress: ProgressFn) -> QueueState:
    """Profiles, the queue series on its base, and the operation log of the repository at PATH."""
    repo = Repo(path)
    repo.require_commits()
    progress("Reading the queue", 0, 0)
    profile, profiles, problem = choose_profile(repo, wanted_profile)
    state = QueueState(repo.workdir or repo.git_dir, repo.git_dir, profiles, profile, problem)
    if profile is not None:
        state.branch_ref = profile_branch_ref(repo, profile)
        try:
            series = read_series(repo, state.branch_ref, profile.upstream)
            state.base = CommitRow.of(repo.info(series.base))
            state.commits = [CommitRow.of(repo.info(c)) for c in series.commits]
        except UqError as exc:
            state.series_problem = exc
        # The profile's own problem first: it names the git config line that fixes it.
        state.series_problem = problem or state.series_problem
    log = OperationLog(repo)
    try:
        state.undo = log.can_undo()
        state.redo = log.can_redo()
        state.operations = log.operations()
    finally:
        log.close()
    state.fingerprint = fingerprint_of(repo, profiles, profile)
    state.branch_checked_out = state.fingerprint[2]
    from ..core import pick

    state.can_reorder = hasattr(pick, "ReorderQueue")
    return state


def fingerprint_of(repo: Repo, profiles: list[Profile], profile: Profile | None) -> tuple[Any, ...]:
    """What, when it changes, makes the views stale: profiles, the three refs, where the queue branch is checked out."""
    refs: tuple[str | None, ...] = ()
    checked_out: str | None = None
    if profile is not None:
        refs = tuple(repo.try_resolve(r) for r in (profile.downstream, profile.upstream, profile.branch))
        checked_out = checked_out_branches(repo.git_dir).get(profile_branch_ref(repo, profile))
    return tuple(repr(p.to_json()) for p in profiles), refs, checked_out


def current_fingerprint(path: Path, profile_name: str | None, progress: ProgressFn) -> tuple[Any, ...]:
    """The fingerprint as the repository is now (cheap: config and three refs)."""
    repo = Repo(path)
    profile, profiles, _ = choose_profile(repo, profile_name)
    return fingerprint_of(repo, profiles, profile)


def load_divergence(path: Path, profile: Profile, progress: ProgressFn) -> Divergence:
    """The divergence of the profile's downstream from its upstream and queue."""
    repo = Repo(path)
    return compute_divergence(repo, profile.downstream, profile.upstream, profile.branch, progress=progress)


def load_listing(path: Path, downstream: str, upstream: str, branch: str | None,
                 progress: ProgressFn) -> tuple[Divergence, DownstreamListing]:
    """The divergence and its listing, prepared here so the GUI thread only swaps it in."""
    return compute_listing(path, downstream, upstream, branch, progress)


def warm_up(progress: ProgressFn) -> bool:
    """Nothing: the worker has imported the core by the time it answers (the GUI asks at start)."""
    return True


def run_command(path: Path, command: Command, progress: ProgressFn) -> Outcome:
    """Execute one core command through the operation log."""
    repo = Repo(path)
    progress(getattr(command, "name", "command"), 0, 0)
    log = OperationLog(repo)
    try:
        return execute(repo, log, command)
    finally:
        log.close()


def record_fetch(path: Path, remotes: str, moved: list[tuple[str, str | None, str | None]],
                 progress: ProgressFn) -> Operation:
    """Log the refs a fetch moved as one operation, so Ctrl+Z can put them back."""
    from ..core.refs import RefChange

    log = OperationLog(Repo(path))
    try:
        return log.note("fetch", f"fetch {remotes}", [RefChange(n, old, new) for n, old, new in moved])
    finally:
        log.close()


def run_pick(path: Path, branch_ref: str, upstream: str, ids: list[str], position: int | None,
             progress: ProgressFn) -> Outcome:
    """Pick IDS (oldest first) onto the queue at POSITION (None: the top)."""
    return run_command(path, PickCommits(branch_ref, upstream, ids, position), progress)


def run_reorder(path: Path, branch_ref: str, upstream: str, order: list[str], progress: ProgressFn) -> Outcome:
    """Replay the queue in ORDER (oldest first)."""
    from ..core.pick import ReorderQueue

    return run_command(path, ReorderQueue(branch_ref, upstream, order), progress)


def run_add_profile(path: Path, name: str, downstream: str, upstream: str, branch: str,
                    progress: ProgressFn) -> Outcome:
    """Add the queue profile NAME (its branch is created at upstream when missing)."""
    return run_command(path, AddProfile(Profile(name, downstream, upstream, branch)), progress)


def undo(path: Path, progress: ProgressFn) -> Operation:
    """Undo the latest operation."""
    return _log_step(path, "undo", force=False)


def redo(path: Path, progress: ProgressFn) -> Operation:
    """Redo the operation undone last."""
    return _log_step(path, "redo", force=False)


def undo_anyway(path: Path, operation_id: int, progress: ProgressFn) -> Operation:
    """Undo operation OPERATION_ID, still the latest, though its refs moved since (the user said so)."""
    return _log_step(path, "undo", force=True, expected=operation_id)


def redo_anyway(path: Path, operation_id: int, progress: ProgressFn) -> Operation:
    """Redo operation OPERATION_ID, still the one undone last, though its refs moved since (the user said so)."""
    return _log_step(path, "redo", force=True, expected=operation_id)


def _log_step(path: Path, which: str, force: bool, expected: int | None = None) -> Operation:
    log = OperationLog(Repo(path))
    try:
        step = log.undo if which == "undo" else log.redo
        return step(force=force, expected=expected)
    finally:
        log.close()


def list_refs(path: Path, progress: ProgressFn) -> list[str]:
    """Branch and remote-tracking ref names (short), for the profile dialog."""
    repo = Repo(path)
    names = []
    for name in repo.git.references:
        if not _is_utf8(name):
            continue  # uqgui refuses such names in a profile: offering them only leads to that error
        for prefix in ("refs/heads/", "refs/remotes/"):
            if name.startswith(prefix) and not name.endswith("/HEAD"):
                names.append(name.removeprefix(prefix))
    return sorted(names)


def profile_refs(path: Path, progress: ProgressFn) -> dict[str, list[str]]:
    """What the profile dialog offers: every ref (list_refs), the local branches that may hold a
    queue, and the busy ones it must not suggest.

    A branch some work tree has checked out is busy: a queue branch is moved in memory, and
    moving that one is refused (uqgui.core.refs.update_refs).
    """
    repo = Repo(path)
    busy = checked_out_branches(repo.git_dir)
    branches = sorted(name.removeprefix("refs/heads/") for name in repo.git.references
                      if name.startswith("refs/heads/") and _is_utf8(name) and name not in busy)
    return {"refs": list_refs(path, progress), "branches": branches,
            "busy": sorted(name.removeprefix("refs/heads/") for name in busy if name.startswith("refs/heads/"))}


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # pygit2 hands non-UTF-8 bytes over as surrogates
        return False
    return True


def build_demo(progress: ProgressFn) -> Path:
    """Build the demo repository in a new temporary folder; return its path."""
    try:
        from ..core.demo import build_demo as core_build_demo
    except ImportError as exc:
        raise UqError("This build of uqgui has no demo scenario yet (uqgui.core.demo is missing).",
                      title="Demo not available") from exc
    folder = Path(tempfile.mkdtemp(prefix="uqgui-demo-"))
    progress("Building the demo repository", 0, 0)
    return Path(core_build_demo(folder / "qemu"))


# -- details --------------------------------------------------------------------------
def load_details(path: Path, commit_id: str, match: Match | Any | None, progress: ProgressFn) -> CommitDetails:
    """Message, diff and files of one commit; with a match, its twin and the patches' difference."""
    repo = Repo(path)
    info = repo.info(commit_id)
    full = commit_patch(repo.git_dir, commit_id) if len(info.parents) <= 1 else ""
    patch, truncated = _cut(full, MAX_PATCH_LINES)
    details = CommitDetails(info, patch, truncated, commit_files(repo, commit_id), match)
    if match is not None and match.id != commit_id:
        try:
            details.twin = repo.info(match.id)
            twin_patch = commit_patch(repo.git_dir, match.id)
            difference = patch_difference(full, twin_patch, MAX_INTERDIFF_LINES)
            details.interdiff, details.interdiff_truncated = _cut(difference, MAX_INTERDIFF_LINES)
        except UqError as exc:
            details.twin_problem = exc.message
    return details


def commit_files(repo: Repo, commit_id: str) -> list[FileChange]:
    """Files the commit changes against its first parent, with added and deleted line counts."""
    commit = repo.commit(commit_id)
    try:
        if commit.parents:
            diff = commit.parents[0].tree.diff_to_tree(commit.tree)
        else:
            diff = commit.tree.diff_to_tree(swap=True)
        diff.find_similar()
    except pygit2.GitError:
        return []
    files = []
    for patch in diff:
        if patch is None:
            continue
        delta = patch.delta
        _, added, deleted = patch.line_stats
        old = escaped_bytes(delta.old_file.path) if delta.old_file.path != delta.new_file.path else None
        files.append(FileChange(delta.status_char(), escaped_bytes(delta.new_file.path), old, added, deleted,
                                bool(delta.is_binary)))
    return files


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")


def _normalized_patch(patch: str) -> list[str]:
    """Patch lines without what differs between two versions of one change: index lines, line numbers."""
    out = []
    for line in patch.splitlines():
        first = line[:1]
        if first == "@":
            line = _HUNK.sub("@@", line)
        elif (first == "i" and line.startswith("index ")) or (first == "s" and line.startswith("similarity index")):
            continue
        out.append(line)
    return out


_HUNK_HEADER = re.compile(r"^(@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@).*$")


def patch_difference(ours: str, theirs: str, max_lines: int | None = None) -> str:
    """A diff between two patches (as range-diff shows one pair): '-' ours only, '+' theirs only.

    git's own diff compares them: difflib took two minutes and 700 MiB on a 500-file commit.
    With MAX_LINES, lines past the first MAX_LINES + 1 are not even decoded.
    """
    with tempfile.TemporaryDirectory(prefix="uqgui-interdiff-") as folder:
        files = []
        for name, patch in (("ours", ours), ("theirs", theirs)):
            path = Path(folder, name)
            path.write_bytes("".join(f"{line}\n" for line in _normalized_patch(patch)).encode("utf-8", "surrogateescape"))
            files.append(name)
        # In the temporary folder, looking for no repository above it: the diff must not depend on
        # the folder the app was started from (a repository there with a config git cannot read).
        env = git_environment({"GIT_CEILING_DIRECTORIES": str(Path(folder).parent)})
        env.pop("GIT_DIFF_OPTS", None)  # it would override -U2
        proc = subprocess.run(
            ["git", "diff", "--no-index", "--no-color", "--no-ext-diff", "--no-textconv", "--text", "-U2", "--", *files],
            capture_output=True, env=env, cwd=folder, check=False)
    if proc.returncode not in (0, 1):  # 1: they differ
        raise UqError(f"git could not compare the two patches: {proc.stderr.decode('utf-8', 'replace').strip()}")
    # The header before the first hunk is a few lines: a handful more than MAX_LINES is enough.
    pieces = proc.stdout.split(b"\n", max_lines + 16) if max_lines is not None else proc.stdout.split(b"\n")
    if max_lines is not None and len(pieces) > max_lines + 16:
        pieces[-1] = b""  # the rest, undecoded: far past what is kept
    lines = [piece.decode("utf-8", "replace") for piece in pieces]
    start = next((i for i, line in enumerate(lines) if line.startswith("@@")), len(lines))
    # Its file names mean nothing here; and no function names after the hunk header, as range-diff.
    body = [_HUNK_HEADER.sub(r"\1", line) if line.startswith("@@") else line for line in lines[start:]]
    while body and not body[-1]:
        body.pop()
    return "\n".join(["--- this commit", "+++ its twin", *body]) if body else ""


def _cut(text: str, max_lines: int) -> tuple[str, bool]:
    """TEXT without lines past MAX_LINES (True when some were dropped), each line cut at MAX_LINE_CHARS."""
    lines = text.split("\n")
    dropped = len(lines) > max_lines
    if dropped:
        lines = lines[:max_lines]
    if any(len(line) > MAX_LINE_CHARS for line in lines):
        lines = [_shorten(line) for line in lines]
    elif not dropped:
        return text, False
    return "\n".join(lines), dropped


def _shorten(line: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    return f"{line[:MAX_LINE_CHARS]} … ({len(line) - MAX_LINE_CHARS:,} more characters)"
