"""`uq`: the headless face of the core, for scripts, CI and benchmarks."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import __version__
from .core.cache import clear_cache
from .core.commands import execute
from .core.display import shown, shown_message
from .core.divergence import HOW_PATCH_ID, LANDED, QUEUED, REMAINING, Divergence, compute_divergence
from .core.errors import ConflictError, ProfileError, UqError
from .core.names import DEFAULT_PROFILE_KEY
from .core.oplog import ABORTED, OperationLog
from .core.pick import PROVENANCE_STYLES, PickCommits, ReorderQueue
from .core.profile import AddProfile, Profile, RemoveProfile, get_profile, list_profiles
from .core.repo import Repo

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CONFLICT = 0, 1, 2, 3
# The GUI's glyphs (uqgui.ui.models.states); printed two columns wide so the ids line up.
STATE_MARKS = {REMAINING: "●", QUEUED: "◐", LANDED: "✓"}
MARK_LANDED_MORPHED, MARK_NO_DIFF = "✓~", "○"
# For an output that cannot carry them (the C locale's ASCII): remaining, queued, landed, no diff.
ASCII_MARKS = str.maketrans({"●": "*", "◐": "q", "✓": "+", "○": "o"})


def state_mark(entry: Any) -> str:
    """The glyph of ENTRY's state as the GUI draws it: landed morphed and no diff have their own."""
    if entry.state == LANDED and entry.match is not None and entry.match.how != HOW_PATCH_ID:
        return MARK_LANDED_MORPHED
    if entry.state == REMAINING and entry.no_diff:
        return MARK_NO_DIFF
    return STATE_MARKS[entry.state]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `uq` subcommand."""
    parser = argparse.ArgumentParser(prog="uq", description="Keep an upstream queue: divergence, picking, undo.")
    parser.add_argument("--version", action="version", version=f"uq {__version__}")
    parser.add_argument("--repo", default=".", help="the repository (default: the current directory)")
    # --repo after the command too (`uq status --repo X`): SUPPRESS keeps the one given before it.
    repo_option = argparse.ArgumentParser(add_help=False)
    repo_option.add_argument("--repo", default=argparse.SUPPRESS, help="the repository (default: the current directory)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    status = sub.add_parser("status", help="downstream-only commits and their state", parents=[repo_option])
    _add_selection(status)
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.add_argument("--state", choices=[REMAINING, QUEUED, LANDED],
                        help="list only commits in this state (the summary still counts all)")

    profile = sub.add_parser("profile", help="manage queue profiles", parents=[repo_option])
    psub = profile.add_subparsers(dest="profile_command", required=True, metavar="ACTION")
    add = psub.add_parser("add", help="add a profile (creates the queue branch at upstream if missing)",
                          parents=[repo_option])
    add.add_argument("name", help="the profile name (letters, digits, '.', '_', '-', '/')")
    add.add_argument("--downstream", required=True, help="the downstream ref (e.g. qemu-kvm/master)")
    add.add_argument("--upstream", required=True, help="the upstream ref (e.g. qemu/master)")
    add.add_argument("--branch", help="queue branch (default: uq/NAME)")
    add.add_argument("--test", help="test command run on each queue commit")
    add.add_argument("--to", action="append", default=[], help="a recipient (repeatable)")
    add.add_argument("--cc", action="append", default=[], help="a copy recipient (repeatable)")
    add.add_argument("--replace", action="store_true", help="replace an existing profile of that name")
    lst = psub.add_parser("list", help="list profiles", parents=[repo_option])
    lst.add_argument("--json", action="store_true", help="print a JSON array, one object a profile")
    show = psub.add_parser("show", help="show one profile", parents=[repo_option])
    show.add_argument("name", nargs="?", help="the profile (default: the default one)")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    rm = psub.add_parser("remove", help="remove a profile (its branch stays)", parents=[repo_option])
    rm.add_argument("name", help="the profile to remove")

    cache = sub.add_parser("cache", help="manage the identity cache", parents=[repo_option])
    csub = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    csub.add_parser("clear", help="drop the caches (they are rebuilt on the next run)",
                    parents=[repo_option])

    pick = sub.add_parser("pick", help="pick commits onto the queue in memory", parents=[repo_option])
    pick.add_argument("commits", nargs="+", metavar="COMMIT")
    pick.add_argument("--at", type=int, dest="position", help="position in the queue (0 = on the base; default: top)")
    pick.add_argument("--profile", help="the queue profile (default: the default one)")
    pick.add_argument("--no-signoff", action="store_true", help="do not add a Signed-off-by line")
    pick.add_argument("--provenance", choices=PROVENANCE_STYLES, help="how to record where the commit came from")
    pick.add_argument("--json", action="store_true", help="print one JSON object")

    reorder = sub.add_parser("reorder", help="put the queue's commits in a new order (replayed in memory)",
                             parents=[repo_option])
    reorder.add_argument("commits", nargs="+", metavar="COMMIT", help="every queue commit, oldest first, in the new order")
    reorder.add_argument("--profile", help="the queue profile (default: the default one)")
    reorder.add_argument("--json", action="store_true", help="print one JSON object")

    for verb, what in (("undo", "put back the refs of the last operation"),
                       ("redo", "do again the operation undone last")):
        p = sub.add_parser(verb, help=what, parents=[repo_option])
        p.add_argument("--force", action="store_true", help="even if a ref moved since")
        p.add_argument("--json", action="store_true", help="print the outcome as one JSON object")

    oplog = sub.add_parser("oplog", help="show the operation log", parents=[repo_option])
    oplog.add_argument("--json", action="store_true", help="print one JSON object")

    demo = sub.add_parser("demo", help="build the demo repository in DIR")
    demo.add_argument("dir", help="a new folder (or an empty one) to build the repository in")

    credential = sub.add_parser("credential", help="git credential helper backed by the system keyring")
    credential.add_argument("action", choices=["get", "store", "erase"], help="what git asks (on stdin)")
    return parser


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help="queue profile name")
    parser.add_argument("--downstream", help="downstream revision (instead of a profile)")
    parser.add_argument("--upstream", help="upstream revision (instead of a profile)")
    parser.add_argument("--queue", help="queue revision (with a profile: instead of its queue branch)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run `uq`; every UqError (or refusal by the system) becomes a message and an exit status, never a traceback."""
    _usable_output()
    stdout = sys.stdout
    sys.stdout = _GuardedOutput(stdout)  # a TextIO in all that is used of it
    try:
        return _run(argv)
    finally:
        sys.stdout = stdout


def _run(argv: Sequence[str] | None) -> int:
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(argv)
        code = HANDLERS[args.command](args)
        _write("")  # flush what print() left buffered: a full disk must be said, not ignored at exit
    except OutputLost as exc:
        _say(f"the output could not be written ({_os_error(exc.cause)}); the command itself finished "
             "(`uq oplog` shows any change it made).")
        return EXIT_ERROR
    except ConflictError as exc:
        if _wants_json(args):
            _print_json_quietly({"error": "conflict", "message": exc.for_command_line(), "commit": exc.commit,
                                 "paths": exc.paths})
        _say(f"{exc.title}: {exc.for_command_line()}")
        return EXIT_CONFLICT
    except UqError as exc:
        if _wants_json(args):
            _print_json_quietly({"error": exc.title, "message": exc.for_command_line()})
        _say(f"{exc.title}: {exc.for_command_line()}")
        return exc.exit_status
    except KeyboardInterrupt:
        _say("interrupted; nothing was left half-done.")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        # The machine refused (a full disk, no usable temporary folder, a permission): said plainly.
        message = f"{_os_error(exc)}. Fix that, then run the command again; `uq oplog` shows every change made."
        if _wants_json(args):
            _print_json_quietly({"error": "system error", "message": message})
        _say(f"system error: {message}")
        return EXIT_ERROR
    return code


def _usable_output() -> None:
    """Make stdout and stderr writable whatever the caller left: closed, or a strict or narrow encoding."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # closed by the caller (`uq pick X >&-`): the work still gets done
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
    # A file name that is not UTF-8 travels as surrogate escapes, and the C locale cannot encode the
    # state marks: either would stop a strict (or surrogateescape) stdout with a traceback.
    if isinstance(sys.stdout, io.TextIOWrapper) and sys.stdout.errors in ("strict", "surrogateescape"):
        sys.stdout.reconfigure(errors="backslashreplace")


def _print_json_quietly(data: Any) -> None:
    """An error as JSON on stdout, when stdout can still take it (the stderr line says it anyway)."""
    try:
        _print_json(data)
    except (OutputLost, BrokenPipeError):
        pass


def _wants_json(args: argparse.Namespace | None) -> bool:
    return bool(getattr(args, "json", False))


def _say(message: str) -> None:
    """One line on stderr, prefixed with uq (and without terminal control characters)."""
    try:
        print(f"uq: {shown_message(message)}", file=sys.stderr)
    except OSError:
        pass  # stderr itself is gone: the exit status still says it


def _os_error(exc: OSError) -> str:
    """What the system said, with the file it was about."""
    what = exc.strerror or str(exc)
    if "temporary directory" in str(exc):  # tempfile's own words: no folder it tried was usable
        return f"{exc}; set TMPDIR to a writable folder"
    if not exc.filename:
        return what
    where = f"{what}: {exc.filename}"
    folder = tempfile.tempdir or os.environ.get("TMPDIR")
    if folder and str(exc.filename).startswith(folder):
        where += " (in the temporary folder: TMPDIR names another one)"
    return where


# -- handlers --------------------------------------------------------------------------

def cmd_status(args: argparse.Namespace) -> int:
    """`uq status`: the divergence, for people or as JSON."""
    repo = Repo(args.repo)
    down, up, queue, warnings = _selection(repo, args)
    progress = _progress_printer() if sys.stderr.isatty() and not args.json else None
    result = compute_divergence(repo, down, up, queue, progress)
    result.warnings = warnings + result.warnings
    if progress:
        print("\r\033[K", end="", file=sys.stderr)
    if args.json:
        data = result.to_json()
        if args.state:
            data["commits"] = [c for c in data["commits"] if c["state"] == args.state]
        _print_json(data)
    else:
        _print_status(result, args.state)
    return EXIT_OK


def _selection(repo: Repo, args: argparse.Namespace) -> tuple[str, str, str | None, list[str]]:
    """Downstream, upstream and queue to compare, and warnings about the choice."""
    if args.downstream or args.upstream:
        if args.profile:
            raise UqError("Give either --profile or --downstream and --upstream, not both.",
                          title="Conflicting selection")
        if not (args.downstream and args.upstream):
            raise UqError("Give both --downstream and --upstream (or a --profile).", title="Incomplete selection")
        return args.downstream, args.upstream, args.queue, []
    profile = get_profile(repo, args.profile, explicit_revisions=True)
    if args.queue:
        return profile.downstream, profile.upstream, args.queue, []
    queue = repo.full_ref_name(profile.branch)
    if repo.ref_target(queue):
        return profile.downstream, profile.upstream, queue, []
    missing = (f"The queue branch '{profile.branch}' of profile {profile.name} does not exist, so no commit counts "
               f"as queued. Create it with `git branch {profile.branch} {profile.upstream}`, or correct "
               f"`git config uq.{profile.name}.branch`.")
    return profile.downstream, profile.upstream, None, [missing]


# Where Python's C-locale coercion (PEP 538) points LC_CTYPE when the locale was C or POSIX.
_COERCION_TARGETS = ("C.UTF-8", "C.utf8", "UTF-8")


def user_locale(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """The character locale the user set: the first non-empty of LC_ALL, LC_CTYPE and LANG ('' for none).

    An LC_CTYPE Python set itself is passed over: in the C or POSIX locale (LC_ALL unset), Python
    coerces the locale to C.UTF-8 (PEP 538) by setting LC_CTYPE in its own environment, and it
    switches its UTF-8 mode on by itself (PEP 540). A UTF-8 mode not asked for (PYTHONUTF8, -X utf8)
    is how a coerced LC_CTYPE is told from one the user set: their C.UTF-8 would not have turned it on.
    """
    env = os.environ if environ is None else environ
    if env.get("LC_ALL"):
        return env["LC_ALL"]
    ctype = env.get("LC_CTYPE", "")
    if ctype and not (ctype in _COERCION_TARGETS and sys.flags.utf8_mode and not _utf8_asked(env)):
        return ctype
    return env.get("LANG", "")


def _utf8_asked(env: dict[str, str] | os._Environ[str]) -> bool:
    """True when the UTF-8 mode was asked for (PYTHONUTF8=1 or -X utf8), not switched on by the C locale."""
    return env.get("PYTHONUTF8") == "1" or sys._xoptions.get("utf8") not in (None, "0")


def ascii_marks_wanted() -> bool:
    """True when the state marks must be ASCII: the C or POSIX locale, or an output that cannot encode them.

    The user's locale decides, not Python's view of it (which is UTF-8 in the C locale, see
    user_locale()), unless PYTHONIOENCODING or PYTHONUTF8 ask for an output encoding explicitly.
    """
    try:
        "".join(STATE_MARKS.values()).encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return True
    if os.environ.get("PYTHONIOENCODING") or _utf8_asked(os.environ):
        return False  # an encoding asked for explicitly, and the marks fit in it
    return user_locale() in ("", "C", "POSIX")


def _print_status(result: Divergence, only: str | None) -> None:
    s = result.summary()
    print(f"downstream {result.downstream[:12]}  upstream {result.upstream[:12]}  "
          f"queue {result.queue[:12] if result.queue else '-'}")
    # The remaining commits without a diff are said inside that count, so the line adds up to the
    # downstream-only total (an empty commit whose trailer names an upstream twin is landed).
    empty = sum(1 for e in result.entries if e.no_diff and e.state == REMAINING)
    no_diff = f" ({empty} without a diff)" if empty else ""
    print(f"{s['downstream_only']} downstream-only: {s['remaining']} remaining{no_diff}, {s['queued']} queued, "
          f"{s['landed']} landed ({s['landed_exact']} exact, {s['landed_morphed']} morphed)")
    lines = []
    marks = ASCII_MARKS if ascii_marks_wanted() else {}
    for e in result.entries:
        if only and e.state != only:
            continue
        mark = state_mark(e).translate(marks)
        how = ""
        if e.match:
            how = f"  [{e.state} as {e.match.id[:12]}: {shown(e.match.evidence)}]"
        elif e.no_diff:
            how = "  [empty diff]"
        lines.append(f"{mark:<2} {e.meta.id[:12]} {shown(e.meta.subject)}{how}\n")
    _write("".join(lines))  # one write, not one a line on an unbuffered stdout
    for w in result.warnings:
        print(f"warning: {shown_message(w)}", file=sys.stderr)


def _progress_printer() -> Callable[[str, int, int], None]:
    def show(stage: str, done: int, total: int) -> None:
        count = f" {done:,}/{total:,}" if total else ""
        print(f"\r\033[K{stage}…{count}", end="", file=sys.stderr, flush=True)
    return show


def cmd_profile(args: argparse.Namespace) -> int:
    """`uq profile add|list|show|remove`."""
    repo = Repo(args.repo)
    action = args.profile_command
    if action == "add":
        profile = Profile(args.name, args.downstream, args.upstream, args.branch or f"uq/{args.name}",
                          args.test, args.to, args.cc)
        with _oplog(repo) as log:
            outcome = execute(repo, log, AddProfile(profile, replace=args.replace))
        print(f"Added: {outcome.operation.description}")
    elif action == "list":
        profiles = list_profiles(repo)
        if args.json:
            _print_json([p.to_json() for p in profiles])
        elif not profiles:
            print("No queue profiles. Add one with `uq profile add NAME --downstream REF --upstream REF`.")
        for p in profiles if not args.json else []:
            print(f"{p.name}: {p.downstream} -> {p.branch} on {p.upstream}")
    elif action == "show":
        try:
            p = get_profile(repo, args.name, choose_with="`uq profile show NAME`")
        except ProfileError as exc:
            # Showing is how one inspects a profile with a problem: show it, and the problem.
            wanted = args.name or repo.config_value(DEFAULT_PROFILE_KEY)
            profiles = list_profiles(repo)
            if wanted is None and len(profiles) == 1:
                wanted = profiles[0].name  # the only one is the default
            named = [q for q in profiles if q.name == wanted]
            if not named:
                raise
            p = named[0]
            _say(f"warning: {exc.for_command_line()}")
        if args.json:
            _print_json(p.to_json())
        else:
            for key, value in p.to_json().items():
                print(f"{key}: {', '.join(value) if isinstance(value, list) else (value or '')}")
    elif action == "remove":
        with _oplog(repo) as log:
            execute(repo, log, RemoveProfile(args.name))
        print(f"Removed profile {args.name} (its branch stays). `uq undo` brings it back.")
    return EXIT_OK


def cmd_cache(args: argparse.Namespace) -> int:
    """`uq cache clear`."""
    repo = Repo(args.repo)
    folder = repo.uq_dir()
    try:
        existed = clear_cache(folder)
    except OSError as exc:
        raise UqError(f"The cache could not be deleted ({exc}). Make {folder} writable.",
                      title="Cache not cleared") from exc
    print("Cache cleared." if existed else "There was no cache.")
    return EXIT_OK


def cmd_pick(args: argparse.Namespace) -> int:
    """`uq pick`: in-memory picking onto the queue branch."""
    repo = Repo(args.repo)
    profile = get_profile(repo, args.profile)
    command = PickCommits(repo.full_ref_name(profile.branch), profile.upstream, args.commits, args.position,
                          signoff=False if args.no_signoff else None, provenance=args.provenance)
    return _run_queue_command(repo, command, args.json)


def cmd_reorder(args: argparse.Namespace) -> int:
    """`uq reorder`: a new order of the queue, replayed in memory."""
    repo = Repo(args.repo)
    profile = get_profile(repo, args.profile)
    command = ReorderQueue(repo.full_ref_name(profile.branch), profile.upstream, args.commits)
    return _run_queue_command(repo, command, args.json)


def _run_queue_command(repo: Repo, command: PickCommits | ReorderQueue, as_json: bool) -> int:
    """Execute a command that moves the queue branch and report where the queue is now."""
    with _oplog(repo) as log:
        outcome = execute(repo, log, command)
    if as_json:
        _print_json({"operation": outcome.operation.to_json(), **outcome.result})
    else:
        print(f"Done: {outcome.operation.description}; queue now at {outcome.result['tip'][:12]}. `uq undo` reverts it.")
    return EXIT_OK


def cmd_undo_redo(args: argparse.Namespace) -> int:
    """`uq undo` / `uq redo`."""
    repo = Repo(args.repo)
    with _oplog(repo) as log:
        op = log.undo(args.force) if args.command == "undo" else log.redo(args.force)
    if args.json:
        _print_json(op.to_json())
    elif op.kept is not None and args.command == "undo":
        print(f"Undid: {op.description} (what another git had changed since is kept as #{op.kept}: "
              "`uq redo` twice brings it back)")
    elif op.forced_over:
        print(f"Redid: {op.description} (over what another git had changed: `uq undo` brings that back)")
    else:
        print(f"{'Undid' if args.command == 'undo' else 'Redid'}: {op.description}")
    return EXIT_OK


def cmd_oplog(args: argparse.Namespace) -> int:
    """`uq oplog`: every operation with its state and ref moves."""
    repo = Repo(args.repo)
    with _oplog(repo) as log:
        ops = log.operations()
        events = log.events()
    if args.json:
        _print_json({"operations": [o.to_json() for o in ops], "events": events})
        return EXIT_OK
    if not ops:
        print("The operation log is empty.")
    for o in ops:
        when = datetime.fromtimestamp(o.time, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        print(f"#{o.id} {when} {o.state:9} {o.description}")
        if o.state == ABORTED:
            print("      refused: nothing was changed")  # its refs never moved: no arrows that did not happen
            continue
        for r in o.refs:
            print(f"      {r.name}: {(r.old or 'none')[:12]} -> {(r.new or 'none')[:12]}")
        for c in o.config:
            print(f"      config [{c.section}]: {_entries(c.old)} -> {_entries(c.new)}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """`uq demo DIR`: build the demo scenario repository."""
    from .core.demo import build_demo

    path = build_demo(Path(args.dir))
    print(f"Demo repository ready at {path}. Try: uq --repo {path} status")
    return EXIT_OK


def cmd_credential(args: argparse.Namespace) -> int:
    """`uq credential get|store|erase`: git's credential helper protocol over the system keyring."""
    from .core.credentials import run_helper

    return run_helper(args.action, sys.stdin, sys.stdout, sys.stderr)


class _oplog:
    """Open the operation log for the span of a with-block."""

    def __init__(self, repo: Repo) -> None:
        self.log = OperationLog(repo)

    def __enter__(self) -> OperationLog:
        return self.log

    def __exit__(self, *exc: object) -> None:
        self.log.close()


def _entries(section: list[tuple[str, str]] | None) -> str:
    """A config section's state in a word or two, for uq oplog."""
    if section is None:
        return "none"
    return f"{len(section)} entr{'y' if len(section) == 1 else 'ies'}"


def _print_json(data: Any) -> None:
    # One string, one write: json.dump() encodes in Python, token by token, and with an unbuffered
    # stdout (PYTHONUNBUFFERED, common in containers) each token was a system call: 158,000 of
    # them for big.git's 4,000 commits. json.dumps() runs the C encoder once.
    text = json.dumps(data, ensure_ascii=False, indent=None)
    try:
        text.encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except UnicodeEncodeError:
        # A name that is not UTF-8 (a lone surrogate escape) or a character the output cannot
        # carry: \u escapes keep the JSON valid, and surrogateescape turns them back into the bytes.
        text = json.dumps(data, ensure_ascii=True, indent=None)
    _write(text + "\n")


class OutputLost(Exception):
    """Writing the result failed (a full disk behind stdout): the command's work is already done."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _GuardedOutput:
    """stdout, where a failed write (other than a closed pipe) is OutputLost rather than a system error."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        """Write TEXT to the stream."""
        return int(self._guarded(lambda: self.stream.write(text)))

    def flush(self) -> None:
        """Flush the stream."""
        self._guarded(self.stream.flush)

    def _guarded(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputLost(exc) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _write(text: str) -> None:
    """Write TEXT to stdout now (one write: an unbuffered stdout makes each write a system call)."""
    sys.stdout.write(text)
    sys.stdout.flush()


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "status": cmd_status,
    "profile": cmd_profile,
    "cache": cmd_cache,
    "pick": cmd_pick,
    "reorder": cmd_reorder,
    "undo": cmd_undo_redo,
    "redo": cmd_undo_redo,
    "oplog": cmd_oplog,
    "demo": cmd_demo,
    "credential": cmd_credential,
}

if __name__ == "__main__":
    sys.exit(main())
