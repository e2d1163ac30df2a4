"""What `uq` writes, whatever it writes to: a closed or full stdout, the C locale, hostile subjects."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.test_bad_input import UQ
from uqgui import __version__
from uqgui.core.demo import build_demo


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A fresh demo repository (each test may pick into it)."""
    return build_demo(tmp_path / "demo")


def shell(command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run COMMAND in sh (for redirections the subprocess module cannot express, such as >&-)."""
    proc = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **(env or {})})
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


def remaining(repo: Path) -> list[str]:
    out = shell(f"{shlex.quote(UQ)} --repo {shlex.quote(str(repo))} status --json --state remaining").stdout
    return [c["id"] for c in json.loads(out)["commits"] if not c["no_diff"]]


def test_a_closed_stdout_does_not_stop_the_command_nor_make_it_fail(demo: Path) -> None:
    before = git(demo, "rev-parse", "uq/master")
    proc = shell(f"{shlex.quote(UQ)} --repo {shlex.quote(str(demo))} pick {remaining(demo)[0]} --json >&-")
    assert proc.returncode == 0, proc.stderr
    assert git(demo, "rev-parse", "uq/master") != before
    assert shell(f"{shlex.quote(UQ)} --repo {shlex.quote(str(demo))} status >&-").returncode == 0


def test_a_full_stdout_after_a_pick_says_the_pick_was_done(demo: Path) -> None:
    before = git(demo, "rev-parse", "uq/master")
    proc = shell(f"{shlex.quote(UQ)} --repo {shlex.quote(str(demo))} pick {remaining(demo)[0]} --json > /dev/full")
    assert proc.returncode == 1
    assert proc.stderr.startswith("uq: the output could not be written (No space left on device)")
    assert "the command itself finished" in proc.stderr
    assert git(demo, "rev-parse", "uq/master") != before


def test_the_c_locale_gets_ascii_marks_and_escaped_names(demo: Path) -> None:
    env = {"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    proc = shell(f"{shlex.quote(UQ)} --repo {shlex.quote(str(demo))} status", env)
    assert proc.returncode == 0, proc.stderr
    marks = {line.split(" ", 1)[0] for line in proc.stdout.splitlines()[2:]}
    assert marks <= {"*", "q", "+", "+~", "o"} and {"*", "q", "+"} <= marks


def test_terminal_control_characters_in_a_subject_are_shown_escaped(demo: Path) -> None:
    subject = "evil \x1b[31mRED\x1b[0m \x1b]0;title\x07 end \u202elive\u202c"
    down = "refs/remotes/qemu-kvm/master"
    tree = git(demo, "rev-parse", f"{down}^{{tree}}")
    env = {"GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.org", "GIT_COMMITTER_NAME": "A",
           "GIT_COMMITTER_EMAIL": "a@example.org"}
    commit = subprocess.run(["git", "-C", str(demo), "commit-tree", tree, "-p", down, "-m", subject],
                            capture_output=True, text=True, check=True, env={**os.environ, **env}).stdout.strip()
    git(demo, "update-ref", down, commit)
    proc = shell(f"{shlex.quote(UQ)} --repo {shlex.quote(str(demo))} status")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout and "\u202e" not in proc.stdout
    assert "evil \\x1b[31mRED\\x1b[0m \\x1b]0;title\\x07 end \\u202elive\\u202c" in proc.stdout


def test_a_missing_queue_branch_is_a_warning_not_a_silent_dash(demo: Path) -> None:
    git(demo, "config", "uq.master.branch", "uq/nowhere")
    proc = shell(f"{shlex.quote(UQ)} --repo {shlex.quote(str(demo))} status --json")
    data = json.loads(proc.stdout)
    assert proc.returncode == 0 and data["queue"] is None and data["summary"]["queued"] == 0
    assert any("'uq/nowhere' of profile master does not exist" in w for w in data["warnings"])
    text = shell(f"{shlex.quote(UQ)} --repo {shlex.quote(str(demo))} status")
    assert "warning: The queue branch 'uq/nowhere'" in text.stderr


def test_version_and_repo_given_between_group_and_action(demo: Path) -> None:
    assert shell(f"{shlex.quote(UQ)} --version").stdout == f"uq {__version__}\n"
    for where in ("profile --repo {repo} list", "profile list --repo {repo}", "--repo {repo} profile list",
                  "cache --repo {repo} clear"):
        proc = shell(f"{shlex.quote(UQ)} " + where.format(repo=shlex.quote(str(demo))))
        assert proc.returncode == 0, (where, proc.stderr)


def test_a_conflict_in_json_still_says_its_line_on_stderr(demo: Path) -> None:
    """Every error is one line on stderr, with --json too (the JSON object goes to stdout)."""
    conflicting = "704958cec1c1"  # the demo's pick that conflicts
    proc = shell(f"{shlex.quote(UQ)} --repo {shlex.quote(str(demo))} pick {conflicting} --json")
    assert proc.returncode == 3
    assert json.loads(proc.stdout)["error"] == "conflict"
    assert proc.stderr.startswith("uq: ") and len(proc.stderr.splitlines()) == 1
