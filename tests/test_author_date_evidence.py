"""Author e-mail and author date are evidence of one change only with changed lines alike.

The halves of a commit split with `rebase -i` keep its author and date: one half upstream must not
hide the other as "landed". Real repositories, built with git itself or with RepoBuilder.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.builder import EPOCH, RepoBuilder, git_patch_id
from tests.test_divergence import DOWN, UP, Scenario, entry, person
from uqgui import cli
from uqgui.core.divergence import (
    AUTHOR_DATE_THRESHOLD,
    LANDED,
    REMAINING,
    compute_divergence,
)
from uqgui.core.identity import changed_lines, content_lines
from uqgui.core.repo import Repo

JAN = "jan@example.org"
WHEN = EPOCH + 4242


@pytest.fixture
def sc(builder: RepoBuilder) -> Scenario:
    """A fresh scenario."""
    return Scenario(builder)


def _git(path: Path, *args: str, date: str = "2024-01-01T09:00:00Z") -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": "2024-03-03T12:00:00Z"}
    return subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, check=True,
                          env=env).stdout.strip()


def _edit_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("base_shares_the_date", [False, True])
def test_another_change_with_another_subject_is_not_landed_on_author_and_date(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], base_shares_the_date: bool) -> None:
    """The report's reproduction: same author and date, same file, no line alike: remaining.

    With BASE_SHARES_THE_DATE the base commit (upstream, and the downstream commit's own ancestor)
    has the date too: it is no twin either.
    """
    repo = tmp_path / "m2"
    repo.mkdir()
    _git(repo, "init", "-q")
    date = "2024-02-02T10:00:00Z"
    (repo / "a").write_text("".join(f"{i}\n" for i in range(1, 10)))
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base", date=date if base_shares_the_date else "2024-01-01T09:00:00Z")
    _git(repo, "branch", "down")
    _edit_line(repo / "a", 1, "UP")
    _git(repo, "commit", "-qam", "Fix the frobnicator overflow", date=date)
    _git(repo, "checkout", "-q", "down")
    _edit_line(repo / "a", 9, "DOWN")
    _git(repo, "commit", "-qam", "Add the widget registry", date=date)
    _git(repo, "checkout", "-q", "master")
    down = _git(repo, "rev-parse", "down")
    for _run in ("cold", "warm"):
        capsys.readouterr()
        assert cli.main(["--repo", str(repo), "status", "--json", "--downstream", "down", "--upstream", "master"]) == 0
        data = json.loads(capsys.readouterr().out)
        [commit] = data["commits"]
        assert (commit["id"], commit["state"], commit["match"]) == (down, REMAINING, None)
        assert data["summary"]["landed"] == 0


def _c_function(signature: str, body: str) -> str:
    return f"\n{signature}\n{{\n    {body}\n}}\n"


FROB_C = "#include \"frob.h\"\n\nstatic int frob;\n"
GETTER = _c_function("int frob_get(void)", "return frob;")
SETTER = _c_function("void frob_set(int value)", "frob = value;")


def test_braces_and_blank_lines_carry_no_content() -> None:
    patch = "".join(f"+{line}\n" for line in GETTER.splitlines()) + "-    }\n-\n+#endif\n"
    assert content_lines(changed_lines(patch)) == Counter({"+intfrob_get(void)": 1, "+returnfrob;": 1,
                                                          "+#endif": 1})


@pytest.mark.parametrize("upstream_rewords", [False, True])
def test_the_other_half_of_a_split_commit_remains(sc: Scenario, upstream_rewords: bool) -> None:
    """One commit adding a getter and a setter, split in two keeping its date; the getter goes upstream.

    Either as an exact pick or reworked (another subject, the getter renamed): it lands, and the
    setter half, which shares the author, the date, the file, and its braces and blank lines with
    the getter half, remains.
    """
    sc.up("frob: Add the frob state", {"frob.c": FROB_C})
    sc.b.ref(DOWN, sc.tip(UP))
    jan = person("Jan", JAN, WHEN)
    getter = sc.down("frob: Add a getter", {"frob.c": FROB_C + GETTER}, author=jan)
    setter = sc.down("frob: Add a setter", {"frob.c": FROB_C + GETTER + SETTER}, author=jan)
    if upstream_rewords:
        landed = sc.up("frob: Let callers read the frob state",
                       {"frob.c": FROB_C + _c_function("int frob_get(void)", "return frob & FROB_MASK;")
                        + _c_function("int frob_peek(void)", "return frob;")},
                       author=person("Jan Kiszka", JAN.upper(), WHEN))
    else:
        landed = sc.up("frob: Add a getter", {"frob.c": FROB_C + GETTER}, author=jan)
        assert git_patch_id(sc.path, landed) == git_patch_id(sc.path, getter)
    for _run in ("cold", "warm"):
        result = sc.run()
        e = entry(result, getter)
        assert e.state == LANDED and e.match is not None and e.match.id == landed
        assert e.match.how == ("author-date" if upstream_rewords else "patch-id")
        e = entry(result, setter)
        assert (e.state, e.match) == (REMAINING, None)


def test_a_reworded_change_with_the_same_author_and_date_still_lands(sc: Scenario) -> None:
    """Upstream took the patch under another subject, mostly the same lines: landed by author and date."""
    base = "".join(f"kvm line {i};\n" for i in range(30))
    sc.up("kvm: Add the base", {"kvm-all.c": base})
    sc.b.ref(DOWN, sc.tip(UP))
    lines = base.splitlines(keepends=True)
    down_lines = list(lines)
    down_lines[10:12] = ["    if (env->exception_injected >= 0)\n", "        kvm_queue_exception(env);\n",
                         "    env->nmi_pending = 0;\n"]
    up_lines = list(lines)
    up_lines[10:12] = ["    if (env->exception_injected >= 0)\n", "        kvm_queue_exception(env);\n",
                       "    env->nmi_injected = 0;\n"]
    d = sc.down("qemu-kvm: Reset the exception state on reset", {"kvm-all.c": "".join(down_lines)},
                author=person("Jan", JAN, WHEN))
    u = sc.up("kvm: x86: Clear pending events on vCPU reset", {"kvm-all.c": "".join(up_lines)},
              author=person("Jan Kiszka", JAN, WHEN))
    assert git_patch_id(sc.path, d) != git_patch_id(sc.path, u)
    first = entry(sc.run(), d)
    assert first.state == LANDED and first.match is not None
    assert (first.match.id, first.match.how, first.match.where) == (u, "author-date", "upstream")
    # Both remove kvm line 10 and 11 and add the same two lines; one added line differs: 4 alike of 6.
    assert first.match.evidence == "same author and date, 67% of changed lines alike"
    assert first.match.score == pytest.approx(0.55 + 0.4 * 4 / 6)
    # After an unrelated upstream commit the answer is computed again, the similarity coming from the cache.
    sc.up("vl: Unrelated", {"vl.c": "unrelated\n"})
    again = entry(compute_divergence(Repo(sc.path), DOWN, UP), d)
    assert again.state == LANDED and again.match == first.match


def test_same_author_and_date_with_too_few_lines_alike_is_no_twin(sc: Scenario) -> None:
    """One shared line among many: under the threshold, the commit remains."""
    jan = person("Jan", JAN, WHEN)
    shared = "    kvm_arch_reset_vcpu(env);\n"
    d = sc.down("qemu-kvm: Rework the reset path",
                {"reset.c": shared + "".join(f"    down_step_{i}(env);\n" for i in range(6))}, author=jan)
    sc.up("kvm: Introduce a reset notifier",
          {"reset.c": shared + "".join(f"    up_step_{i}(env);\n" for i in range(6))}, author=jan)
    assert 1 / 13 < AUTHOR_DATE_THRESHOLD  # one line alike of 13
    e = entry(sc.run(), d)
    assert (e.state, e.match) == (REMAINING, None)
