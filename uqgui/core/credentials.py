"""A git credential helper backed by the system keyring (`uq credential get|store|erase`).

git talks to it with its credential helper protocol: `key=value` lines on stdin, and for `get`
the username and password on stdout. Passwords live only in the keyring (Secret Service on
Linux), never in a file; with no usable keyring, `get` answers nothing (git then fails with the
auth error that says what to do) and `store`/`erase` say so on stderr. A password the user typed
for this session only reaches the helper through the environment of the one git it is for.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

SERVICE = "uqgui git"
# A password typed in for one fetch ("remember" unchecked): the helper answers it for that host only.
SESSION_FOR, SESSION_USERNAME, SESSION_PASSWORD = ("UQGUI_CREDENTIAL_FOR", "UQGUI_CREDENTIAL_USERNAME",
                                                   "UQGUI_CREDENTIAL_PASSWORD")


class NoKeyringAvailable(Exception):
    """No usable keyring backend (no Secret Service running: keyring's fail backend, or null by choice)."""


def helper_command() -> str:
    """The `credential.helper` value that runs this helper with the running interpreter."""
    # '!' makes git run the rest as a shell snippet, with the action (get/store/erase) appended.
    if getattr(sys, "frozen", False):
        # In the PyInstaller bundle sys.executable is the GUI; the `uq` executable sits beside it.
        return f"!{shlex.quote(str(Path(sys.executable).with_name('uq')))} credential"
    return f"!{shlex.quote(sys.executable)} -m uqgui.cli credential"


def site_of(url: str) -> str:
    """`protocol://host[:port]` of a URL: the keyring key of its credentials (git's own default match)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}"


def parse_request(lines: Iterable[str]) -> dict[str, str]:
    """git's `key=value` lines, up to a blank line; a `url=` is split into protocol and host."""
    fields: dict[str, str] = {}
    for line in lines:
        line = line.rstrip("\r\n")
        if not line:
            break
        key, sep, value = line.partition("=")
        if sep:
            fields[key] = value
    if "url" in fields and not fields.get("host"):
        parts = urlsplit(fields["url"])
        fields.setdefault("protocol", parts.scheme)
        fields["host"] = site_of(fields["url"]).split("://", 1)[1]
        if parts.username and "username" not in fields:
            fields["username"] = parts.username
    return fields


def _keyring() -> object:
    """The keyring module, once it is known to have a usable backend."""
    import keyring
    from keyring.backends import fail, null

    # null.Keyring is how a user turns keyring off: storing there would silently keep nothing.
    if isinstance(keyring.get_keyring(), (fail.Keyring, null.Keyring)):
        raise NoKeyringAvailable("no keyring backend is available")
    return keyring


def _user_key(site: str) -> str:
    # The username is stored too, so `get` works when git does not know it yet.
    return f"{site} username"


def _password_key(site: str, username: str) -> str:
    return f"{username}@{site}"


def save_credential(url: str, username: str, password: str) -> None:
    """Store USERNAME's password for URL's site in the system keyring; NoKeyringAvailable if there is none."""
    ring = _keyring()
    site = site_of(url)

    def store() -> None:
        ring.set_password(SERVICE, _password_key(site, username), password)  # type: ignore[attr-defined]
        ring.set_password(SERVICE, _user_key(site), username)  # type: ignore[attr-defined]

    _guarded(store)


def lookup_credential(site: str, username: str | None = None) -> tuple[str, str] | None:
    """(username, password) stored for SITE, or None; NoKeyringAvailable if there is no keyring."""
    ring = _keyring()

    def look_up() -> tuple[str, str] | None:
        user = username or ring.get_password(SERVICE, _user_key(site))  # type: ignore[attr-defined]
        if not user:
            return None
        password = ring.get_password(SERVICE, _password_key(site, user))  # type: ignore[attr-defined]
        return (user, password) if password is not None else None

    return _guarded(look_up)


def erase_credential(site: str, username: str | None = None) -> bool:
    """Forget the password stored for SITE (and USERNAME); True if there was one."""
    import keyring.errors

    ring = _keyring()

    def erase() -> bool:
        user = username or ring.get_password(SERVICE, _user_key(site))  # type: ignore[attr-defined]
        if not user:
            return False
        try:
            ring.delete_password(SERVICE, _password_key(site, user))  # type: ignore[attr-defined]
        except keyring.errors.PasswordDeleteError:
            return False
        return True

    return _guarded(erase)


def _guarded(call: Callable[[], T]) -> T:
    """CALL on the keyring, its failures as NoKeyringAvailable or keyring's KeyringError only.

    Backends let their transport's own errors through (the Secret Service's D-Bus errors, such
    as a service that timed out starting): callers, and git reading the helper, get one sentence.
    """
    import keyring.errors

    try:
        return call()
    except keyring.errors.NoKeyringError as exc:
        raise NoKeyringAvailable(str(exc)) from exc
    except keyring.errors.KeyringError:
        raise
    except Exception as exc:  # noqa: BLE001 (whatever the backend raised, named by its type and message)
        raise keyring.errors.KeyringError(f"{type(exc).__name__}: {exc}") from exc


def session_environment(url: str, username: str, password: str) -> dict[str, str]:
    """Environment for one git run so the helper answers this password for URL's site only."""
    return {SESSION_FOR: site_of(url), SESSION_USERNAME: username, SESSION_PASSWORD: password}


def run_helper(action: str, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """One exchange of git's credential helper protocol; the exit status (0 for get, 1 if nothing could be stored)."""
    import keyring.errors

    fields = parse_request(stdin)
    protocol, host = fields.get("protocol", ""), fields.get("host", "")
    if not protocol or not host:
        return 0  # nothing to key on: answer nothing, as git expects from a helper that cannot help
    site = f"{protocol}://{host}"
    username = fields.get("username") or None
    try:
        if action == "get":
            found = _session(site, username)
            if found is None:
                found = lookup_credential(site, username)
            if found is not None:
                # The one place a password is printed: to git, on the pipe it reads.
                stdout.write(f"username={found[0]}\npassword={found[1]}\n")
        elif action == "store":
            if os.environ.get(SESSION_PASSWORD):
                return 0  # typed in for this fetch only: the UI stored it already if asked to
            if username and fields.get("password"):
                save_credential(site, username, fields["password"])
        elif action == "erase":
            erase_credential(site, username)
    except NoKeyringAvailable:
        if action != "get":
            stderr.write(f"uq credential {action}: no system keyring is available (no Secret Service running), "
                         "so nothing was stored or erased.\n")
            return 1
        return 0
    except keyring.errors.KeyringError as exc:
        # The keyring's own message names the backend's problem; it never holds the password.
        kind = "" if type(exc) is keyring.errors.KeyringError else f"{type(exc).__name__}: "  # _guarded() named it
        stderr.write(f"uq credential {action}: the system keyring failed: {kind}{exc}\n")
        return 0
    return 0


def _session(site: str, username: str | None) -> tuple[str, str] | None:
    """The credential the UI passed for this one fetch, if it is for SITE (and USERNAME)."""
    password = os.environ.get(SESSION_PASSWORD)
    user = os.environ.get(SESSION_USERNAME, "")
    if not password or os.environ.get(SESSION_FOR) != site or (username and username != user):
        return None
    return user, password
