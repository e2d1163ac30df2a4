"""`uq` options that combine: selection by profile or revisions, --state with --json, --repo anywhere, demo targets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.builder import RepoBuilder
from tests.test_bad_input import uq
from uqgui.core.demo import build_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo repository (its master profile has a queue)."""
    return build_demo(tmp_path_factory.mktemp("demo") / "qemu-kvm")


def status(capsys: pytest.CaptureFixture[str], demo: Path, *extra: str) -> dict[str, Any]:
    code, out, err = uq(capsys, "--repo", str(demo), "status", "--json", *extra)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def test_state_filters_the_json_commits_and_keeps_the_whole_summary(capsys: pytest.CaptureFixture[str],
                                                                  demo: Path) -> None:
    everything = status(capsys, demo)
    landed = status(capsys, demo, "--state", "landed")
    assert {c["state"] for c in everything["commits"]} == {"landed", "queued", "remaining"}
    assert landed["commits"] == [c for c in everything["commits"] if c["state"] == "landed"]
    assert landed["summary"] == everything["summary"] and landed["summary"]["landed"] == len(landed["commits"])


def test_queue_given_with_a_profile_replaces_its_queue_branch(capsys: pytest.CaptureFixture[str], demo: Path) -> None:
    with_profile = status(capsys, demo)
    on_upstream = status(capsys, demo, "--queue", "qemu/master")
    assert on_upstream["queue"] == on_upstream["upstream"] != with_profile["queue"]
    assert on_upstream["summary"]["queued"] == 0 < with_profile["summary"]["queued"]


def test_a_profile_and_explicit_revisions_conflict(capsys: pytest.CaptureFixture[str], demo: Path) -> None:
    code, out, err = uq(capsys, "--repo", str(demo), "status", "--profile", "master",
                        "--downstream", "qemu-kvm/master", "--upstream", "qemu/master")
    assert code == 1 and out == ""
    assert "either --profile or --downstream and --upstream" in err


def test_repo_may_follow_the_command(capsys: pytest.CaptureFixture[str], demo: Path, tmp_path: Path) -> None:
    before = status(capsys, demo)
    code, out, err = uq(capsys, "status", "--json", "--repo", str(demo))
    assert code == 0, err
    assert json.loads(out) == before
    code, out, _ = uq(capsys, "profile", "list", "--repo", str(demo))
    assert code == 0 and out.startswith("master:")
    # Given both ways, the one after the command wins, as for any option given twice.
    code, _, err = uq(capsys, "--repo", str(tmp_path), "oplog", "--repo", str(demo))
    assert code == 0, err


@pytest.mark.parametrize("target", ["/proc/uqgui-demo", "a-file/demo"])
def test_demo_where_no_folder_can_be_made(capsys: pytest.CaptureFixture[str], tmp_path: Path, target: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("not a folder\n")
    code, out, err = uq(capsys, "demo", target)
    assert code == 1 and out == ""
    assert "Cannot create" in err and "new or empty directory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.parametrize("failure", [KeyboardInterrupt(), OSError(28, "No space left on device")])
@pytest.mark.parametrize("existed", [False, True])
def test_a_demo_build_stopped_half_way_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      failure: BaseException, existed: bool) -> None:
    from uqgui.core import demo as demo_module
    from uqgui.core.errors import UqError

    def fail(_git_dir: Path) -> None:
        raise failure

    target = tmp_path / "demo"
    if existed:
        target.mkdir()
    monkeypatch.setattr(demo_module, "_configure", fail)
    with pytest.raises(KeyboardInterrupt if isinstance(failure, KeyboardInterrupt) else UqError):
        build_demo(target)
    assert (target.exists(), list(target.iterdir()) if target.exists() else []) == (existed, [])


def test_status_text_draws_each_state_with_the_gui_glyph(capsys: pytest.CaptureFixture[str], demo: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # A UTF-8 locale, as a desktop has: in the C locale uq draws ASCII marks (tests/test_c_locale.py).
    for name in ("LC_ALL", "LC_CTYPE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    data = status(capsys, demo)
    code, out, err = uq(capsys, "--repo", str(demo), "status")
    assert code == 0, err
    marks = {line[3:15]: line[:2] for line in out.splitlines()[2:]}  # short id -> its two-column mark
    expected = {}
    for c in data["commits"]:
        match = c["match"]
        if c["state"] == "landed":
            expected[c["id"][:12]] = "✓ " if match["how"] == "patch-id" else "✓~"
        elif c["state"] == "queued":
            expected[c["id"][:12]] = "◐ "
        else:
            expected[c["id"][:12]] = "○ " if c["no_diff"] else "● "
    assert marks == expected
    summary = data["summary"]  # the counts line adds up, the commits without a diff among the remaining
    assert out.splitlines()[1] == (
        f"{summary['downstream_only']} downstream-only: {summary['remaining']} remaining ({summary['no_diff']} "
        f"without a diff), {summary['queued']} queued, {summary['landed']} landed ({summary['landed_exact']} "
        f"exact, {summary['landed_morphed']} morphed)")
    assert summary["remaining"] + summary["queued"] + summary["landed"] == summary["downstream_only"]
    assert sorted(set(marks.values())) == sorted({"● ", "◐ ", "✓ ", "✓~", "○ "})  # the demo has every state


def test_the_counts_line_names_only_the_remaining_commits_without_a_diff(capsys: pytest.CaptureFixture[str],
                                                                         builder: RepoBuilder) -> None:
    """An empty commit whose trailer names its upstream twin is landed, not one of the remaining."""
    base = builder.commit("base", {"a.c": "a\n"}, ref="refs/heads/up")
    builder.ref("refs/heads/down", base)
    twin = builder.commit("kvm: tag the release", {"b.c": "b\n"}, ref="refs/heads/up")
    builder.commit(f"kvm: tag the release\n\n(cherry picked from commit {twin})\n", {}, ref="refs/heads/down")
    builder.commit("kvm: another tag", {}, ref="refs/heads/down")
    builder.commit("kvm: a change", {"c.c": "c\n"}, ref="refs/heads/down")
    repo = str(builder.path)
    code, out, err = uq(capsys, "--repo", repo, "status", "--downstream", "down", "--upstream", "up")
    assert code == 0, err
    assert out.splitlines()[1] == ("3 downstream-only: 2 remaining (1 without a diff), 0 queued, "
                                   "1 landed (0 exact, 1 morphed)")


NOT_UTF8_NAME = b"caf\xe9.c"  # a Latin-1 file name


def _git(path: Path, *args: str | bytes) -> str:
    return subprocess.run(["git", "-C", str(path), *args], capture_output=True, check=True).stdout.decode().strip()


@pytest.mark.parametrize("stdout_encoding", ["utf-8", "utf-8:surrogateescape"])
def test_a_conflict_on_a_name_that_is_not_utf8_is_valid_json_whatever_the_terminal(tmp_path: Path,
                                                                                  stdout_encoding: str) -> None:
    """A strict UTF-8 stdout (a UTF-8 desktop locale) made `uq pick --json` end in a traceback, exit 1."""
    repo = tmp_path / "repo"
    _git(tmp_path, "init", "-q", "-b", "master", str(repo))
    name = repo / os.fsdecode(NOT_UTF8_NAME)
    name.write_bytes(b"base\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "branch", "up")
    _git(repo, "checkout", "-qb", "down")
    name.write_bytes(b"downstream\n")
    _git(repo, "commit", "-qam", "downstream change")
    change = _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "-qb", "uq/master", "up")
    name.write_bytes(b"queued\n")
    _git(repo, "commit", "-qam", "queue change")
    for key, value in (("downstream", "down"), ("upstream", "up"), ("branch", "uq/master")):
        _git(repo, "config", f"uq.master.{key}", value)
    _git(repo, "checkout", "-q", "master")
    env = dict(os.environ, PYTHONIOENCODING=stdout_encoding)
    proc = subprocess.run([sys.executable, "-c", "from uqgui.uq_entry import main; raise SystemExit(main())",
                           "--repo", str(repo), "pick", change, "--json"], capture_output=True, env=env, timeout=120,
                          check=False)
    assert proc.returncode == 3 and b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
    answer = json.loads(proc.stdout.decode("ascii"))  # escaped: plain ASCII, valid JSON
    assert [p.encode("utf-8", "surrogateescape") for p in answer["paths"]] == [NOT_UTF8_NAME]


@pytest.mark.parametrize("as_json", [False, True])
def test_a_temporary_folder_that_cannot_be_used_is_a_message_not_a_traceback(tmp_path: Path, as_json: bool) -> None:
    repo = build_demo(tmp_path / "demo")  # a fresh cache: the walk writes git's output to a temporary file
    missing = tmp_path / "removed-tmp"
    code = ("import tempfile, sys; tempfile.tempdir = sys.argv.pop(1); "
            "from uqgui.uq_entry import main; raise SystemExit(main())")
    extra = ["--json"] if as_json else []
    proc = subprocess.run([sys.executable, "-c", code, str(missing), "--repo", str(repo), "status", *extra],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("uq: system error: ") and str(missing) in proc.stderr
    assert "TMPDIR" in proc.stderr
    if as_json:
        assert json.loads(proc.stdout)["error"] == "system error"
    else:
        assert proc.stdout == ""
