"""Evidence at its edges: changes without text lines, chains through the queue, odd file names; git is the oracle."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.builder import EPOCH, RepoBuilder, git_patch_id
from tests.test_divergence import DOWN, UP, Scenario, entry, person, source
from uqgui.core.divergence import LANDED, REMAINING
from uqgui.core.identity import changed_lines, multiset_similarity, paths_key
from uqgui.core.quickstart import peek_cached_listing
from uqgui.core.repo import Repo

MAINTAINER = person("M", "m@example.org", EPOCH + 600)


@pytest.fixture
def sc(builder: RepoBuilder) -> Scenario:
    """A fresh scenario."""
    return Scenario(builder)


def test_different_binary_updates_by_one_author_are_not_alike(sc: Scenario) -> None:
    """Two updates of one binary file to different contents share no evidence: the commit remains."""
    sc.up("Add the BIOS image", {"pc-bios/bios.bin": b"\x00\x01" * 300})
    sc.b.ref(DOWN, sc.tip(UP))
    d = sc.down("kvm: bios: update to seabios 0.5.1", {"pc-bios/bios.bin": b"\x00\x02" * 300},
                author=person("M", "m@example.org", EPOCH + 900))
    u = sc.up("pc-bios: update to a newer seabios", {"pc-bios/bios.bin": b"\x00\x03" * 300},
              author=person("M", "m@example.org", EPOCH + 1800))
    assert git_patch_id(sc.path, d) != git_patch_id(sc.path, u)
    e = entry(sc.run(), d)
    assert (e.state, e.match) == (REMAINING, None)


def test_the_same_binary_update_is_alike(sc: Scenario) -> None:
    """The same new contents of a binary file (on another old version) is evidence of the same change."""
    sc.up("Add the BIOS image", {"pc-bios/bios.bin": b"\x00\x01" * 300})
    sc.b.ref(DOWN, sc.tip(UP))
    sc.down("kvm: bios: a local build", {"pc-bios/bios.bin": b"\x00\x05" * 300})
    d = sc.down("kvm: bios: update to seabios 0.5.1", {"pc-bios/bios.bin": b"\x00\x02" * 300},
                author=person("M", "m@example.org", EPOCH + 900))
    u = sc.up("pc-bios: update seabios", {"pc-bios/bios.bin": b"\x00\x02" * 300},
              author=person("M", "m@example.org", EPOCH + 1800))
    assert git_patch_id(sc.path, d) != git_patch_id(sc.path, u)  # other old contents: another patch
    e = entry(sc.run(), d)
    assert e.state == LANDED and e.match is not None
    assert (e.match.id, e.match.how) == (u, "similar")


def test_changed_lines_name_binary_contents_modes_and_renames() -> None:
    patch = "\n".join([
        "diff --git a/bios.bin b/bios.bin",
        "index 1111111..2222222 100644",
        "Binary files a/bios.bin and b/bios.bin differ",
        "diff --git a/tool.sh b/tool.sh",
        "old mode 100644",
        "new mode 100755",
        "diff --git a/old.c b/new.c",
        "similarity index 100%",
        "rename from old.c",
        "rename to new.c",
    ])
    assert changed_lines(patch) == Counter({"binary 2222222": 1, "old mode 100644": 1, "new mode 100755": 1,
                                            "rename from old.c": 1, "rename to new.c": 1})
    assert multiset_similarity(Counter(), Counter()) == 0.0  # no lines on either side: no evidence


def test_a_chain_through_the_queue_is_as_exact_as_its_weakest_link(sc: Scenario) -> None:
    """Downstream = queue by patch-id, queue -> upstream by subject only: landed, morphed, how 'subject'."""
    d = sc.down("qemu-kvm: PIT: reinject lost ticks", {"hw/i8259.c": source("i8259", l3="reinject = 1;")})
    q = sc.queue("kvm: x86: add the PIT reinject option", {"hw/i8259.c": source("i8259", l3="reinject = 1;")},
                 author=MAINTAINER)
    u = sc.up("kvm: x86: add the PIT reinject option", {"hw/i8259.c": source("i8259", l3="reinject = true;")},
              author=MAINTAINER)
    assert git_patch_id(sc.path, d) == git_patch_id(sc.path, q) != git_patch_id(sc.path, u)
    result = sc.run()
    e = entry(result, d)
    assert e.state == LANDED and e.match is not None
    assert (e.match.id, e.match.how, e.match.chain) == (u, "subject", [q, u])
    summary = result.summary()
    assert (summary["landed_exact"], summary["landed_morphed"]) == (0, 1)


def test_paths_differing_only_in_whitespace_have_one_patch_id(sc: Scenario) -> None:
    """git patch-id drops whitespace from the diff headers too: "sp ace" and "spa ce" are the same patch."""
    d = sc.down("add the space file", {"sp ace": "same line\n"})
    u = sc.up("add the space file, upstream's way", {"spa ce": "same line\n"},
              author=person("U", "u@example.org", EPOCH + 3))
    assert git_patch_id(sc.path, d) == git_patch_id(sc.path, u)
    assert paths_key(["sp ace"]) == paths_key(["spa ce"])
    # Stripped before they are sorted: "x y.c" sorts before "xa.c", "xy.c" after it.
    assert paths_key(["x y.c", "xa.c"]) == paths_key(["xy.c", "xa.c"])
    e = entry(sc.run(), d)
    assert e.state == LANDED and e.match is not None and (e.match.id, e.match.how) == (u, "patch-id")


def _commit_with_raw_name(sc: Scenario, ref: str, raw_name: bytes, data: bytes, message: str, when: int) -> str:
    """A commit on REF adding a file whose name is RAW_NAME's bytes (pygit2 takes UTF-8 names only)."""
    def git(*args: str, input: bytes | None = None) -> bytes:
        return subprocess.run(["git", f"--git-dir={sc.path}", *args], input=input, capture_output=True,
                              check=True, env=env).stdout

    env = {**os.environ, "GIT_AUTHOR_NAME": "A U Thor", "GIT_AUTHOR_EMAIL": "author@example.org",
           "GIT_COMMITTER_NAME": "A U Thor", "GIT_COMMITTER_EMAIL": "author@example.org",
           "GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
    parent = sc.tip(ref)
    blob = git("hash-object", "-w", "--stdin", input=data).strip()
    listing = git("ls-tree", "-z", f"{parent}^{{tree}}") + b"100644 blob " + blob + b"\t" + raw_name + b"\0"
    tree = git("mktree", "-z", input=listing).decode().strip()
    commit = git("commit-tree", tree, "-p", parent, "-m", message).decode().strip()
    git("update-ref", ref, commit, parent)
    return commit


def test_a_file_name_that_is_not_utf8(sc: Scenario) -> None:
    """A Latin-1 file name in history: stored and read back, matched exactly, listed from the cache."""
    raw = b"n\xe9me.c"
    d = _commit_with_raw_name(sc, DOWN, raw, b"int x;\n", "add the Latin-1 file", EPOCH + 100)
    u = _commit_with_raw_name(sc, UP, raw, b"int x;\n", "add a file with an old name", EPOCH + 200)
    assert git_patch_id(sc.path, d) == git_patch_id(sc.path, u)
    for _run in ("cold", "warm"):
        e = entry(sc.run(queue=False), d)
        assert e.state == LANDED and e.match is not None and (e.match.id, e.match.how) == (u, "patch-id")
    listing = peek_cached_listing(Path(Repo(sc.path).git_dir), d, u)
    assert listing is not None and listing.ids == [d]
    assert listing.paths == [[raw.decode("utf-8", "surrogateescape")]]


@pytest.mark.parametrize("read_size", [1, 7, 64, 1 << 20])
def test_binary_changes_are_marked_whatever_the_reads_cut(monkeypatch: pytest.MonkeyPatch, read_size: int) -> None:
    """The patch-id pass marks the commits with a binary file while it passes diff-tree's output on,
    a read at a time: a marker cut between two reads still counts, for the commit it belongs to."""
    import io

    from uqgui.core import history

    a, b, c = "a" * 40, "b" * 40, "c" * 64
    diff = (f"{a}\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-Binary files are not this\n+y\n"
            f"{b}\ndiff --git a/p.bin b/p.bin\nindex 1234567..89abcde 100644\nBinary files a/p.bin and b/p.bin differ\n"
            f"{c}\ndiff --git a/z b/z\n--- a/z\n+++ b/z\n@@ -1 +1 @@\n-q\n+r\n").encode()
    monkeypatch.setattr(history, "_PUMP_READ", read_size)
    sink = io.BytesIO()
    sink.close = lambda: None  # type: ignore[method-assign]  # keep what was written readable
    volatile: set[str] = set()
    history._pump_marking_binary(io.BytesIO(diff), sink, volatile)
    assert sink.getvalue() == diff and volatile == {b}
