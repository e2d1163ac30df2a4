"""The keyring-backed git credential helper: the protocol, fetches that use it, and a real Secret Service."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from tests.git_http import git_http_server
from tests.keyring_backend import MemoryKeyring
from uqgui import cli
from uqgui.core import credentials
from uqgui.core.fetch import AuthError, fetch_remote

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "maintainer", "s3cret-for-tests"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring for this process, the previous backend restored after."""
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@contextmanager
def file_keyring() -> Iterator[None]:
    """This process on the file keyring the helpers git starts use (as $UQ_TEST_KEYRING says)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.core.load_keyring("tests.keyring_backend.FileKeyring"))
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def helper(action: str, request: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
           ) -> tuple[int, str, str]:
    """Run `uq credential ACTION` in-process with REQUEST on stdin: (status, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(request))
    status = cli.main(["credential", action])
    out, err = capsys.readouterr()
    return status, out, err


# -- the protocol ----------------------------------------------------------------------------------
def test_store_get_erase(memory_keyring: MemoryKeyring, monkeypatch, capsys):
    request = "protocol=https\nhost=git.example.org\n"
    assert helper("get", request + "\n", monkeypatch, capsys) == (0, "", "")
    assert helper("store", f"{request}username={USER}\npassword={PASSWORD}\n\n", monkeypatch, capsys)[0] == 0
    assert helper("get", request, monkeypatch, capsys) == (0, f"username={USER}\npassword={PASSWORD}\n", "")
    # git may send the username it already knows, or a url= line instead of protocol and host.
    assert helper("get", f"{request}username={USER}\n", monkeypatch, capsys)[1].endswith(f"password={PASSWORD}\n")
    assert helper("get", "url=https://git.example.org/qemu.git\n", monkeypatch, capsys)[1].startswith("username=")
    assert helper("get", f"{request}username=someone-else\n", monkeypatch, capsys)[1] == ""
    assert helper("get", "protocol=https\nhost=git.example.org:8443\n", monkeypatch, capsys)[1] == ""
    assert all(PASSWORD not in key for _, key in memory_keyring.items)  # keys never hold the password
    assert helper("erase", f"{request}username={USER}\n", monkeypatch, capsys) == (0, "", "")
    assert helper("get", request, monkeypatch, capsys) == (0, "", "")


def test_save_credential_is_what_get_answers(memory_keyring: MemoryKeyring, monkeypatch, capsys):
    credentials.save_credential("https://git.example.org:8443/q.git", USER, PASSWORD)
    out = helper("get", "protocol=https\nhost=git.example.org:8443\n", monkeypatch, capsys)[1]
    assert out == f"username={USER}\npassword={PASSWORD}\n"


def test_no_keyring_get_is_silent_store_says_so(monkeypatch, capsys):
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert helper("get", "protocol=https\nhost=h\n", monkeypatch, capsys) == (0, "", "")
        status, out, err = helper("store", f"protocol=https\nhost=h\nusername=u\npassword={PASSWORD}\n",
                                  monkeypatch, capsys)
        assert status == 1 and out == "" and "no system keyring is available" in err and PASSWORD not in err
        assert "no system keyring" in helper("erase", "protocol=https\nhost=h\n", monkeypatch, capsys)[2]
        with pytest.raises(credentials.NoKeyringAvailable):
            credentials.save_credential("https://h/q.git", "u", PASSWORD)
    finally:
        keyring.set_keyring(previous)


def test_a_backend_failing_its_own_way_is_one_sentence_not_a_traceback(monkeypatch, capsys):
    from keyring.errors import KeyringError

    from tests.keyring_backend import UnreachableKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(UnreachableKeyring())
    try:
        for action, request in (("get", "protocol=https\nhost=h\n"),
                                ("store", f"protocol=https\nhost=h\nusername=u\npassword={PASSWORD}\n"),
                                ("erase", "protocol=https\nhost=h\n")):
            status, out, err = helper(action, request, monkeypatch, capsys)
            assert (status, out) == (0, "")
            assert err == (f"uq credential {action}: the system keyring failed: TimeoutError: "
                           "Failed to activate service 'org.freedesktop.secrets': timed out\n")
        with pytest.raises(KeyringError, match="TimeoutError"):  # what the GUI's dialog reports
            credentials.save_credential("https://h/q.git", "u", PASSWORD)
    finally:
        keyring.set_keyring(previous)


def test_session_credential_answers_its_site_only_and_is_not_stored(memory_keyring, monkeypatch, capsys):
    for key, value in credentials.session_environment("https://h/q.git", USER, PASSWORD).items():
        monkeypatch.setenv(key, value)
    assert helper("get", "protocol=https\nhost=h\n", monkeypatch, capsys)[1] == f"username={USER}\npassword={PASSWORD}\n"
    assert helper("get", "protocol=https\nhost=other\n", monkeypatch, capsys)[1] == ""
    helper("store", f"protocol=https\nhost=h\nusername={USER}\npassword={PASSWORD}\n", monkeypatch, capsys)
    assert memory_keyring.items == {}


def test_the_helper_is_a_shell_command_git_runs(tmp_path: Path):
    """git runs `!"python" -m uqgui.cli credential get` through the shell, quoting and all."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "tests.keyring_backend.FileKeyring",
           "UQ_TEST_KEYRING": str(tmp_path / "ring.json"), "PYTHONPATH": str(ROOT)}
    run = lambda action, text: subprocess.run(
        ["git", "-c", f"credential.helper={credentials.helper_command()}", "credential", action], input=text,
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True).stdout
    run("approve", f"protocol=https\nhost=h\nusername={USER}\npassword={PASSWORD}\n\n")
    assert f"password={PASSWORD}" in run("fill", "protocol=https\nhost=h\n\n")
    run("reject", f"protocol=https\nhost=h\nusername={USER}\n\n")
    assert "password" not in subprocess.run(
        ["git", "-c", f"credential.helper={credentials.helper_command()}", "credential", "fill"],
        input="protocol=https\nhost=h\n\n", capture_output=True, text=True,
        env={**env, "GIT_TERMINAL_PROMPT": "0"}, cwd=tmp_path, check=False).stdout


# -- fetching over http with the helper ------------------------------------------------------------
def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "protocol.file.allow=always", "-C", str(path), *args], capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, list[str | None]]]:
    """A clone whose 'private' remote is a repository served over http to USER:PASSWORD; the keyring a file."""
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    # The helper git starts is another process: it reads the same (test-only) file keyring.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_backend.FileKeyring")
    monkeypatch.setenv("UQ_TEST_KEYRING", str(tmp_path / "ring.json"))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q")
    (work / "a.c").write_text("int a;\n")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "first")
    git(tmp_path, "clone", "-q", "--bare", str(work), str(tmp_path / "srv" / "qemu.git"))
    clone = tmp_path / "clone"
    git(tmp_path, "init", "-q", str(clone))
    git(clone, "config", "protocol.http.allow", "always")
    with git_http_server(tmp_path / "srv", USER, PASSWORD) as (base, seen):
        git(clone, "remote", "add", "private", f"{base}/qemu.git")
        yield clone / ".git", seen


def test_a_password_in_the_keyring_is_used_by_the_fetch(served):
    git_dir, seen = served
    url = git(git_dir.parent, "remote", "get-url", "private")
    with file_keyring():
        credentials.save_credential(url, USER, PASSWORD)
    result = asyncio.run(fetch_remote(git_dir, "private"))
    assert result.updated == ["private/master"]
    assert seen[0] is None and seen[1] is not None and seen[1].startswith("Basic ")  # asked, then answered
    assert PASSWORD not in result.output


def test_without_a_stored_password_the_auth_error_says_what_to_do(served):
    git_dir, seen = served
    with pytest.raises(AuthError) as caught:
        asyncio.run(fetch_remote(git_dir, "private"))
    assert "system keyring" in caught.value.message and caught.value.url.endswith("/qemu.git")
    assert set(seen) == {None}


def test_a_session_password_fetches_without_storing(served, tmp_path: Path):
    git_dir, _ = served
    url = git(git_dir.parent, "remote", "get-url", "private")
    result = asyncio.run(fetch_remote(git_dir, "private", env=credentials.session_environment(url, USER, PASSWORD)))
    assert result.updated == ["private/master"]
    assert not (tmp_path / "ring.json").exists()  # git's `store` after success did not write the keyring


def test_a_refused_password_is_erased_from_the_keyring(served, tmp_path: Path):
    git_dir, _ = served
    url = git(git_dir.parent, "remote", "get-url", "private")
    with file_keyring():
        credentials.save_credential(url, USER, "wrong")
    with pytest.raises(AuthError):
        asyncio.run(fetch_remote(git_dir, "private"))
    with file_keyring():  # read the file again: git told its own helper process to erase the refused password
        assert credentials.lookup_credential(credentials.site_of(url)) is None


# -- a real Secret Service -------------------------------------------------------------------------
SECRET_SERVICE_SCRIPT = """
import keyring
from keyring.backends import SecretService
from uqgui.core import credentials
keyring.set_keyring(SecretService.Keyring())
credentials.save_credential("https://git.example.org/q.git", "maintainer", "s3cret-for-tests")
print(credentials.lookup_credential("https://git.example.org") == ("maintainer", "s3cret-for-tests"))
print(credentials.erase_credential("https://git.example.org"))
print(credentials.lookup_credential("https://git.example.org"))
"""


def test_a_real_secret_service_under_dbus(tmp_path: Path):
    """gnome-keyring's Secret Service in a private D-Bus session: store, read back, erase."""
    missing = [tool for tool in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)} (apt-get install dbus gnome-keyring)")
    (tmp_path / "probe.py").write_text(SECRET_SERVICE_SCRIPT)
    # The daemon reads the login keyring's password on stdin; its environment lines are not needed.
    script = (f"echo test-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "
              f"{sys.executable} {tmp_path / 'probe.py'}")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS")}
    proc = subprocess.run(["dbus-run-session", "--", "sh", "-c", script], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert proc.stdout.split() == ["True", "True", "None"], proc.stderr
