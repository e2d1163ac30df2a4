"""Keyring backends for tests: in memory (same process), or a JSON file for helpers git starts (fake passwords only)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Passwords in a dict: set with keyring.set_keyring() in the test's own process."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """The stored password or None."""
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a password."""
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Forget a password; PasswordDeleteError if there is none."""
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class FileKeyring(MemoryKeyring):
    """A MemoryKeyring saved to $UQ_TEST_KEYRING: shared with the `uq credential` git runs (test data only)."""

    def __init__(self) -> None:
        super().__init__()
        self.path = Path(os.environ["UQ_TEST_KEYRING"])
        if self.path.exists():
            self.items = {(s, u): p for s, u, p in json.loads(self.path.read_text())}

    def _save(self) -> None:
        self.path.write_text(json.dumps([[s, u, p] for (s, u), p in self.items.items()]))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a password and save the file."""
        super().set_password(service, username, password)
        self._save()

    def delete_password(self, service: str, username: str) -> None:
        """Forget a password and save the file."""
        super().delete_password(service, username)
        self._save()


class UnreachableKeyring(MemoryKeyring):
    """A backend whose transport fails with its own error, as the Secret Service's D-Bus does (a service
    that timed out starting): keyring passes such errors through unwrapped."""

    def get_password(self, *args: str) -> str | None:
        """Fails like a D-Bus call that timed out."""
        raise TimeoutError("Failed to activate service 'org.freedesktop.secrets': timed out")

    set_password = get_password  # type: ignore[assignment]
    delete_password = get_password  # type: ignore[assignment]
