"""Messages of picked commits: the bytes git would write, odd encodings and odd messages kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2
import pytest

from tests.builder import RepoBuilder
from tests.test_pick import QUEUE, Scenario, assert_fsck_clean, git, make_scenario, pick, queue_tip
from uqgui.core.messages import append_trailer, pick_message, trailer_block, trailers

SOB = b"Signed-off-by: Queue Maintainer <maintainer@example.org>\n"

# Messages whose picked form git decides; each is compared with `git cherry-pick -x -s`.
ORACLE_MESSAGES = [
    b"subj",
    b"subj\n",
    b"subj\n\nbody\n",
    b"subj\n\nSigned-off-by: A <a@example.org>\n",
    b"subj\n\nbody\nSigned-off-by: A <a@example.org>\n",
    b"subj\n\nCc: foo\n[fix] stuff\nmore\n",
    b"",
    b"subj\n\nbody   \n\n\n",
    b"subj\nSigned-off-by: A <a@example.org>\n",
    b"subj\n\nSigned-off-by: B <b@example.org>\n  continued\n",
    b"subj\n\nFoo: bar\nnot a trailer\n",
    b"subj\n\nSigned-off-by: B <b@example.org>\nnot\nnot\nnot\n",
    b"subj\n\nSigned-off-by: B <b@example.org>\nnot\nnot\nnot\nnot\n",
    b"subj\n\n# comment\n",
    b"subj\n\nSigned-off-by: B <b@example.org>\n# comment\n",
    b"subj\n\n(cherry picked from commit 0123456)\n",
    b"subj\n\nFoo : bar\n",
    b"subj\n\nFoo:bar\n",
    b"subj\n\nAcked-by: C <c@example.org>\n\n",
    b"subj\r\n\r\nSigned-off-by: B <b@example.org>\r\n",
    b"subj\n\nbody\n\nConflicts:\n\n\tvl.c\n",
    b"subj\n\nSigned-off-by: B <b@example.org>\n\nConflicts:\n\tvl.c\n\thw/apic.c\n",
    b"subj\n\nbody\n# ------------------------ >8 ------------------------\nSigned-off-by: X <x@y>\n",
    b"subj\n\n---\nSigned-off-by: B <b@example.org>\n",
    b"subj\n\nbody\n\nReviewed-by: R <r@example.org>\nhttps://example.org/x\n",
    "subj \u00e9\n\nSigned-off-by: \u00c9lodie <e@example.org>\n".encode(),
]


def _raw_commit(path: Path, tree: str, parent: str, message: bytes) -> str:
    raw = (f"tree {tree}\nparent {parent}\nauthor A U Thor <author@example.org> 1262304060 +0000\n"
           f"committer C O Mitter <committer@example.org> 1262304120 +0000\n\n").encode() + message
    out = subprocess.run(["git", "-C", str(path), "hash-object", "-t", "commit", "-w", "--stdin", "--literally"],
                         input=raw, capture_output=True, check=True).stdout
    return out.decode().strip()


@pytest.mark.parametrize("message", ORACLE_MESSAGES, ids=[repr(m)[:40] for m in ORACLE_MESSAGES])
def test_message_bytes_agree_with_git_cherry_pick(tmp_path: Path, message: bytes) -> None:
    """pick_message gives what `git cherry-pick -x -s --cleanup=verbatim` writes."""
    path = tmp_path / "r"
    git(tmp_path, "init", "-q", str(path))
    git(path, "commit", "-q", "--allow-empty", "-m", "base")
    base = git(path, "rev-parse", "HEAD").strip()
    tree = git(path, "rev-parse", "HEAD^{tree}").strip()
    commit = _raw_commit(path, tree, base, message)
    git(path, "cherry-pick", "-x", "-s", "--allow-empty", "--allow-empty-message", "--keep-redundant-commits",
        "--cleanup=verbatim", commit)
    raw = subprocess.run(["git", "-C", str(path), "cat-file", "commit", "HEAD"], capture_output=True,
                         check=True).stdout
    expected = raw.split(b"\n\n", 1)[1]
    assert pick_message(message, commit, SOB[len(b"Signed-off-by: "):-1], "cherry-pick") == expected


def test_leading_blank_lines_are_kept() -> None:
    """git drops blank lines before the subject; a pick keeps the original bytes as they are."""
    assert pick_message(b"\n\nsubj\n", "a" * 40, b"M <m@x>", "none") == b"\n\nsubj\n\nSigned-off-by: M <m@x>\n"
    assert pick_message(b"\n", "a" * 40, None, "cherry-pick") == b"\n\n(cherry picked from commit " + b"a" * 40 + b")\n"


def test_existing_signoff_is_not_duplicated() -> None:
    """Our sign-off anywhere in the trailer block is not added again (git am -s does the same)."""
    last = b"subj\n\nbody\n\nSigned-off-by: M <m@x>\n"
    assert pick_message(last, "a" * 40, b"M <m@x>", "none") == last
    earlier = b"subj\n\nSigned-off-by: M <m@x>\nSigned-off-by: B <b@x>\n"
    assert pick_message(earlier, "b" * 40, b"M <m@x>", "cherry-pick") == (
        earlier + b"(cherry picked from commit " + b"b" * 40 + b")\n")
    # In the body (not the trailer block) it does not count: git adds the trailer.
    body = b"subj\n\nSigned-off-by: M <m@x>\n\nA later paragraph.\n"
    assert append_trailer(body, b"Signed-off-by: M <m@x>") == body + b"\nSigned-off-by: M <m@x>\n"


def test_trailer_block_ending_the_message_gets_no_blank_line() -> None:
    """A message ending with trailers gets ours right under them."""
    msg = b"subj\n\nbody\n\nReviewed-by: R <r@x>\nSigned-off-by: A <a@x>"
    assert pick_message(msg, "c" * 40, b"M <m@x>", "trailer") == (
        msg + b"\nDownstream-commit: " + b"c" * 40 + b"\nSigned-off-by: M <m@x>\n")


def test_trailers_are_found_as_git_finds_them() -> None:
    """Continuation lines join their trailer; a subject is never a trailer; no block, no trailers."""
    assert trailers(b"subj\n\nA: 1\n  more\nB: 2\n") == [b"A: 1\n  more\n", b"B: 2\n"]
    assert trailers(b"Signed-off-by: only a subject\n") == []
    start, end = trailer_block(b"subj\n\nbody text\n")
    assert start == end


# -- odd messages picked for real ----------------------------------------------------------------

@pytest.fixture
def scenario(builder: RepoBuilder) -> Scenario:
    """The standard queue scenario."""
    return make_scenario(builder, features=1)


def _downstream(s: Scenario, message: bytes | str, encoding: str | None = None,
                author: pygit2.Signature | None = None) -> str:
    return s.builder.commit(message, {"odd.c": "odd\n"}, parents=[s.features[-1]], encoding=encoding, author=author)


def _raw_message(path: Path, rev: str) -> tuple[bytes, bytes]:
    raw = subprocess.run(["git", "-C", str(path), "cat-file", "commit", rev], capture_output=True,
                         check=True).stdout
    header, _, message = raw.partition(b"\n\n")
    return header, message


def test_latin2_commit_keeps_its_encoding_and_bytes(scenario: Scenario) -> None:
    """An `encoding latin2` commit stays latin2: its bytes, then the lines a pick adds."""
    s = scenario
    text = "Łódź: poprawka błędu\n\nZażółć gęślą jaźń.\n"
    original = text.encode("iso-8859-2")
    author = pygit2.Signature("Paweł Źdźbło", "pawel@example.org", 1262304000, 60, "iso-8859-2")
    commit = _downstream(s, original, encoding="latin2", author=author)
    pick(s, [commit])
    header, message = _raw_message(s.path, QUEUE)
    assert b"\nencoding latin2" in header
    assert message == original + b"\n(cherry picked from commit " + commit.encode() + b")\n" + SOB
    assert "author Paweł Źdźbło".encode("iso-8859-2") in header  # author bytes kept too
    shown = git(s.path, "log", "-1", "--format=%an|%s", QUEUE)  # git decodes it right
    assert shown == "Paweł Źdźbło|Łódź: poprawka błędu\n"
    assert_fsck_clean(s.path)


def test_latin2_commit_with_a_maintainer_latin2_can_write(scenario: Scenario, isolated_environment: Path) -> None:
    """A non-ASCII maintainer is written in the commit's own encoding, header and sign-off alike."""
    s = scenario
    (isolated_environment / ".gitconfig").write_text("[user]\n\tname = Michał Kępski\n\temail = m@example.org\n")
    commit = _downstream(s, "Poprawka\n".encode("iso-8859-2"), encoding="latin2")
    pick(s, [commit])
    header, message = _raw_message(s.path, QUEUE)
    assert b"\nencoding latin2" in header and "committer Michał Kępski".encode("iso-8859-2") in header
    assert message.endswith("Signed-off-by: Michał Kępski <m@example.org>\n".encode("iso-8859-2"))
    assert git(s.path, "log", "-1", "--format=%cn", QUEUE) == "Michał Kępski\n"


def test_encoding_that_cannot_hold_the_maintainer_becomes_utf8(scenario: Scenario,
                                                              isolated_environment: Path) -> None:
    """When latin2 cannot spell the maintainer's name, the commit is converted to UTF-8 whole."""
    s = scenario
    (isolated_environment / ".gitconfig").write_text("[user]\n\tname = 王小明\n\temail = w@example.org\n")
    author = pygit2.Signature("Paweł", "pawel@example.org", 1262304000, 60, "iso-8859-2")
    commit = _downstream(s, "Łata\n".encode("iso-8859-2"), encoding="latin2", author=author)
    pick(s, [commit])
    header, message = _raw_message(s.path, QUEUE)
    assert b"\nencoding" not in header
    assert message.decode("utf-8").startswith("Łata\n\n(cherry picked from commit")
    assert git(s.path, "log", "-1", "--format=%an|%cn|%(trailers:key=Signed-off-by,valueonly)", QUEUE) == \
        "Paweł|王小明|王小明 <w@example.org>\n\n"


def test_undeclared_latin1_bytes_are_kept(scenario: Scenario) -> None:
    """An old commit with Latin-1 bytes and no encoding header: its bytes are not 'fixed'."""
    s = scenario
    original = "Fix for Fran\u00e7ois\n".encode("latin-1")
    commit = _downstream(s, original)
    pick(s, [commit])
    _, message = _raw_message(s.path, QUEUE)
    assert message.startswith(original + b"\n(cherry picked")


@pytest.mark.parametrize(("message", "expected"), [
    (b"", b"\n(cherry picked from commit {id})\n" + SOB),
    (b"Subject only", b"Subject only\n\n(cherry picked from commit {id})\n" + SOB),
    (b"Subject\n\nBody.\n\nAcked-by: X <x@example.org>\n" + SOB,
     b"Subject\n\nBody.\n\nAcked-by: X <x@example.org>\n" + SOB + b"(cherry picked from commit {id})\n"),
    (b"Subject\n\nBody.\n\nAcked-by: X <x@example.org>\n",
     b"Subject\n\nBody.\n\nAcked-by: X <x@example.org>\n(cherry picked from commit {id})\n" + SOB),
])
def test_odd_messages_picked(scenario: Scenario, message: bytes, expected: bytes) -> None:
    """Empty, subject-only, ending with trailers (ours among them): the lines land right."""
    s = scenario
    commit = _downstream(s, message)
    pick(s, [commit])
    _, picked = _raw_message(s.path, QUEUE)
    assert picked == expected.replace(b"{id}", commit.encode())
    assert queue_tip(s.path) != s.upstream[1]


def test_unknown_encoding_is_kept_when_the_maintainer_is_ascii(scenario: Scenario) -> None:
    """An encoding name Python does not know is no obstacle to an ASCII sign-off: bytes kept."""
    s = scenario
    original = b"Fix \xe9\xe8 in the x-klingon encoding\n"
    commit = _downstream(s, original, encoding="x-klingon")
    pick(s, [commit])
    header, message = _raw_message(s.path, QUEUE)
    assert b"\nencoding x-klingon" in header
    assert message == original + b"\n(cherry picked from commit " + commit.encode() + b")\n" + SOB
