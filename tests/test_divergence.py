"""Divergence on real repositories built in code, with the git command as the oracle."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pygit2
import pytest

from tests.builder import EPOCH, RepoBuilder, git_patch_id
from uqgui import cli
from uqgui.core import divergence, history
from uqgui.core.cache import IdentityCache
from uqgui.core.divergence import (
    LANDED,
    QUEUED,
    REMAINING,
    Divergence,
    DivergenceComputer,
    Entry,
    compute_divergence,
)
from uqgui.core.history import (
    CommitMeta,
    compute_patch_ids,
    list_commits,
    scan_metadata,
    stream_metadata,
)
from uqgui.core.repo import Repo

UP, DOWN, QUEUE = "refs/heads/up", "refs/heads/down", "refs/heads/uq/master"
UQ = str(Path(sys.executable).with_name("uq"))
Files = Mapping[str, "bytes | str | tuple[int, bytes] | None"]


def source(name: str, n: int = 40, **changes: str) -> str:
    """A file of N numbered lines; CHANGES replace line `l<k>` (k as in the key) by another text."""
    lines = [f"{name} line {i};\n" for i in range(n)]
    for key, value in changes.items():
        lines[int(key[1:])] = value if value.endswith("\n") or not value else value + "\n"
    return "".join(lines)


class Scenario:
    """An upstream, a downstream forked from it and a queue on upstream, in one repository."""

    def __init__(self, builder: RepoBuilder, files: Files | None = None) -> None:
        self.b = builder
        base = files or {"hw/apic.c": source("apic"), "hw/i8259.c": source("i8259"), "vl.c": source("vl"),
                         "kvm-all.c": source("kvm")}
        self.root = builder.commit("Initial import", base, ref=UP)
        builder.ref(DOWN, self.root)

    @property
    def path(self) -> Path:
        """The repository's git dir (the repository itself when bare)."""
        return Path(self.b.repo.path)

    def tip(self, ref: str) -> str:
        """Where REF points."""
        return str(self.b.repo.references[ref].target)

    def up(self, message: str, files: Files, **kw: Any) -> str:
        """A commit on upstream."""
        return self.b.commit(message, files, ref=UP, **kw)

    def down(self, message: str, files: Files, **kw: Any) -> str:
        """A commit on downstream."""
        return self.b.commit(message, files, ref=DOWN, **kw)

    def queue(self, message: str, files: Files, **kw: Any) -> str:
        """A commit on the queue (created at upstream's tip on first use)."""
        if QUEUE not in self.b.repo.references:
            self.b.ref(QUEUE, self.tip(UP))
        return self.b.commit(message, files, ref=QUEUE, **kw)

    def merge(self, into: str, other: str, message: str) -> str:
        """A real merge commit of OTHER into the branch INTO (no conflicts expected)."""
        repo = self.b.repo
        ours, theirs = self.tip(into), other
        # Conflicts are resolved in favour of the merged side, as a maintainer resolving by hand might.
        index = repo.merge_commits(ours, theirs, favor=pygit2.enums.MergeFavor.THEIRS)
        assert index.conflicts is None
        tree = index.write_tree(repo)
        return self.b.commit(message, parents=[ours, theirs], tree=tree, ref=into)

    def merge_upstream_into_downstream(self) -> str:
        """Downstream's regular "Merge branch 'upstream-merge'"."""
        return self.merge(DOWN, self.tip(UP), "Merge branch 'upstream-merge'")

    def run(self, queue: bool | None = None) -> Divergence:
        """compute_divergence for down / up (/ the queue when it exists)."""
        with_queue = QUEUE in self.b.repo.references if queue is None else queue
        return compute_divergence(Repo(self.path), DOWN, UP, QUEUE if with_queue else None)

    def cherry(self) -> dict[str, str]:
        """The oracle's answer: `git cherry up down` as {commit: '+' or '-'}."""
        out = self.b.git("cherry", UP, DOWN)
        return {line[2:]: line[0] for line in out.splitlines()}


def entry(result: Divergence, commit_id: str) -> Entry:
    """The entry of COMMIT_ID in RESULT."""
    found = [e for e in result.entries if e.meta.id == commit_id]
    assert found, f"{commit_id} is not downstream-only"
    return found[0]


def person(name: str, email: str, when: int) -> pygit2.Signature:
    """A signature at an explicit time."""
    return pygit2.Signature(name, email, when, 0)


@pytest.fixture
def sc(builder: RepoBuilder) -> Scenario:
    """A fresh scenario."""
    return Scenario(builder)


# -- exact landings ---------------------------------------------------------------------

def test_exact_twin_merged_back_into_downstream_is_found_where_git_cherry_misses_it(sc: Scenario) -> None:
    d = sc.down("kvm: Add in-kernel irqchip reset", {"hw/apic.c": source("apic", l5="reset();")})
    other = sc.down("qemu-kvm: downstream only feature", {"qemu-kvm.c": "int kvm_smp;\n"})
    sc.up("net: unrelated upstream work", {"vl.c": source("vl", l1="net();")})
    u = sc.up("kvm: Add in-kernel irqchip reset", {"hw/apic.c": source("apic", l5="reset();")},
              author=person("Upstream Author", "up@example.org", EPOCH + 99999))
    sc.merge_upstream_into_downstream()

    # the oracle misses it: the upstream twin sits inside downstream's own history
    cherry = sc.cherry()
    assert cherry[d] == "+"
    assert cherry[other] == "+"

    result = sc.run()
    e = entry(result, d)
    assert e.state == LANDED
    assert e.match is not None and e.match.id == u and e.match.how == "patch-id" and e.match.where == "upstream"
    assert e.patch_id == git_patch_id(sc.path, d) == git_patch_id(sc.path, u)
    assert entry(result, other).state == REMAINING
    assert [x.meta.id for x in result.entries] == [other, d]  # newest first, the merge is not listed
    s = result.summary()
    assert (s["downstream_only"], s["landed"], s["landed_exact"], s["remaining"]) == (2, 1, 1, 1)


def test_twin_deep_in_old_upstream_history_is_found(sc: Scenario) -> None:
    u = sc.up("ioapic: Fix level-triggered EOI", {"hw/i8259.c": source("i8259", l3="eoi();")})
    for i in range(30):
        sc.up(f"upstream work number {i}", {"vl.c": source("vl", l7=f"work{i}();")})
    d = sc.down("ioapic: fix level-triggered eoi (backport)", {"hw/i8259.c": source("i8259", l3="eoi();")})
    e = entry(sc.run(), d)
    assert (e.state, e.match and e.match.id, e.match and e.match.how) == (LANDED, u, "patch-id")


# -- patch-ids agree with the oracle --------------------------------------------------------

GITLINK_A = "1111111111111111111111111111111111111111"
GITLINK_B = "2222222222222222222222222222222222222222"


def _odd_commits(b: RepoBuilder) -> dict[str, str]:
    """Commits of every awkward kind, on one branch; returns {kind: id}."""
    kinds: dict[str, str] = {}
    kinds["root"] = b.commit("root", {"a.txt": source("a"), "tool.sh": "#!/bin/sh\necho hi\n",
                                      "img.bin": b"\x00\x01\x02binary\x00" * 20,
                                      "roms/seabios": (pygit2.GIT_FILEMODE_COMMIT, GITLINK_A.encode())}, ref=DOWN)
    kinds["ordinary"] = b.commit("ordinary", {"a.txt": source("a", l2="changed")}, ref=DOWN)
    kinds["rename"] = b.commit("rename", {"a.txt": None, "b.txt": source("a", l2="changed")}, ref=DOWN)
    kinds["rename+edit"] = b.commit("rename with edit", {"b.txt": None, "c.txt": source("a", l2="changed", l9="x")},
                                    ref=DOWN)
    kinds["mode"] = b.commit("mode only", {"tool.sh": (pygit2.GIT_FILEMODE_BLOB_EXECUTABLE, b"#!/bin/sh\necho hi\n")},
                             ref=DOWN)
    kinds["mode+edit"] = b.commit("mode and edit", {"tool.sh": (pygit2.GIT_FILEMODE_BLOB, b"#!/bin/sh\necho ho\n")},
                                  ref=DOWN)
    kinds["binary"] = b.commit("binary", {"img.bin": b"\x00\x03\x04other\x00" * 30}, ref=DOWN)
    kinds["binary-new"] = b.commit("binary new", {"new.bin": b"\x00\xff" * 10}, ref=DOWN)
    kinds["submodule"] = b.commit("submodule bump",
                                  {"roms/seabios": (pygit2.GIT_FILEMODE_COMMIT, GITLINK_B.encode())}, ref=DOWN)
    kinds["submodule-new"] = b.commit("submodule add",
                                      {"roms/vgabios": (pygit2.GIT_FILEMODE_COMMIT, GITLINK_A.encode())}, ref=DOWN)
    kinds["delete"] = b.commit("delete", {"c.txt": None}, ref=DOWN)
    kinds["crlf+no-eol"] = b.commit("crlf", {"w.txt": "dos\r\nline\r\nno newline at end"}, ref=DOWN)
    kinds["empty"] = b.commit("empty diff", {}, ref=DOWN)
    return kinds


def test_patch_ids_equal_the_oracle_for_every_kind_of_commit(builder: RepoBuilder) -> None:
    kinds = _odd_commits(builder)
    path = Path(builder.repo.path)
    result = compute_patch_ids(path, list(kinds.values()))
    assert not result.unreadable
    for kind, commit_id in kinds.items():
        assert result.patch_ids[commit_id] == git_patch_id(path, commit_id), kind
    assert result.patch_ids[kinds["empty"]] is None
    assert len({result.patch_ids[kinds[k]] for k in kinds if k != "empty"}) == len(kinds) - 1


def test_patch_ids_in_parallel_chunks_equal_the_oracle(builder: RepoBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many commits, split over several git processes, still each get their own patch-id."""
    ids = [builder.commit(f"c{i}", {f"f{i % 7}.txt": source("f", l1=str(i))}, ref=DOWN) for i in range(260)]
    path = Path(builder.repo.path)
    result = compute_patch_ids(path, ids)
    sample = ids[::37] + [ids[-1]]
    assert {i: result.patch_ids[i] for i in sample} == {i: git_patch_id(path, i) for i in sample}
    assert len(result.patch_ids) == 260


def test_metadata_paths_for_renames_modes_binaries_and_submodules(builder: RepoBuilder) -> None:
    kinds = _odd_commits(builder)
    metas = scan_metadata(Path(builder.repo.path), list(kinds.values())).metas
    paths = {kind: sorted(metas[i].paths) for kind, i in kinds.items()}
    assert paths["rename"] == ["a.txt", "b.txt"]
    assert paths["mode"] == ["tool.sh"]
    assert paths["binary"] == ["img.bin"]
    assert paths["submodule"] == ["roms/seabios"]
    assert paths["empty"] == []
    assert paths["root"] == ["a.txt", "img.bin", "roms/seabios", "tool.sh"]


def test_streamed_walk_reads_what_the_chunked_scan_reads(builder: RepoBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    """One `git log` walk lists in rev-list order and reads the same metadata, however its output is cut."""
    _odd_commits(builder)
    builder.commit("odd\tname \"quoted\" caf\u00e9", {"dir/t\tab \"q\".c": "x\n", "\u00e9t\u00e9.c": "y\n"}, ref=DOWN)
    path = Path(builder.repo.path)
    ids = list_commits(path, [DOWN])
    expected = scan_metadata(path, ids).metas
    monkeypatch.setattr(history, "_READ_SIZE", 7)  # records and paths split across reads
    batches: list[dict[str, CommitMeta]] = []
    streamed, error = stream_metadata(path, [DOWN], [], batches.append, batch=2)
    assert error == "" and streamed == ids and len(batches) > 1
    assert {k: v for b in batches for k, v in b.items()} == expected
    assert stream_metadata(path, [DOWN], [ids[-2]], batches.append)[0] == ids[:-2]


def test_streamed_walk_stopped_by_its_reader_leaves_no_git_and_no_file(builder: RepoBuilder, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """git writes into an unlinked temporary file: a reader that gives up kills git and leaves nothing."""
    for n in range(6):
        builder.commit(f"commit {n}", {f"f{n}.c": f"{n}\n"}, ref=DOWN)
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))

    def give_up(metas: dict[str, CommitMeta]) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stream_metadata(Path(builder.repo.path), [DOWN], [], give_up, batch=1)
    assert list(spool.iterdir()) == []
    assert _git_children() == []  # git was killed and reaped, not left running or as a zombie


# Writes 4 MiB in 64 KiB pieces, a little at a time, as git log does.
SLOW_WRITER = """
import sys, time
piece = bytes(range(256)) * 256
for n in range(64):
    sys.stdout.buffer.write(piece)
    sys.stdout.buffer.flush()
    time.sleep(0.005)
"""


def test_what_the_walk_has_read_of_its_file_is_freed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The temporary file git writes into keeps only what is not read yet (where holes can be punched)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    release = history._hole_puncher()
    scratch = tmp_path / "scratch"
    scratch.write_bytes(b"x" * (1 << 17))
    with scratch.open("r+b") as probe:
        if release is None or not release(probe.fileno(), 1 << 17):
            pytest.skip("no hole punching here (FALLOC_FL_PUNCH_HOLE)")
    allocated: list[int] = []
    data = b""
    with history._GrowingOutput() as output:
        proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITER], stdout=output.writer)
        for chunk in output.chunks(proc):
            data += chunk
            allocated.append(os.fstat(output.writer.fileno()).st_blocks * 512)
    assert data == (bytes(range(256)) * 256) * 64
    assert max(allocated) <= 1 << 20  # never more than a few unread pieces, not the 4 MiB written


def _git_children() -> list[str]:
    """This process's child processes that are git, as /proc shows them (zombies included)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            name = (entry / "stat").read_text().split("(", 1)[1].rsplit(")", 1)[0]
        except (OSError, IndexError):
            continue
        if int(fields[1]) == os.getpid() and name.startswith("git"):
            found.append(f"{entry.name} {name} {fields[0]}")
    return found


def test_streamed_walk_that_fails_says_so(builder: RepoBuilder) -> None:
    builder.commit("one", {"a.txt": "a\n"}, ref=DOWN)
    ids, error = stream_metadata(Path(builder.repo.path), ["0" * 40], [], lambda metas: None)
    assert ids is None and error


@pytest.mark.parametrize("kind", ["root", "rename", "rename+edit", "mode", "mode+edit", "binary", "submodule",
                                  "delete"])
def test_odd_commits_land_exactly_through_divergence(builder: RepoBuilder, kind: str) -> None:
    """The same odd change made upstream is found with the oracle's patch-id."""
    kinds = _odd_commits(builder)
    target = kinds[kind]
    commit = builder.repo[target].peel(pygit2.Commit)
    # Upstream: the same change (same parent tree -> same tree) under another author and subject.
    parents = [str(p) for p in commit.parent_ids]
    twin = builder.commit(f"{kind}, as upstream wrote it", parents=parents, tree=commit.tree_id,
                          author=person("Up Stream", "up@example.org", EPOCH + 5), ref=UP)
    if kind != "root":
        # upstream must not contain the downstream commit itself: it is rooted at the same parent
        assert not builder.repo.descendant_of(pygit2.Oid(hex=twin), pygit2.Oid(hex=target))
    path = Path(builder.repo.path)
    result = compute_divergence(Repo(path), DOWN, UP)
    e = entry(result, target)
    assert e.state == LANDED and e.match is not None
    assert e.match.how == "patch-id" and e.match.id == twin
    assert e.patch_id == git_patch_id(path, target) == git_patch_id(path, twin)


# -- morphed landings -------------------------------------------------------------------------

def test_morphed_by_subject(sc: Scenario) -> None:
    d = sc.down("kvm: Add in-kernel PIT support", {"hw/i8254-kvm.c": "int pit;\nint old_kernel_compat;\n",
                                                   "qemu-kvm.c": "pit_init();\n"})
    u = sc.up("[PATCH v3] KVM: add in-kernel PIT support.", {"hw/i8254-kvm.c": "int pit;\nint state;\n"},
              author=person("Reviewer", "rev@example.org", EPOCH + 7777))
    e = entry(sc.run(), d)
    assert e.state == LANDED and e.match is not None
    assert (e.match.id, e.match.how, e.match.where) == (u, "subject", "upstream")
    assert 0.6 <= e.match.score < 1.0
    assert sc.run().summary()["landed_morphed"] == 1


def test_morphed_by_author_date(sc: Scenario) -> None:
    when = EPOCH + 4242
    d = sc.down("qemu-kvm: Use upstream signalfd", {"compatfd.c": "int fd;\nint legacy;\n"},
                author=person("Jan", "jan@example.org", when))
    u = sc.up("Introduce qemu_signalfd for everyone", {"compatfd.c": "int fd;\nint modern;\n", "Makefile": "x\n"},
              author=person("Jan K", "JAN@example.org", when))
    e = entry(sc.run(), d)
    assert e.state == LANDED and e.match is not None
    assert (e.match.id, e.match.how) == (u, "author-date")


def test_morphed_by_trailer_naming_upstream(sc: Scenario) -> None:
    u = sc.up("target-i386: Implement the thing", {"vl.c": source("vl", l20="thing();")})
    d = sc.down("backport: the thing, adapted", {"qemu-kvm-x86.c": "totally different code\n"},
                author=person("Backporter", "bp@example.org", EPOCH + 3))
    d_msg_id = sc.down(f"thing, second backport\n\nUpstream-commit: {u[:12]}\n", {"x.c": "y\n"})
    result = sc.run()
    assert entry(result, d).state == REMAINING  # no evidence at all
    e = entry(result, d_msg_id)
    assert e.state == LANDED and e.match is not None and (e.match.id, e.match.how) == (u, "trailer")


def test_morphed_by_similarity(sc: Scenario) -> None:
    body = "".join(f"int device_assignment_{i} = {i};\n" for i in range(20))
    d = sc.down("device-assignment: Handle MSI-X tables", {"hw/device-assignment.c": body + "int compat;\n"},
                author=person("Alex", "alex@example.org", EPOCH + 10))
    u = sc.up("kvm: i386: Add classic PCI device assignment", {"hw/device-assignment.c": body},
              author=person("Alex", "alex@example.org", EPOCH + 99999))
    sc.up("unrelated same-file change by someone else", {"hw/device-assignment.c": "int other;\n"},
          author=person("Other", "other@example.org", EPOCH + 99990))
    e = entry(sc.run(), d)
    assert e.state == LANDED and e.match is not None
    assert (e.match.id, e.match.how) == (u, "similar")
    assert e.match.score >= 0.6


def test_dissimilar_same_author_same_files_is_not_matched(sc: Scenario) -> None:
    d = sc.down("irqchip: first idea", {"hw/ioapic.c": "".join(f"a{i}\n" for i in range(20))},
                author=person("Avi", "avi@example.org", EPOCH + 1))
    sc.up("irqchip: a different idea", {"hw/ioapic.c": "".join(f"b{i}\n" for i in range(20))},
          author=person("Avi", "avi@example.org", EPOCH + 2))
    assert entry(sc.run(), d).state == REMAINING


@pytest.mark.parametrize("subject", ["Update", "Merge branch 'upstream-merge'", "Fix build", "kvm: fix",
                                     "qemu-kvm-0.12.1"])
def test_generic_subjects_never_match_alone(sc: Scenario, subject: str) -> None:
    d = sc.down(subject, {"hw/apic.c": source("apic", l1="mine();")}, author=person("A", "a@example.org", EPOCH + 1))
    sc.up(subject, {"hw/apic.c": source("apic", l30="theirs();")}, author=person("B", "b@example.org", EPOCH + 2))
    e = entry(sc.run(), d)
    assert (e.state, e.match) == (REMAINING, None)


def test_same_subject_but_unrelated_files_and_author_is_not_matched(sc: Scenario) -> None:
    d = sc.down("kvm: Add in-kernel PIT support", {"hw/i8254-kvm.c": "int pit;\n"},
                author=person("A", "a@example.org", EPOCH + 1))
    sc.up("kvm: Add in-kernel PIT support", {"docs/pit.txt": "words\n"}, author=person("B", "b@example.org", EPOCH + 2))
    assert entry(sc.run(), d).state == REMAINING


# -- the queue ---------------------------------------------------------------------------------

def test_queued_exact_and_morphed(sc: Scenario) -> None:
    d1 = sc.down("kvm: Enable TPR patching", {"kvm-tpr-opt.c": "int tpr;\n"})
    d2 = sc.down("extboot: Add boot=on", {"hw/extboot.c": "int extboot;\nint old;\n"})
    d3 = sc.down("testdev: add test device", {"hw/testdev.c": "int t;\n"})
    q1 = sc.queue("kvm: enable TPR patching (for upstream)", {"kvm-tpr-opt.c": "int tpr;\n"})
    q2 = sc.queue(f"extboot: Add boot=on\n\n(cherry picked from commit {d2})\n", {"hw/extboot.c": "int extboot;\n"})
    result = sc.run()
    e1, e2 = entry(result, d1), entry(result, d2)
    assert e1.state == QUEUED and e1.match is not None and (e1.match.id, e1.match.how, e1.match.where) == (
        q1, "patch-id", "queue")
    assert e2.state == QUEUED and e2.match is not None and (e2.match.id, e2.match.where) == (q2, "queue")
    assert e2.match.how in ("trailer", "subject")
    assert entry(result, d3).state == REMAINING
    assert result.queue == sc.tip(QUEUE)
    assert result.summary()["queued"] == 2
    # Without a queue, they are remaining.
    assert entry(sc.run(queue=False), d1).state == REMAINING


def test_landed_beats_queued(sc: Scenario) -> None:
    change = {"hw/apic.c": source("apic", l8="both();")}
    d = sc.down("apic: both places", change)
    u = sc.up("apic: both places", change)
    sc.queue("apic: both places, queued copy", {"hw/apic.c": source("apic", l8="both();", l9="q();")})
    e = entry(sc.run(), d)
    assert e.state == LANDED and e.match is not None and e.match.id == u


def test_chain_through_queue_commit_that_landed(sc: Scenario) -> None:
    """D matches queue commit Q by subject; Q landed upstream as U (same patch-id, reworded subject)."""
    d = sc.down("kvm: Add MCE injection", {"kvm-all.c": source("kvm", l4="mce();"), "qemu-kvm.c": "compat_mce();\n"},
                author=person("Huang", "huang@example.org", EPOCH + 100))
    q = sc.queue("kvm: Add MCE injection", {"kvm-all.c": source("kvm", l4="mce();")},
                 author=person("Huang", "huang@example.org", EPOCH + 200))
    u = sc.up("x86: Machine-check exception support", {"kvm-all.c": source("kvm", l4="mce();")},
              author=person("Huang", "huang@example.org", EPOCH + 300))
    e = entry(sc.run(), d)
    assert e.state == LANDED and e.match is not None
    assert e.match.id == u and e.match.where == "upstream"
    assert e.match.chain == [q, u]


def test_chain_through_trailer_naming_an_old_queue_version(sc: Scenario) -> None:
    """D names Q1 (an old queue version outside upstream); Q1's patch-id equals upstream's U."""
    change = {"hw/i8259.c": source("i8259", l11="kvm_pic();")}
    q1 = sc.b.commit("i8259: in-kernel PIC (v1)", change, parents=[sc.root],
                     author=person("Jan", "jan@example.org", EPOCH + 50))
    sc.b.ref("refs/tags/uq-v1", q1)
    u = sc.up("i8259: Add in-kernel PIC support", change, author=person("Jan", "jan@example.org", EPOCH + 60))
    d = sc.down(f"qemu-kvm: in-kernel pic\n\n(cherry picked from commit {q1})\n",
                {"hw/i8259.c": source("i8259", l11="kvm_pic();", l12="compat();")},
                author=person("Marcelo", "mtosatti@example.org", EPOCH + 70))
    e = entry(sc.run(), d)
    assert e.state == LANDED and e.match is not None
    assert (e.match.id, e.match.how) == (u, "trailer")
    assert e.match.chain == [q1, u]


def test_three_versions_old_queue_merged_upstream_then_back_into_downstream(sc: Scenario) -> None:
    """D (downstream), Q1 (picked from D, other context; upstream merged the queue), merged back down.

    All versions have different patch-ids; `git cherry` sees nothing; the trailer uq pick wrote links them.
    """
    when = EPOCH + 555
    d = sc.down("kvm: Add paravirt clock", {"kvm-all.c": source("kvm", l30="pvclock();", l31="old_api();")},
                author=person("Glauber", "glommer@example.org", when))
    sc.up("upstream: move things around", {"kvm-all.c": source("kvm", l29="moved();")})
    q1 = sc.queue(f"kvm: Add paravirt clock\n\n(cherry picked from commit {d})\nSigned-off-by: QM <qm@example.org>\n",
                  {"kvm-all.c": source("kvm", l29="moved();", l30="pvclock();")},
                  author=person("Glauber", "glommer@example.org", when))
    sc.merge(UP, q1, "Merge remote branch 'qemu-kvm/uq/master'")
    sc.merge_upstream_into_downstream()
    path = sc.path
    assert git_patch_id(path, d) != git_patch_id(path, q1)
    assert sc.cherry()[d] == "+"
    e = entry(sc.run(queue=False), d)
    assert e.state == LANDED and e.match is not None
    assert e.match.id == q1 and e.match.where == "upstream"


# -- reverse provenance --------------------------------------------------------------------------

def test_reverse_provenance_from_queue(sc: Scenario) -> None:
    """A queue commit saying `(cherry picked from commit D)` matches D although nothing else agrees."""
    d = sc.down("qemu-kvm: ugly downstream hack", {"qemu-kvm.c": "hack();\n"},
                author=person("A", "a@example.org", EPOCH + 1))
    q = sc.queue(f"kvm: Clean implementation of the feature\n\nRewritten.\n\n(cherry picked from commit {d})\n",
                 {"kvm-all.c": source("kvm", l2="clean();")}, author=person("B", "b@example.org", EPOCH + 2))
    e = entry(sc.run(), d)
    assert e.state == QUEUED and e.match is not None
    assert (e.match.id, e.match.how, e.match.where) == (q, "trailer", "queue")


def test_reverse_provenance_from_upstream_with_abbreviated_id(sc: Scenario) -> None:
    """Stable-tree style: an upstream commit names the downstream commit (abbreviated)."""
    d = sc.down("qemu-kvm: downstream fix", {"qemu-kvm.c": "fix();\n"}, author=person("A", "a@example.org", EPOCH + 1))
    decoy = sc.down("qemu-kvm: another fix", {"qemu-kvm.c": "fix2();\n"}, author=person("A", "a@example.org", EPOCH + 9))
    for i in range(5):
        sc.up(f"upstream noise {i}", {"vl.c": source("vl", l3=f"n{i}();")})
    u = sc.up(f"Fix it the upstream way\n\ncommit {d} upstream.\n", {"vl.c": source("vl", l5="fixed();")},
              author=person("B", "b@example.org", EPOCH + 2))
    u2 = sc.up(f"Fix it again\n\nUpstream-commit: {decoy[:10]}\n", {"kvm-all.c": source("kvm", l5="x();")},
               author=person("B", "b@example.org", EPOCH + 3))
    result = sc.run()
    e = entry(result, d)
    assert e.state == LANDED and e.match is not None and (e.match.id, e.match.how) == (u, "trailer")
    e2 = entry(result, decoy)
    assert e2.state == LANDED and e2.match is not None and (e2.match.id, e2.match.how) == (u2, "trailer")


def test_reverse_provenance_after_uq_pick(sc: Scenario) -> None:
    """`uq pick` writes the provenance; after hand edits in the queue the pick still matches D."""
    d = sc.down("hw: add testdev", {"hw/testdev.c": "int t;\n"})
    assert cli.main(["--repo", str(sc.path), "profile", "add", "master", "--downstream", DOWN,
                     "--upstream", UP]) == 0
    assert cli.main(["--repo", str(sc.path), "pick", d]) == 0
    picked = sc.tip(QUEUE)
    assert f"(cherry picked from commit {d})" in sc.b.repo[picked].peel(pygit2.Commit).message
    # The maintainer amends the queue commit: other content and subject, same provenance line.
    commit = sc.b.repo[picked].peel(pygit2.Commit)
    amended = sc.b.commit(commit.message.replace("hw: add testdev", "testdev: Introduce the test device"),
                          {"hw/testdev.c": "int test_device;\n", "Makefile.objs": "obj-y += testdev.o\n"},
                          parents=[str(commit.parent_ids[0])], author=person("QM", "qm@example.org", EPOCH + 8))
    sc.b.ref(QUEUE, amended)
    e = entry(sc.run(), d)
    assert e.state == QUEUED and e.match is not None and (e.match.id, e.match.how) == (amended, "trailer")


# -- odd commits -----------------------------------------------------------------------------------

def test_empty_diff_commit_is_no_diff_and_does_not_crash(sc: Scenario) -> None:
    d = sc.down("qemu-kvm: tag kvm-88", {})
    sc.up("something upstream", {"vl.c": source("vl", l2="x();")})
    result = sc.run()
    e = entry(result, d)
    assert e.no_diff and e.state == REMAINING and e.patch_id is None
    assert result.summary()["no_diff"] == 1
    assert result.to_json()["commits"][0]["no_diff"] is True


# -- incremental runs and the cache -------------------------------------------------------------

def compute_with_stats(repo: Repo) -> tuple[Divergence, dict[str, int]]:
    """One divergence run of DOWN against UP, with the counts of the work it had to do."""
    computer = DivergenceComputer(repo)
    try:
        return computer.compute(DOWN, UP, None), dict(computer.stats)
    finally:
        computer.close()


def test_second_run_is_incremental(sc: Scenario) -> None:
    for i in range(12):
        sc.up(f"upstream change {i}", {"vl.c": source("vl", l1=f"u{i}();")})
    d = sc.down("kvm: downstream feature", {"kvm-all.c": source("kvm", l3="feature();")})
    sc.up("kvm: downstream feature", {"kvm-all.c": source("kvm", l3="feature();")})
    repo = Repo(sc.path)

    def run() -> tuple[Divergence, dict[str, int]]:
        return compute_with_stats(repo)

    first, stats1 = run()
    assert stats1["metadata_scanned"] == 14 + 1  # root + 13 upstream + 1 downstream
    assert stats1["patch_ids_computed"] == 2
    assert entry(first, d).state == LANDED

    assert stats1["answer_reused"] == 0

    second, stats2 = run()
    assert stats2["metadata_scanned"] == 0 and stats2["patch_ids_computed"] == 0
    assert stats2["upstream_listed"] == 0
    assert stats2["answer_reused"] == 1  # same tips: the remembered answer
    assert second.to_json() == first.to_json()

    new_up = sc.up("one more upstream commit", {"vl.c": source("vl", l9="more();")})
    new_down = sc.down("one more downstream commit", {"qemu-kvm.c": "more();\n"})
    third, stats3 = run()
    assert stats3["answer_reused"] == 0
    assert stats3["metadata_scanned"] == 2
    assert stats3["upstream_listed"] == 1  # only the new upstream commit was listed
    assert stats3["patch_ids_computed"] == 0
    cache = IdentityCache(repo.uq_dir())
    try:
        assert len(cache.metas([new_up, new_down])) == 2
    finally:
        cache.close()
    assert entry(third, new_down).state == REMAINING and entry(third, d).state == LANDED


def test_cold_run_equals_the_listing_and_scanning_path(sc: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold cache walks and reads in one pass and starts patch-ids early; the answer and the work are the same."""
    for i in range(30):
        sc.up(f"upstream change {i}", {f"hw/f{i % 4}.c": source("f", l1=f"u{i}();")})
    landed = sc.down("kvm: landed change", {"hw/f1.c": source("f", l1="u9();")})
    sc.up("kvm: landed change", {"hw/f1.c": source("f", l1="u9();")})
    queued = sc.down("kvm: queued change", {"q.c": "q\n"})
    sc.queue("kvm: queued change", {"q.c": "q\n"})
    sc.down("kvm: remaining change", {"hw/f2.c": source("f", l3="mine();")})
    repo = Repo(sc.path)

    def run(seed: bool) -> tuple[Divergence, dict[str, int]]:
        folder = repo.uq_dir()
        for suffix in ("", "-wal", "-shm"):
            Path(str(folder / "identity.sqlite") + suffix).unlink(missing_ok=True)
        if seed:  # a cache that knows some commit takes the listing and scanning path
            cache = IdentityCache(folder)
            cache.store_metas([CommitMeta("f" * 40, "unrelated", "A", "a@example.org", 1, ["x.c"])])
            cache.close()
        computer = DivergenceComputer(repo)
        try:
            return computer.compute(DOWN, UP, QUEUE), dict(computer.stats)
        finally:
            computer.close()

    late: list[int] = []
    real = divergence.compute_patch_ids

    def counted(path: Path, ids: list[str], progress: Any = None) -> Any:
        late.append(len(ids))
        return real(path, ids, progress)

    monkeypatch.setattr(divergence, "compute_patch_ids", counted)
    cold, cold_stats = run(seed=False)
    assert late == []  # every patch-id was started beside the upstream walk
    classic, classic_stats = run(seed=True)
    assert late == [classic_stats["patch_ids_computed"]]
    assert cold.to_json() == classic.to_json()
    assert cold_stats == classic_stats
    assert entry(cold, landed).state == LANDED and entry(cold, queued).state == QUEUED
    assert cold_stats["patch_ids_computed"] > 2


def test_upstream_rewound_is_recomputed(sc: Scenario) -> None:
    d = sc.down("kvm: feature", {"kvm-all.c": source("kvm", l3="feature();")})
    sc.up("kvm: feature", {"kvm-all.c": source("kvm", l3="feature();")})
    assert entry(sc.run(), d).state == LANDED
    sc.b.ref(UP, sc.root)  # upstream was reset: the twin is gone
    assert entry(sc.run(), d).state == REMAINING


def test_corrupted_cache_is_rebuilt_with_a_warning(sc: Scenario) -> None:
    d = sc.down("kvm: feature", {"kvm-all.c": source("kvm", l3="feature();")})
    sc.up("kvm: feature", {"kvm-all.c": source("kvm", l3="feature();")})
    good = sc.run().to_json()
    assert good["warnings"] == []
    db = sc.path / "uqgui" / "identity.sqlite"
    assert db.exists()
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database, just garbage " * 300)
    again = sc.run().to_json()
    assert any("damaged" in w and "rebuilt" in w for w in again["warnings"])
    assert again["commits"] == good["commits"] and again["summary"] == good["summary"]
    assert entry(sc.run(), d).state == LANDED
    assert sc.run().warnings == []  # rebuilt for good


def test_corrupted_pages_inside_a_valid_header_are_rebuilt(sc: Scenario) -> None:
    """Damage that sqlite only notices when reading tables (not at open) is handled the same way."""
    for i in range(200):
        sc.up(f"upstream change number {i}", {f"dir{i % 10}/f.c": f"{i}\n"})
    d = sc.down("kvm: feature", {"kvm-all.c": source("kvm", l3="feature();")})
    good = sc.run().to_json()
    db = sc.path / "uqgui" / "identity.sqlite"
    data = bytearray(db.read_bytes())
    assert len(data) > 8192
    data[4096:] = b"\xa5" * (len(data) - 4096)  # keep the header page, smash every other page
    db.write_bytes(bytes(data))
    again = sc.run().to_json()
    assert again["commits"] == good["commits"]
    assert any("damaged" in w for w in again["warnings"])
    assert entry(sc.run(), d).state == REMAINING


def _uq(*args: str, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([UQ, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                            env=dict(os.environ))


def test_two_processes_on_a_cold_cache_agree(sc: Scenario) -> None:
    for i in range(300):
        sc.up(f"upstream change number {i}", {f"dir{i % 10}/f{i % 3}.c": f"{i}\n"})
    for i in range(40):
        sc.down(f"downstream change number {i}", {f"dir{i % 10}/f{i % 3}.c": f"{i}\n"})
    sc.queue("queued thing", {"q.c": "q\n"})
    args = ["--repo", str(sc.path), "status", "--json", "--downstream", DOWN, "--upstream", UP, "--queue", QUEUE]
    procs = [_uq(*args) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err.decode()
        assert b"Traceback" not in err
    first, second = (json.loads(o) for o, _ in outs)
    assert first == second
    assert first["summary"]["downstream_only"] == 40
    assert first["summary"]["landed_exact"] == 40  # each has an upstream twin with the same diff
    warm = _uq(*args)
    out, err = warm.communicate(timeout=60)
    assert warm.returncode == 0 and json.loads(out) == first


def test_uq_cache_clear(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    sc.down("kvm: feature", {"kvm-all.c": "x\n"})
    repo = str(sc.path)
    assert cli.main(["--repo", repo, "status", "--downstream", DOWN, "--upstream", UP]) == 0
    db = sc.path / "uqgui" / "identity.sqlite"
    assert db.exists()
    capsys.readouterr()
    assert cli.main(["--repo", repo, "cache", "clear"]) == 0
    assert capsys.readouterr().out.strip() == "Cache cleared."
    assert not db.exists() and not Path(str(db) + "-wal").exists()
    assert cli.main(["--repo", repo, "cache", "clear"]) == 0
    assert capsys.readouterr().out.strip() == "There was no cache."
    assert cli.main(["--repo", repo, "status", "--json", "--downstream", DOWN, "--upstream", UP]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["remaining"] == 1


# -- the JSON of `uq status --json` -------------------------------------------------------------

def test_status_json_shape(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    change = {"hw/apic.c": source("apic", l5="x();")}
    landed = sc.down("apic: landed", change)
    queued = sc.down("i8259: queued", {"hw/i8259.c": source("i8259", l5="y();")})
    remaining = sc.down("vl: remaining", {"vl.c": source("vl", l5="z();")})
    empty = sc.down("qemu-kvm: empty", {})
    u = sc.up("apic: landed", change)
    q = sc.queue("i8259: queued", {"hw/i8259.c": source("i8259", l5="y();")})
    assert cli.main(["--repo", str(sc.path), "profile", "add", "master", "--downstream", DOWN, "--upstream", UP,
                     "--branch", "uq/master"]) == 0
    capsys.readouterr()
    assert cli.main(["--repo", str(sc.path), "status", "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert captured.out.count("\n") == 1  # one JSON object on one line
    assert {"downstream", "upstream", "queue", "commits", "summary", "warnings"} <= set(data)
    assert data["downstream"] == sc.tip(DOWN) and data["upstream"] == sc.tip(UP) and data["queue"] == sc.tip(QUEUE)
    assert data["warnings"] == []
    assert data["summary"] == {"downstream_only": 4, "remaining": 2, "queued": 1, "landed": 1, "landed_exact": 1,
                               "landed_morphed": 0, "no_diff": 1}
    by_id = {c["id"]: c for c in data["commits"]}
    assert [c["id"] for c in data["commits"]] == [empty, remaining, queued, landed]
    for c in data["commits"]:
        assert {"id", "subject", "author", "state", "match"} <= set(c)
        assert c["state"] in ("remaining", "queued", "landed")
        assert c["author"] == "A U Thor <author@example.org>"
        if c["match"] is not None:
            assert {"id", "how", "score", "where"} <= set(c["match"])
            assert c["match"]["how"] in ("patch-id", "trailer", "subject", "author-date", "similar")
            assert c["match"]["where"] in ("upstream", "queue")
            assert isinstance(c["match"]["score"], (int, float))
    assert by_id[landed]["match"] == {**by_id[landed]["match"], "id": u, "how": "patch-id", "score": 1.0,
                                      "where": "upstream"}
    assert by_id[queued]["state"] == "queued" and by_id[queued]["match"]["id"] == q
    assert by_id[queued]["match"]["where"] == "queue"
    assert by_id[remaining]["match"] is None and by_id[empty]["match"] is None
    assert by_id[landed]["subject"] == "apic: landed"


def test_status_json_without_queue_has_null_queue(sc: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    sc.down("vl: remaining", {"vl.c": "x\n"})
    assert cli.main(["--repo", str(sc.path), "status", "--json", "--downstream", DOWN, "--upstream", UP]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["queue"] is None and data["summary"]["remaining"] == 1


def test_cache_damaged_while_in_use_is_rebuilt_mid_run(sc: Scenario) -> None:
    """Damage noticed only by a query in the middle of a run: the run starts over on a fresh cache."""
    d = sc.down("kvm: feature", {"kvm-all.c": source("kvm", l3="feature();")})
    u = sc.up("kvm: feature", {"kvm-all.c": source("kvm", l3="feature();")})
    good = sc.run().to_json()
    computer = DivergenceComputer(Repo(sc.path))
    try:
        assert computer.cache.warnings == []  # opened fine
        db = sc.path / "uqgui" / "identity.sqlite"
        size = db.stat().st_size
        with open(db, "r+b") as f:  # smash every page after the header page, under the open connection
            f.seek(4096)
            f.write(b"\x5a" * max(size - 4096, 4096))
        for suffix in ("-wal", "-shm"):
            p = Path(str(db) + suffix)
            if p.exists():
                p.write_bytes(b"\x00" * p.stat().st_size)
        result = computer.compute(DOWN, UP, None)
    finally:
        computer.close()
    assert any("damaged" in w for w in result.warnings)
    assert result.to_json()["commits"] == good["commits"]
    e = entry(result, d)
    assert e.state == LANDED and e.match is not None and e.match.id == u


def test_remembered_answer_equals_a_fresh_one(sc: Scenario) -> None:
    """Every field survives the answer cache: a warm answer equals the cold one, matches and chains included."""
    change = {"hw/i8259.c": source("i8259", l11="kvm_pic();")}
    q1 = sc.b.commit("i8259: in-kernel PIC (v1)", change, parents=[sc.root],
                     author=person("Jan", "jan@example.org", EPOCH + 50))
    sc.b.ref("refs/tags/uq-v1", q1)
    sc.up("i8259: Add in-kernel PIC support", change, author=person("Jan", "jan@example.org", EPOCH + 60))
    sc.down(f"qemu-kvm: in-kernel pic\n\n(cherry picked from commit {q1})\n",
            {"hw/i8259.c": source("i8259", l11="kvm_pic();", l12="compat();")})
    sc.down("kvm: Add MCE injection", {"kvm-all.c": source("kvm", l4="mce();"), "qemu-kvm.c": "compat_mce();\n"},
            author=person("Huang", "huang@example.org", EPOCH + 100))
    sc.queue("kvm: Add MCE injection", {"kvm-all.c": source("kvm", l4="mce();")},
             author=person("Huang", "huang@example.org", EPOCH + 200))
    sc.down("empty", {})
    cold = sc.run()
    warm = sc.run()
    assert warm.to_json() == cold.to_json()
    assert [e.meta for e in warm.entries] == [e.meta for e in cold.entries]
    assert [(e.meta.paths_key, e.meta.subject_key) for e in warm.entries] == [
        (e.meta.paths_key, e.meta.subject_key) for e in cold.entries]
    assert warm.queue_ids == cold.queue_ids


def test_answer_naming_an_absent_commit_is_not_remembered(sc: Scenario, tmp_path: Path) -> None:
    """A trailer naming a commit this clone lacks: once a fetch brings it, the answer changes."""
    other = RepoBuilder(tmp_path / "elsewhere")
    change = {"hw/i8259.c": source("i8259", l11="kvm_pic();")}
    # The old queue version exists only in another repository, on the same root.
    root = other.commit("Initial import", {"hw/apic.c": source("apic"), "hw/i8259.c": source("i8259"),
                                           "vl.c": source("vl"), "kvm-all.c": source("kvm")}, ref=UP)
    assert root == sc.root
    q1 = other.commit("i8259: in-kernel PIC (v1)", change, parents=[root],
                      author=person("Jan", "jan@example.org", EPOCH + 50), ref="refs/tags/uq-v1")
    u = sc.up("i8259: Add in-kernel PIC support", change, author=person("Jan", "jan@example.org", EPOCH + 60))
    d = sc.down(f"qemu-kvm: in-kernel pic\n\n(cherry picked from commit {q1})\n",
                {"hw/i8259.c": source("i8259", l11="kvm_pic();", l12="compat();")},
                author=person("Marcelo", "mtosatti@example.org", EPOCH + 70))
    assert entry(sc.run(), d).state == REMAINING
    assert entry(sc.run(), d).state == REMAINING
    sc.b.git("-c", "protocol.file.allow=always", "fetch", "-q", f"file://{other.path}", "refs/tags/uq-v1:refs/tags/uq-v1")
    e = entry(sc.run(), d)
    assert e.state == LANDED and e.match is not None and e.match.chain == [q1, u]


def test_answer_with_unreadable_commits_is_not_remembered(sc: Scenario) -> None:
    """A lost object comes back (fetched again): the next answer is complete and the warning is gone."""
    damaged = sc.down("apic: damaged", {"hw/apic.c": source("apic", l5="downstream_only_text();")})
    u = sc.up("apic: the same change upstream", {"hw/apic.c": source("apic", l5="downstream_only_text();")},
              author=person("U", "u@example.org", EPOCH + 5))
    blob = sc.b.repo[damaged].peel(pygit2.Commit).tree["hw/apic.c"].peel(pygit2.Blob)
    data = blob.data
    path = sc.path / "objects" / str(blob.id)[:2] / str(blob.id)[2:]
    saved = path.read_bytes()
    path.unlink()
    # the upstream twin shares the blob: both commits are unreadable now
    first = sc.run()
    assert any(damaged in w for w in first.warnings) and entry(first, damaged).unreadable
    path.write_bytes(saved)
    assert sc.b.repo.create_blob(data) == blob.id
    again = sc.run()
    assert again.warnings == []
    e = entry(again, damaged)
    assert not e.unreadable and e.state == LANDED and e.match is not None and e.match.id == u


def test_upstream_fetch_alone_derives_the_downstream_range(sc: Scenario, tmp_path: Path) -> None:
    """Upstream moved forward (it even merged a downstream commit): the range is derived, not re-walked."""
    for i in range(5):
        sc.up(f"upstream change {i}", {"vl.c": source("vl", l1=f"u{i}();")})
    d1 = sc.down("kvm: first downstream commit", {"kvm-all.c": source("kvm", l3="one();")})
    d2 = sc.down("kvm: second downstream commit", {"hw/apic.c": source("apic", l3="two();")})
    d3 = sc.down("kvm: third downstream commit", {"hw/i8259.c": source("i8259", l3="three();")})
    repo = Repo(sc.path)

    def run() -> tuple[Divergence, dict[str, int]]:
        return compute_with_stats(repo)

    first, stats1 = run()
    assert [e.meta.id for e in first.entries] == [d3, d2, d1] and stats1["downstream_listed"] == 3
    sc.merge(UP, d1, "Merge a downstream fix")  # d1 becomes upstream's too
    sc.up("upstream change after", {"vl.c": source("vl", l2="after();")})
    second, stats2 = run()
    assert stats2["downstream_listed"] == 0 and stats2["upstream_listed"] == 2  # d1 and the new commit
    assert [e.meta.id for e in second.entries] == [d3, d2]
    assert second.to_json() == compute_divergence(Repo(sc.path), DOWN, UP).to_json()
    # and the answer agrees with a cold run on a fresh cache
    (sc.path / "uqgui" / "identity.sqlite").unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(sc.path / "uqgui" / "identity.sqlite") + suffix).unlink(missing_ok=True)
    cold, stats3 = run()
    assert stats3["downstream_listed"] == 2 and cold.to_json() == second.to_json()
    assert sc.b.git("rev-list", "--no-merges", DOWN, f"^{UP}").split() == [d3, d2]


def test_the_last_patch_ids_are_shared_among_the_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What is left when the walk ends is what everybody waits for: one batch per worker, unless tiny."""
    monkeypatch.setattr(history, "worker_count", lambda: 2)
    submitted: list[int] = []
    monkeypatch.setattr(history.BackgroundPatchIds, "_submit", lambda self, ids: submitted.append(len(ids)))
    runner = history.BackgroundPatchIds(tmp_path, batch=4000)
    runner.add(f"{n:040x}" for n in range(4000 + 1262))
    runner.result()
    assert submitted == [4000, 631, 631]
    submitted.clear()
    small = history.BackgroundPatchIds(tmp_path, batch=4000)
    small.add(f"{n:040x}" for n in range(300))
    small.result()
    assert submitted == [300]  # two git start-ups would cost more than they share
