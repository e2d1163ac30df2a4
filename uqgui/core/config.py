"""Reading and writing sections of the repository's git config through the git command.

Sections are written in one atomic step: the new file is prepared on a copy with `git config
--file`, then renamed over the config while holding `config.lock`, git's own lock. So a
process killed in the middle leaves the config either before or after, never half-written, and
a section that someone changed since we read it is refused instead of overwritten.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigMovedError, UqError
from .gitcli import common_dir, run_git
from .repo import Repo

if TYPE_CHECKING:
    from .oplog import ConfigChange

Entries = list[tuple[str, str]]

LOCK_WAIT = 1.0  # seconds; git itself does not wait for config.lock at all


def read_entries(repo: Repo, pattern: str = r"^uq\.") -> Entries:
    """(key, value) pairs of the repository's effective config whose keys match PATTERN, in order."""
    proc = run_git(repo.git_dir, ["config", "-z", "--get-regexp", pattern], check=False)
    if proc.returncode not in (0, 1):
        proc.check_returncode()
    entries: Entries = []
    for item in proc.stdout.split(b"\0"):
        if not item:
            continue
        key, _, value = item.partition(b"\n")
        entries.append((key.decode("utf-8", "replace"), value.decode("utf-8", "replace")))
    return entries


def read_section(repo: Repo, section: str, file: Path | None = None) -> Entries | None:
    """Entries of one section of the local config (`uq.master`), or None when absent."""
    where = ["--file", str(file)] if file is not None else ["--local"]
    proc = run_git(repo.git_dir, ["config", *where, "-z", "--get-regexp",
                                  "^" + _regex_escape(section) + r"\.[^.]+$"], check=False)
    if proc.returncode == 1:
        return None
    if proc.returncode != 0:
        raise UqError(f"Reading [{section}] from the git config failed: "
                      f"{proc.stderr.decode('utf-8', 'replace').strip()}", title="git config failed")
    entries = []
    for item in proc.stdout.split(b"\0"):
        if item:
            key, _, value = item.partition(b"\n")
            entries.append((key.decode("utf-8", "replace").rsplit(".", 1)[1], value.decode("utf-8", "replace")))
    return entries or None


def config_path(repo: Repo) -> Path:
    """The repository's own config file (the common one, for a linked work tree)."""
    return common_dir(repo.git_dir) / "config"


def apply_changes(repo: Repo, changes: list[ConfigChange], force: bool = False) -> None:
    """Bring each section from its `old` to its `new` entries in one atomic rewrite of the config.

    Unless FORCE, refuse (ConfigMovedError, nothing written) when a section is not at `old`.
    """
    if not changes:
        return
    path = config_path(repo)
    scratch = repo.uq_dir() / f"config.edit.{os.getpid()}"
    try:
        original = path.read_bytes() if path.exists() else b""
        scratch.write_bytes(original)
        for change in changes:
            current = read_section(repo, change.section, scratch)
            if not force and current != change.old:
                raise ConfigMovedError(
                    f"The git config section [{change.section}] was changed since (by `git config`?); "
                    "nothing was changed. Look at it with `git config --get-regexp "
                    f"'^{change.section}\\.'`.",
                    hint="Or use --force.",
                    details=f"expected: {change.old}\nfound: {current}",
                )
            if current is not None:
                _config_file(repo, scratch, ["--remove-section", change.section])
            for key, value in change.new or []:
                _config_file(repo, scratch, ["--add", f"{change.section}.{key}", value])
        # Hold git's lock only for the swap, so a killed process almost never leaves it behind.
        _replace_locked(path, original, scratch.read_bytes())
    except OSError as exc:
        raise _not_writable(path, exc) from exc
    finally:
        scratch.unlink(missing_ok=True)
        Path(str(scratch) + ".lock").unlink(missing_ok=True)


def ensure_config_writable(repo: Repo) -> None:
    """Raise the error apply_changes() would, before anything moves, when the config cannot be written.

    Taking git's config.lock for a moment is the one sure test (permissions, read-only mounts,
    immutable folders, a git holding the lock); a command checks this before it moves refs, so
    that it never has refs to put back that git may then refuse to move too.
    """
    path = config_path(repo)
    try:
        fd = _take_lock(path.with_name(path.name + ".lock"))
    except OSError as exc:
        raise _not_writable(path, exc) from exc
    os.close(fd)
    path.with_name(path.name + ".lock").unlink(missing_ok=True)


def _not_writable(path: Path, exc: OSError) -> UqError:
    return UqError(
        f"The repository's git config {path} cannot be written ({exc.strerror or exc}); nothing was "
        f"changed. Make {path.parent} and the config writable, then try again.",
        title="Config not writable",
    )


def _replace_locked(path: Path, expected: bytes, data: bytes) -> None:
    """Replace PATH with DATA under PATH.lock, if PATH still holds EXPECTED (else ConfigMovedError)."""
    lock = path.with_name(path.name + ".lock")
    fd = _take_lock(lock)
    committed = False
    try:
        if (path.read_bytes() if path.exists() else b"") != expected:
            raise ConfigMovedError("The repository's git config was changed while uq was writing it; nothing "
                                   "was changed. Try again.")
        if path.exists():
            # Keep the config's mode (it may be private: sendemail passwords), as git config does.
            os.fchmod(fd, path.stat().st_mode & 0o7777)
        with os.fdopen(fd, "wb") as out:
            fd = -1  # the file object owns it now
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(lock, path)
        committed = True
    finally:
        if fd >= 0:
            os.close(fd)
        if not committed:
            lock.unlink(missing_ok=True)


def _take_lock(lock: Path) -> int:
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            return os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            if time.monotonic() >= deadline:
                raise UqError(
                    f"Another git process is writing the repository's config ({lock} exists); nothing "
                    "was changed. Try again when it has finished; if no git is running, a crashed git "
                    "left that file behind: remove it.",
                    title="Repository busy",
                ) from None
            time.sleep(0.05)


def _config_file(repo: Repo, file: Path, args: list[str]) -> None:
    proc = run_git(repo.git_dir, ["config", "--file", str(file), *args], check=False)
    if proc.returncode != 0:
        raise UqError(f"git config {args[0]} failed: {proc.stderr.decode('utf-8', 'replace').strip()}",
                      details=f"git config --file {file} {' '.join(args)}", title="git config failed")


def _regex_escape(text: str) -> str:
    return "".join("\\" + ch if ch in r".^$*+?()[]{}|\\" else ch for ch in text)
