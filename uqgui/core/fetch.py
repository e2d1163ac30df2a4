"""Fetching the remotes a queue profile follows: `git fetch --progress REMOTE` as an asyncio subprocess.

git does the talking, so the user's transports, ssh-agent, credential helpers and config all
apply; our keyring-backed helper (credentials.py) is added after the user's own, so a password
stored in the system keyring is used and nothing is ever stored in plain text. git runs in a session of its own (no
controlling terminal: neither git nor ssh can stop on a prompt nobody sees) with
GIT_TERMINAL_PROMPT=0, and a cancel kills the whole session (git and its ssh or https helper).
Failures become typed errors whose message says what to do; git's own output goes to details.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .credentials import helper_command
from .errors import AuthError, FetchError, NoRemoteError, OfflineError, RemoteMissingError
from .gitcli import git_environment

ProgressFn = Callable[[str, int, int], None]


# git's stderr, most specific first: "Could not read from remote repository" follows both an
# unreachable host and a refused key, so the line before it decides.
_AUTH = re.compile(r"Authentication failed|Permission denied \(|could not read (Username|Password)|"
                   r"terminal prompts disabled|HTTP Basic: Access denied|The requested URL returned error: 40[13]|"
                   r"Host key verification failed|invalid credentials", re.IGNORECASE)
_OFFLINE = re.compile(r"Could not resolve host|Connection refused|Network is unreachable|No route to host|"
                      r"Connection timed out|Operation timed out|Couldn't connect to server|Failed to connect to|"
                      r"Connection reset|Temporary failure in name resolution|Name or service not known|"
                      r"unable to access .*(SSL|TLS)|connect to host .* port", re.IGNORECASE)
_MISSING = re.compile(r"does not appear to be a git repository|Repository not found|repository '.*' not found|"
                      r"The requested URL returned error: 404|No such file or directory", re.IGNORECASE)
_PROGRESS = re.compile(r"^(?:remote: )?([A-Za-z][A-Za-z ]*?):\s+(\d+)% \((\d+)/(\d+)\)")
# A ref line of git fetch: " FLAG SUMMARY FROM -> TO"; '=' (up to date) and '!' (rejected) moved nothing.
_UPDATED = re.compile(r"^ [ +t*-] .*? -> (\S+)")


@dataclass
class FetchResult:
    """What one fetch did: the remote, its URL, the refs it updated, git's messages."""

    remote: str
    url: str
    updated: list[str] = field(default_factory=list)
    output: str = ""
    # (ref, old id or None, new id or None) for every ref of the remote the fetch moved, so the
    # fetch can be recorded in the operation log and undone like any other change.
    moved: list[tuple[str, str | None, str | None]] = field(default_factory=list)


def _git(git_dir: Path, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True,
                          env=git_environment(), check=False, timeout=30)


def _ref_ids(git_dir: Path, patterns: Sequence[str]) -> dict[str, str]:
    out = _git(git_dir, ["for-each-ref", "--format=%(refname) %(objectname)", *patterns]).stdout
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def remote_refs(git_dir: Path, remote: str) -> dict[str, str]:
    """The remote-tracking refs of REMOTE and the ids they point at."""
    return _ref_ids(git_dir, [f"refs/remotes/{remote}/"])


def fetchable_refs(git_dir: Path, remotes: Sequence[str]) -> dict[str, str]:
    """The refs a fetch of REMOTES may move (their remote-tracking refs, and tags) and their ids.

    Taken before a fetch and compared after it, whatever its end: a fetch cancelled or failing
    half-way may already have moved some (an earlier remote's, or part of the current one's).
    """
    return _ref_ids(git_dir, [f"refs/remotes/{remote}/" for remote in remotes] + ["refs/tags/"])


def moved_refs(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str | None, str | None]]:
    """The refs that differ between two snapshots, as (name, old, new)."""
    return [(name, before.get(name), after.get(name)) for name in sorted(set(before) | set(after))
            if before.get(name) != after.get(name)]


def list_remotes(git_dir: Path) -> list[str]:
    """The repository's remotes, as `git remote` names them."""
    return _git(git_dir, ["remote"]).stdout.split()


def remote_url(git_dir: Path, remote: str) -> str:
    """The URL git fetches REMOTE from (after insteadOf rewriting), or ''."""
    return _git(git_dir, ["remote", "get-url", remote]).stdout.strip()


def remote_of(git_dir: Path, ref: str, remotes: Sequence[str]) -> str | None:
    """The remote a ref follows: refs/remotes/R/..., R/..., or a local branch's branch.X.remote."""
    full = _git(git_dir, ["rev-parse", "--symbolic-full-name", "--verify", "-q", ref]).stdout.strip() or ref
    if full.startswith("refs/remotes/"):
        rest = full.removeprefix("refs/remotes/")
        # Remote names may hold '/': the longest one that prefixes the ref wins.
        found = [r for r in remotes if rest.startswith(r + "/")]
        return max(found, key=len) if found else None
    if full.startswith("refs/heads/"):
        branch = full.removeprefix("refs/heads/")
        name = _git(git_dir, ["config", "--get", f"branch.{branch}.remote"]).stdout.strip()
        return name if name in remotes else None
    return None


def remotes_for_refs(git_dir: Path, refs: Sequence[str]) -> list[str]:
    """The remotes to fetch so REFS are up to date, in the order of REFS, each once."""
    remotes = list_remotes(git_dir)
    found: list[str] = []
    for ref in refs:
        name = remote_of(git_dir, ref, remotes)
        if name and name not in found:
            found.append(name)
    return found


def parse_progress(line: str) -> tuple[str, int, int] | None:
    """(stage, done, total) of one of git's progress lines ("Receiving objects:  45% (9/20)"), or None."""
    found = _PROGRESS.match(line.strip())
    if found is None:
        return None
    return found.group(1), int(found.group(3)), int(found.group(4))


def classify_failure(remote: str, url: str, status: int, output: str) -> FetchError:
    """The error for a failed `git fetch REMOTE`, with a message a person can act on."""
    where = f"{remote} ({url})" if url and url != remote else remote
    details = f"command: git fetch --progress {remote}\nexit status: {status}\n{output.strip()}"
    if _AUTH.search(output):
        error = AuthError(
            f"{where} did not accept the credentials, or there were none to give. For an ssh URL, load your key "
            "into the agent (ssh-add) and check that the server knows it; for https, the GUI asks for the username "
            "and password and can store them in the system keyring (or set up a credential helper of your own: "
            "git config --global credential.helper libsecret). uqgui never stores passwords in plain text.",
            details=details)
        error.url = url
        return error
    if _OFFLINE.search(output):
        return OfflineError(
            f"Could not reach {where}: the network or the server is unavailable, or the host name is wrong. "
            "Check your connection (and proxy settings), or the URL with `git remote -v`, then fetch again. "
            "Nothing was changed.", details=details)
    if _MISSING.search(output):
        return RemoteMissingError(
            f"{where} is not a git repository any more (moved, deleted or mistyped). Fix the URL with "
            f"`git remote set-url {remote} NEW-URL`, then fetch again. Nothing was changed.", details=details)
    first = next((line for line in output.splitlines() if line.startswith(("fatal:", "error:"))), "")
    return FetchError(f"Fetching {where} failed{': ' + first if first else ''}. Nothing was changed; the details "
                      "hold git's output.", details=details)


async def fetch_remote(git_dir: Path, remote: str, progress: ProgressFn | None = None,
                       env: dict[str, str] | None = None) -> FetchResult:
    """`git fetch --progress REMOTE` on the running asyncio loop; progress goes to PROGRESS as it comes.

    ENV is added to git's environment (a password typed in for this fetch, see credentials.py).
    Cancelling the awaiting task kills git and its helpers, and raises CancelledError.
    """
    url = remote_url(git_dir, remote)
    before = remote_refs(git_dir, remote)
    # `-c credential.helper=` with a value appends to the user's helpers (an empty one would drop them).
    proc = await asyncio.create_subprocess_exec(
        "git", f"--git-dir={git_dir}", "-c", f"credential.helper={helper_command()}", "fetch", "--progress", remote,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env=git_environment(env), start_new_session=True)
    assert proc.stdout is not None
    lines: list[str] = []
    pending = b""
    try:
        while True:
            chunk = await proc.stdout.read(4096)
            if not chunk:
                break
            pending += chunk
            # Progress lines end in \r (redrawn in place); messages in \n.
            *complete, pending = re.split(rb"[\r\n]", pending)
            for raw in complete:
                line = raw.decode("utf-8", "replace")
                step = parse_progress(line)
                if step is not None:
                    if progress is not None:
                        progress(f"Fetching {remote}: {step[0].lower()}", step[1], step[2])
                elif line.strip():
                    lines.append(line)
        if pending.strip():
            lines.append(pending.decode("utf-8", "replace"))
        status = await proc.wait()
    except BaseException:
        _kill(proc)
        await proc.wait()
        raise
    output = "\n".join(lines)
    if status != 0:
        raise classify_failure(remote, url, status, output)
    updated = [m.group(1) for m in map(_UPDATED.match, lines) if m is not None]
    return FetchResult(remote, url, updated, output, moved_refs(before, remote_refs(git_dir, remote)))


def _kill(proc: asyncio.subprocess.Process) -> None:
    """Stop git and what it started (ssh, git-remote-https): they share its session."""
    if proc.returncode is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass


def no_remote_reason(git_dir: Path, refs: Sequence[str]) -> str:
    """Why fetching REFS (which follow no configured remote) has nothing to do, ref by ref, and what to do."""
    remotes = set(list_remotes(git_dir))
    said: list[str] = []
    for ref in refs:
        full = _git(git_dir, ["rev-parse", "--symbolic-full-name", "--verify", "-q", ref]).stdout.strip() or ref
        short = full.removeprefix("refs/heads/").removeprefix("refs/remotes/")
        if full.startswith("refs/remotes/"):
            name = short.split("/", 1)[0]
            known = f" (configured: {', '.join(sorted(remotes))})" if remotes else " (none is)"
            said.append(f"{short} is a remote-tracking ref of '{name}', but no remote of that name is configured"
                        f"{known}")
        elif full.startswith("refs/heads/"):
            said.append(f"{short} is a local branch without an upstream")
        else:
            said.append(f"{ref} is not a branch")
    return ("There is nothing to fetch: " + "; ".join(said) + ". Add the remote with `git remote add NAME URL` "
            "(its fetch then updates refs/remotes/NAME/...), or point the profile at the branches of a remote "
            "you have.")


async def fetch_remotes(git_dir: Path, remotes: Sequence[str], progress: ProgressFn | None = None,
                        env: dict[str, str] | None = None, refs: Sequence[str] = ()) -> list[FetchResult]:
    """Fetch each of REMOTES in turn; every one is tried, then the failures are raised together.

    REFS: the refs the remotes were found for, which say why there is none to fetch.
    """
    if not remotes:
        if refs:
            raise NoRemoteError(no_remote_reason(git_dir, refs))
        raise NoRemoteError("The profile's downstream and upstream refs follow no configured remote, so there is "
                            "nothing to fetch. Add the remotes with `git remote add NAME URL` and point the "
                            "profile at their branches.")
    done: list[FetchResult] = []
    failed: list[FetchError] = []
    for remote in remotes:
        try:
            done.append(await fetch_remote(git_dir, remote, progress, env))
        except FetchError as exc:
            failed.append(exc)
    if len(failed) == 1 and not done:
        raise failed[0]
    if failed:
        first = failed[0]
        fetched = ", ".join(r.remote for r in done)
        note = f" ({fetched} fetched fine)" if fetched else ""
        combined = type(first)(f"{first.message}{note}" + "".join(f"\n\nAlso: {e.message}" for e in failed[1:]),
                               details="\n\n".join(e.details for e in failed), title=first.title)
        if isinstance(first, AuthError) and isinstance(combined, AuthError):
            combined.url = first.url
        raise combined
    return done
