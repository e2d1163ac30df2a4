"""Typed errors: each carries a title, a message a person can act on, details, and a command-line hint.

The message is for both faces: what happened and what to do, with git commands where git is the
way on. What only `uq` can follow (an option, a uq command) goes in the hint, which uq prints after
the message and the window leaves out: the window has menus for that, not options.
"""

from __future__ import annotations


class UqError(Exception):
    """Base of every error the core raises on purpose; never a traceback for the user."""

    title = "uqgui error"
    exit_status = 1

    def __init__(self, message: str, details: str = "", title: str | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.hint = hint
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message

    def for_command_line(self) -> str:
        """The message as uq prints it: the hint (uq's options and commands) after it."""
        return f"{self.message} {self.hint}" if self.hint else self.message


class NotARepositoryError(UqError):
    """The path given is not a git repository."""

    title = "Not a git repository"


class EmptyRepositoryError(UqError):
    """The repository has no commits yet."""

    title = "Empty repository"


class RefNotFoundError(UqError):
    """A ref or revision does not resolve to a commit."""

    title = "Unknown revision"


class ProfileError(UqError):
    """A queue profile is missing, incomplete or invalid."""

    title = "Queue profile problem"


class GitCommandError(UqError):
    """A git subprocess failed; details hold the command, exit status and stderr."""

    title = "git failed"


class MissingObjectError(UqError):
    """An object needed for the job is not in the repository (partial or damaged clone)."""

    title = "Missing git object"


class RefMovedError(UqError):
    """A ref no longer points where the command expected: someone else moved it."""

    title = "Branch moved meanwhile"
    # Set when an undo or redo was refused: the operation a forced retry must still be about.
    operation_id: int | None = None


class ConfigMovedError(RefMovedError):
    """A config section no longer holds what the command expected: someone else changed it."""

    title = "Configuration changed meanwhile"


class ConflictError(UqError):
    """Applying a commit conflicts; nothing was changed."""

    title = "Conflict"
    exit_status = 3

    def __init__(self, message: str, commit: str, paths: list[str], details: str = "", hint: str = "") -> None:
        super().__init__(message, details, hint=hint)
        self.commit = commit
        self.paths = paths


class NothingToUndoError(UqError):
    """The operation log has nothing to undo or redo."""

    title = "Nothing to undo"


class QueueShapeError(UqError):
    """The queue branch is not a linear series on top of its upstream."""

    title = "Queue is not a linear series"


class FetchError(UqError):
    """A fetch failed for a reason not recognised below; details hold git's output."""

    title = "Fetch failed"


class OfflineError(FetchError):
    """The remote could not be reached (no network, server down, wrong host or port)."""

    title = "Remote not reachable"


class AuthError(FetchError):
    """The remote refused our credentials, or there were none to give."""

    title = "Authentication failed"
    url = ""  # the remote's URL, so the UI can ask for that site's password


class RemoteMissingError(FetchError):
    """The remote's URL does not name a repository (moved, deleted, or mistyped)."""

    title = "Remote repository not found"


class NoRemoteError(FetchError):
    """The profile's refs do not come from any remote, so there is nothing to fetch."""

    title = "Nothing to fetch"


class UqDirUnavailableError(UqError):
    """uqgui's own folder in the repository cannot be created (a read-only git dir)."""

    title = "Repository not writable"


class RefNameEncodingError(UqError):
    """A ref name that is not UTF-8: uqgui keeps names in its config and log as text."""

    title = "Branch name not UTF-8"
