"""Fetch: remotes of the profile's refs, progress, typed errors (offline, auth, missing), cancel; the toolbar action."""

from __future__ import annotations

import asyncio
import http.server
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.conftest import WAIT_MS, wait_idle
from tests.ui.scenario import DOWNSTREAM, UPSTREAM, Scenario
from uqgui.core.fetch import (AuthError, FetchError, NoRemoteError, OfflineError, RemoteMissingError,
                              classify_failure, fetch_remote, fetch_remotes, parse_progress, remotes_for_refs)


def git(path: Path, *args: str) -> str:
    # Local transports only: the tests' global config allows none, for no network.
    return subprocess.run(["git", "-c", "protocol.file.allow=always", "-C", str(path), *args], capture_output=True,
                          text=True, check=True).stdout.strip()


def with_remotes(scenario: Scenario, tmp_path: Path) -> dict[str, Path]:
    """Bare 'qemu' and 'qemu-kvm' remotes holding the scenario's two trees, one new commit on each."""
    repo = scenario.path
    # The tests' global config allows no transport at all (no network); these remotes are local.
    git(repo, "config", "protocol.file.allow", "always")
    remotes = {}
    for name, ref in (("qemu", UPSTREAM), ("qemu-kvm", DOWNSTREAM)):
        bare = tmp_path / f"{name}.git"
        git(tmp_path, "init", "-q", "--bare", str(bare))
        git(repo, "push", "-q", str(bare), f"{ref}:refs/heads/master")
        git(repo, "remote", "add", name, str(bare))
        # The remote moves on: a new commit on its master that this clone has not seen (with a
        # few new files, so git has objects to count and receive, and says so).
        work = tmp_path / f"{name}-work"
        git(tmp_path, "clone", "-q", str(bare), str(work))
        for i in range(20):
            (work / f"{name}-{i}.c").write_text(f"int {name.replace('-', '_')}_{i};\n" * (i + 1))
        git(work, "add", ".")
        git(work, "-c", "user.name=U", "-c", "user.email=u@e", "commit", "-q", "-m",
            f"{name}: a new commit upstream of us")
        git(work, "push", "-q", "origin", "HEAD:refs/heads/master")
        remotes[name] = bare
    return remotes


def run(coro):
    return asyncio.run(coro)


# -- pure parts ------------------------------------------------------------------------------------
def test_progress_lines():
    assert parse_progress("remote: Counting objects:  45% (9/20)") == ("Counting objects", 9, 20)
    assert parse_progress("Receiving objects: 100% (20/20), 1.2 KiB | 1.2 MiB/s, done.") == (
        "Receiving objects", 20, 20)
    assert parse_progress("From /tmp/up") is None


@pytest.mark.parametrize(("output", "kind"), [
    ("git@example.org: Permission denied (publickey).\nfatal: Could not read from remote repository.", AuthError),
    ("fatal: could not read Username for 'https://example.org': terminal prompts disabled", AuthError),
    ("fatal: Authentication failed for 'https://example.org/q.git/'", AuthError),
    ("ssh: connect to host example.org port 22: Connection refused\nfatal: Could not read from remote repository.",
     OfflineError),
    ("fatal: unable to access 'https://example.org/': Could not resolve host: example.org", OfflineError),
    ("fatal: '/gone.git' does not appear to be a git repository\nfatal: Could not read from remote repository.",
     RemoteMissingError),
    ("fatal: transport 'file' not allowed", FetchError),
])
def test_failures_are_classified(output, kind):
    error = classify_failure("qemu", "https://example.org/q.git", 128, output)
    assert type(error) is kind
    assert "qemu" in error.message and output.splitlines()[0] in error.details
    assert "password" not in error.message.lower() or "never stores" in error.message


def test_remotes_of_the_profile_refs(scenario: Scenario, tmp_path: Path):
    with_remotes(scenario, tmp_path)
    git(scenario.path, "fetch", "-q", "qemu")
    git(scenario.path, "remote", "add", "team/qemu", str(tmp_path / "qemu.git"))
    git(scenario.path, "fetch", "-q", "team/qemu")
    git_dir = (scenario.path / ".git").resolve()
    assert remotes_for_refs(git_dir, ["qemu-kvm/master", "refs/remotes/qemu/master"]) == ["qemu-kvm", "qemu"]
    assert remotes_for_refs(git_dir, ["team/qemu/master"]) == ["team/qemu"]  # the longest remote name wins
    assert remotes_for_refs(git_dir, ["uq/master"]) == []  # a local branch without an upstream
    git(scenario.path, "config", "branch.uq/master.remote", "qemu")
    assert remotes_for_refs(git_dir, ["uq/master"]) == ["qemu"]


# -- real fetches ----------------------------------------------------------------------------------
def test_fetch_from_a_local_bare_remote_reports_progress_and_refs(scenario: Scenario, tmp_path: Path):
    with_remotes(scenario, tmp_path)
    git_dir = (scenario.path / ".git").resolve()
    reports: list[tuple[str, int, int]] = []
    results = run(fetch_remotes(git_dir, ["qemu", "qemu-kvm"], lambda *a: reports.append(a)))
    assert [r.remote for r in results] == ["qemu", "qemu-kvm"]
    assert results[0].updated == ["qemu/master"] and results[1].updated == ["qemu-kvm/master"]
    assert results[0].url == str(tmp_path / "qemu.git")
    assert reports and all(stage.startswith("Fetching q") for stage, _, _ in reports)
    assert "a new commit upstream" in git(scenario.path, "log", "-1", "--format=%s", "qemu/master")
    again = run(fetch_remote(git_dir, "qemu"))
    assert again.updated == [] and again.moved == []


def test_a_fetch_is_logged_and_undone_like_any_operation(scenario: Scenario, tmp_path: Path):
    """The refs a fetch moved go into the operation log; undo puts them back, redo moves them again."""
    from uqgui.core.oplog import OperationLog
    from uqgui.core.repo import Repo
    from uqgui.ui.queries import record_fetch

    with_remotes(scenario, tmp_path)
    git(scenario.path, "fetch", "-q", "qemu")  # the remote-tracking ref exists before our fetch
    old = git(scenario.path, "rev-parse", "refs/remotes/qemu/master")
    git(scenario.path, "update-ref", "refs/remotes/qemu/master", f"{old}~1")
    before = git(scenario.path, "for-each-ref", "refs/remotes/")
    git_dir = (scenario.path / ".git").resolve()
    results = run(fetch_remotes(git_dir, ["qemu", "qemu-kvm"]))
    moved = [change for r in results for change in r.moved]
    assert ("refs/remotes/qemu/master", git(scenario.path, "rev-parse", f"{old}~1"), old) in moved
    assert "refs/remotes/qemu-kvm/master" in {name for name, _, _ in moved}
    after = git(scenario.path, "for-each-ref", "refs/remotes/")
    op = record_fetch(scenario.path, "qemu, qemu-kvm", moved, lambda *a: None)
    assert op.command == "fetch" and op.state == "done"
    log = OperationLog(Repo(scenario.path))
    try:
        log.undo()
        assert git(scenario.path, "for-each-ref", "refs/remotes/") == before
        log.redo()
        assert git(scenario.path, "for-each-ref", "refs/remotes/") == after
    finally:
        log.close()


def test_a_missing_remote_path_says_what_to_do(scenario: Scenario, tmp_path: Path):
    git(scenario.path, "config", "protocol.file.allow", "always")
    git(scenario.path, "remote", "add", "gone", f"file://{tmp_path / 'no-such.git'}")
    with pytest.raises(RemoteMissingError) as caught:
        run(fetch_remote((scenario.path / ".git").resolve(), "gone"))
    assert "git remote set-url gone" in caught.value.message
    assert "does not appear to be a git repository" in caught.value.details


def test_connection_refused_is_offline(scenario: Scenario):
    git(scenario.path, "config", "protocol.http.allow", "always")
    git(scenario.path, "remote", "add", "down", "http://127.0.0.1:9/qemu.git")
    with pytest.raises(OfflineError) as caught:
        run(fetch_remote((scenario.path / ".git").resolve(), "down"))
    assert "Check your connection" in caught.value.message and caught.value.title == "Remote not reachable"


class _Handler(http.server.BaseHTTPRequestHandler):
    """401 for everything: a server that wants credentials we do not have."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="queue"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def auth_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/qemu.git"
    server.shutdown()
    server.server_close()


def test_a_server_asking_for_credentials_is_an_auth_error(scenario: Scenario, auth_server: str, monkeypatch):
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    git(scenario.path, "config", "protocol.http.allow", "always")
    git(scenario.path, "remote", "add", "private", auth_server)
    with pytest.raises(AuthError) as caught:
        run(fetch_remote((scenario.path / ".git").resolve(), "private"))
    assert "credential helper" in caught.value.message and "ssh-add" in caught.value.message


@pytest.fixture
def silent_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """Accepts connections and never answers: a fetch that hangs until cancelled."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/slow.git", accepted
    stop.set()
    for conn in accepted:
        conn.close()
    listener.close()


def test_cancel_kills_git_and_its_helper(scenario: Scenario, silent_server, monkeypatch):
    url, accepted = silent_server
    monkeypatch.delenv("http_proxy", raising=False)
    git(scenario.path, "config", "protocol.http.allow", "always")
    git(scenario.path, "remote", "add", "slow", url)
    port = url.split(":")[2].split("/")[0]

    async def cancel_soon() -> float:
        task = asyncio.ensure_future(fetch_remote((scenario.path / ".git").resolve(), "slow"))
        deadline = time.monotonic() + 10
        while not accepted and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    assert run(cancel_soon()) < 5
    leftovers = [p for p in Path("/proc").glob("[0-9]*/cmdline")
                 if port in p.read_bytes().decode(errors="replace") if p.exists()]
    assert not leftovers, "git (or git-remote-http) survived the cancel"


def test_no_remote_to_fetch_says_so():
    with pytest.raises(NoRemoteError):
        run(fetch_remotes(Path("/nonexistent"), []))


def test_no_remote_to_fetch_says_why_for_each_ref(scenario: Scenario):
    """Remote-tracking refs whose remote is not configured (the demo's) are not 'local branches'."""
    git_dir = Path(scenario.builder.git("rev-parse", "--absolute-git-dir").strip())
    scenario.builder.git("branch", "downstream", "refs/remotes/qemu-kvm/master")
    refs = ["refs/remotes/qemu/master", "refs/heads/downstream"]  # the scenario has no remotes
    assert remotes_for_refs(git_dir, refs) == []
    with pytest.raises(NoRemoteError) as raised:
        run(fetch_remotes(git_dir, [], refs=refs))
    message = raised.value.message
    assert "qemu/master is a remote-tracking ref of 'qemu', but no remote of that name is configured" in message
    assert "downstream is a local branch without an upstream" in message
    assert "git remote add NAME URL" in message


# -- the window ------------------------------------------------------------------------------------
def test_fetch_action_updates_refs_and_the_lists(qtbot, opened, scenario: Scenario, tmp_path: Path):
    with_remotes(scenario, tmp_path)
    # The profile names the remote-tracking refs the remotes fetch into.
    assert opened.action_fetch.isEnabled()
    before = opened.downstream_model.rowCount()
    with qtbot.waitSignal(opened.fetch_finished, timeout=WAIT_MS) as done:
        opened.action_fetch.trigger()
    assert "Fetched qemu-kvm, qemu: 2 refs updated" in done.args[0]
    wait_idle(qtbot, opened)
    assert opened.downstream_model.rowCount() == before + 1
    assert opened.action_undo.isEnabled()  # the fetch is in the operation log: Ctrl+Z undoes it
    assert "qemu-kvm: a new commit upstream of us" in {opened.downstream_model.index(r, 1).data()
                                             for r in range(opened.downstream_model.rowCount())}


def test_fetch_offline_shows_what_to_do(qtbot, opened, scenario: Scenario):
    git(scenario.path, "config", "protocol.http.allow", "always")
    git(scenario.path, "remote", "add", "qemu", "http://127.0.0.1:9/qemu.git")
    with qtbot.waitSignal(opened.error_shown, timeout=WAIT_MS) as shown:
        opened.fetch()
    dialog = shown.args[0]
    assert dialog.title == "Remote not reachable" and "Check your connection" in dialog.message
    assert "127.0.0.1" in dialog.details
    dialog.close()
    wait_idle(qtbot, opened)


def test_fetch_cancel_from_the_status_bar(qtbot, opened, scenario: Scenario, silent_server, monkeypatch):
    url, accepted = silent_server
    monkeypatch.delenv("http_proxy", raising=False)
    git(scenario.path, "config", "protocol.http.allow", "always")
    git(scenario.path, "remote", "add", "qemu", url)
    task = opened.fetch()
    qtbot.waitUntil(lambda: bool(accepted), timeout=WAIT_MS)
    assert opened.progress_pane.cancel.isVisible() or opened.ops.busy
    opened.progress_pane.cancel.click()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert task.cancelled()
    assert "cancelled" in opened.statusBar().currentMessage()
    wait_idle(qtbot, opened)


def _oplog(scenario: Scenario) -> list[dict]:
    from uqgui.core.oplog import OperationLog
    from uqgui.core.repo import Repo

    log = OperationLog(Repo(scenario.path))
    try:
        return [op.to_json() for op in log.operations()]
    finally:
        log.close()


def test_a_fetch_cancelled_half_way_logs_what_git_had_moved(qtbot, opened, scenario: Scenario, tmp_path: Path,
                                                            silent_server, monkeypatch):
    """qemu-kvm is fetched, qemu hangs and is cancelled: the qemu-kvm refs that moved are undoable."""
    url, accepted = silent_server
    monkeypatch.delenv("http_proxy", raising=False)
    with_remotes(scenario, tmp_path)
    git(scenario.path, "config", "protocol.http.allow", "always")
    git(scenario.path, "remote", "set-url", "qemu", url)
    before = git(scenario.path, "for-each-ref", "refs/remotes/", "refs/tags/")
    task = opened.fetch()
    qtbot.waitUntil(lambda: bool(accepted), timeout=WAIT_MS)  # qemu-kvm is done, qemu hangs
    opened.progress_pane.cancel.click()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert task.cancelled()
    assert "1 ref git had updated stay" in opened.statusBar().currentMessage()
    wait_idle(qtbot, opened)
    fetches = [op for op in _oplog(scenario) if op["command"] == "fetch"]
    assert len(fetches) == 1
    assert [change["name"] for change in fetches[0]["refs"]] == ["refs/remotes/qemu-kvm/master"]
    assert opened.action_undo.isEnabled()
    opened.undo()
    wait_idle(qtbot, opened)
    assert git(scenario.path, "for-each-ref", "refs/remotes/", "refs/tags/") == before


def test_a_fetch_failing_half_way_logs_what_git_had_moved(qtbot, opened, scenario: Scenario, tmp_path: Path):
    with_remotes(scenario, tmp_path)
    git(scenario.path, "config", "protocol.http.allow", "always")
    git(scenario.path, "remote", "set-url", "qemu", "http://127.0.0.1:9/qemu.git")
    with qtbot.waitSignal(opened.error_shown, timeout=WAIT_MS) as shown:
        opened.fetch()
    dialog = shown.args[0]
    assert "qemu-kvm fetched fine" in dialog.message
    dialog.close()
    wait_idle(qtbot, opened)
    fetches = [op for op in _oplog(scenario) if op["command"] == "fetch"]
    assert [[change["name"] for change in op["refs"]] for op in fetches] == [["refs/remotes/qemu-kvm/master"]]


def test_fetch_asks_for_credentials_and_retries_once(qtbot, opened, scenario: Scenario, tmp_path: Path, monkeypatch):
    """A server wanting a password: a non-modal dialog asks, the fetch runs again with it (no keyring here)."""
    from tests.git_http import git_http_server
    from uqgui.ui.widgets.credentials_dialog import CredentialsDialog

    monkeypatch.delenv("http_proxy", raising=False)
    with_remotes(scenario, tmp_path)
    git(scenario.path, "config", "protocol.http.allow", "always")
    with git_http_server(tmp_path, "maintainer", "s3cret-for-tests") as (base, seen):
        git(scenario.path, "remote", "set-url", "qemu", f"{base}/qemu.git")
        with qtbot.waitSignal(opened.credentials_asked, timeout=WAIT_MS) as asked:
            opened.action_fetch.trigger()
        dialog = asked.args[0]
        assert isinstance(dialog, CredentialsDialog) and dialog.isVisible() and dialog.remember.isChecked()
        assert dialog.site == base
        dialog.username.setText("maintainer")
        dialog.password.setText("s3cret-for-tests")
        with qtbot.waitSignal(opened.fetch_finished, timeout=WAIT_MS) as done:
            dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
        assert "Fetched qemu-kvm, qemu" in done.args[0]
        import shiboken6

        assert not shiboken6.isValid(dialog)  # the dialog (and the password it held) is gone
        assert any(s is not None for s in seen)
    wait_idle(qtbot, opened)


def test_a_fetch_cancelled_while_waiting_for_another_command_ends_cancelled(qtbot, opened, scenario: Scenario,
                                                                           tmp_path: Path):
    import asyncio

    with_remotes(scenario, tmp_path)
    before = git(scenario.path, "for-each-ref", "refs/remotes/")

    async def hold_lock_then_fetch() -> bool:
        async with opened._command_lock:  # another command holds it
            task = asyncio.ensure_future(opened._fetch(["qemu-kvm/master", "qemu/master"]))
            await asyncio.sleep(0.5)  # the fetch has found its remotes and waits for the lock
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                return True
            return False

    done = opened.ops.spawn(hold_lock_then_fetch())
    qtbot.waitUntil(done.done, timeout=WAIT_MS)
    assert done.result() is True  # cancelled, not an error about a variable never set
    wait_idle(qtbot, opened)
    assert git(scenario.path, "for-each-ref", "refs/remotes/") == before
