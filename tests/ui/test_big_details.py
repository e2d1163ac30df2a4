"""Details of awkward commits: lines of a minified file, patches of a million lines, names that are not UTF-8."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from tests.builder import RepoBuilder
from uqgui.core.repo import Repo
from uqgui.ui.queries import MAX_LINE_CHARS, _cut, commit_files, patch_difference
from uqgui.ui.widgets.diff_view import DiffPanel


def test_long_lines_are_cut_for_display_and_say_how_much_is_left() -> None:
    minified = "+" + "f(x);" * 40_000
    text, dropped = _cut(f"@@ -0,0 +1 @@\n{minified}\n+short", 100)
    lines = text.split("\n")
    assert not dropped and len(lines) == 3 and lines[2] == "+short"
    assert lines[1].startswith(minified[:MAX_LINE_CHARS]) and len(lines[1]) < MAX_LINE_CHARS + 60
    assert lines[1].endswith(f"({len(minified) - MAX_LINE_CHARS:,} more characters)")
    assert _cut("a\nb\nc", 2) == ("a\nb", True)
    assert _cut("a\nb", 2) == ("a\nb", False)


PATCH = """diff --git a/hw/pit.c b/hw/pit.c
index 1111111..2222222 100644
--- a/hw/pit.c
+++ b/hw/pit.c
@@ -10,6 +10,7 @@ static void pit_reset(void)
 int a;
 int b;
-int pit_mode = 1;
+int pit_mode = 2;
 int c;
"""


def test_patch_difference_is_git_diff_of_the_two_patches_without_line_numbers() -> None:
    moved = PATCH.replace("index 1111111..2222222", "index 3333333..4444444").replace("-10,6 +10,7", "-90,6 +91,7")
    assert patch_difference(PATCH, moved) == ""  # the same change elsewhere in the file
    other = PATCH.replace("+int pit_mode = 2;", "+int pit_mode = 3;")
    assert patch_difference(PATCH, other).split("\n") == [
        "--- this commit", "+++ its twin", "@@ -6,4 +6,4 @@",
        "  int b;", " -int pit_mode = 1;", "-+int pit_mode = 2;", "++int pit_mode = 3;", "  int c;",
    ]


def test_patch_difference_of_a_million_lines_is_quick_and_decodes_only_what_is_kept() -> None:
    ours = "".join(f"+line {i}\n" for i in range(1_000_000))
    theirs = "".join(f"+line {i} changed\n" for i in range(1_000_000))
    start = time.perf_counter()
    kept = patch_difference(ours, theirs, max_lines=4000)
    elapsed = time.perf_counter() - start
    assert elapsed < 60  # difflib took minutes here; git takes a few seconds (not a benchmark: a hang guard)
    lines = kept.split("\n")
    assert 4000 < len(lines) <= 4020 and lines[:3] == ["--- this commit", "+++ its twin", "@@ -1,1000000 +1,1000000 @@"]


def test_the_files_tab_shows_a_name_that_is_not_utf8_with_its_byte(builder: RepoBuilder, tmp_path: Path) -> None:
    base = builder.commit("base", {"README": "x\n"}, ref="refs/heads/master")
    git = ["git", f"--git-dir={builder.repo.path}"]
    blob = subprocess.run([*git, "hash-object", "-w", "--stdin"], input=b"int x;\n", capture_output=True,
                          check=True).stdout.strip()
    listing = subprocess.run([*git, "ls-tree", "-z", base], capture_output=True, check=True).stdout
    tree = subprocess.run([*git, "mktree", "-z"], input=listing + b"100644 blob " + blob + b"\tcaf\xe9.c\0",
                          capture_output=True, check=True).stdout.decode().strip()
    commit = subprocess.run([*git, "commit-tree", tree, "-p", base, "-m", "add a Latin-1 name"], capture_output=True,
                            check=True).stdout.decode().strip()
    files = commit_files(Repo(builder.repo.path), commit)
    assert [(f.status, f.path) for f in files] == [("A", "caf\\xe9.c")]


def test_a_diff_fills_only_the_view_shown(qtbot) -> None:
    panel = DiffPanel()
    qtbot.addWidget(panel)
    panel.set_diff(PATCH)
    assert panel.toPlainText() == PATCH and panel.unified.toPlainText() == ""  # hidden (another tab): not laid out
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.unified.toPlainText() == PATCH
    panel.set_side_by_side(True)
    panel.set_diff(PATCH.replace("= 2;", "= 3;"))
    assert panel.unified.toPlainText() == PATCH  # not laid out again while side by side is shown
    assert "int pit_mode = 3;" in panel.split.new.toPlainText()
    panel.set_side_by_side(False)
    assert panel.unified.toPlainText() == PATCH.replace("= 2;", "= 3;")


def test_patch_difference_does_not_depend_on_the_start_folder_or_git_diff_opts(tmp_path: Path, monkeypatch) -> None:
    expected = patch_difference(PATCH, PATCH.replace("= 2;", "= 3;"))
    broken = tmp_path / "broken"
    subprocess.run(["git", "init", "-q", str(broken)], check=True)
    with (broken / ".git" / "config").open("a") as config:
        config.write("[core\nthis is no config\n")
    monkeypatch.chdir(broken)
    monkeypatch.setenv("GIT_DIFF_OPTS", "--unified=0")
    assert patch_difference(PATCH, PATCH.replace("= 2;", "= 3;")) == expected
    assert "@@ -6,4 +6,4 @@" in expected
