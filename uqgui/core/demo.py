"""The demo: one deterministic repository that plays the qemu / qemu-kvm upstream-queue situation.

`build_demo(DIR)` writes a non-bare repository that looks like a maintainer's clone: `master`
(checked out) is downstream qemu-kvm, both trees sit under refs/remotes/, the queue is a local
branch. Every object is built in memory with fixed signatures and explicit times (no wall clock),
so commit ids are the same on every run and on every machine. The file contents are a miniature
of qemu (plausible C, not real code).

Refs
    refs/remotes/qemu/master          upstream: 41 commits and the merge of an old queue (Anthony
                                      Liguori commits them)
    refs/remotes/qemu-kvm/master      downstream: forks early, merges upstream four times
                                      ("Merge branch 'upstream-merge'"), 29 downstream-only commits
    refs/heads/uq/master              the queue: 4 patches on qemu/master
    refs/remotes/qemu/stable-0.12     upstream's stable series (from "Update version for 0.12.0")
    refs/remotes/qemu-kvm/stable-0.12 downstream's stable branch
    refs/heads/uq/stable-0.12         its queue: 1 patch
    refs/heads/master                 = qemu-kvm/master; HEAD, checked out

Config: profiles `master` (the default, uq.defaultProfile) and `stable-0.12`, each with test
`sh tests/run-tests.sh` and recipients qemu-devel@nongnu.org and kvm@vger.kernel.org.

Roles of the downstream-only commits, by subject (DEMO_FACTS holds the same, for tests):

Landed exactly (an upstream commit has the same `git patch-id --stable`; downstream merged that
twin back later, so `git cherry` and `--cherry-pick` do not see it):
    "kvm: Fix cpuid initialization"                       twin applied upstream by Anthony
    "kvm: x86: Save/restore the kvmclock MSRs"            twin applied upstream by Anthony
    "Add compatfd: signalfd emulation for old hosts"      twin reached upstream through an old queue
                                                          ("Merge remote branch 'qemu-kvm/uq/master'")
Landed morphed:
    "kvm: Flush coalesced MMIO buffer periodically"       (a) same subject; upstream's v2 calls the
                                                          flush from vl.c instead of qemu-kvm.c
    "qemu-kvm: Expose kvmclock to guests in CPUID"        (b) upstream's rewrite "kvm: x86: Add the
                                                          paravirt features to the guest CPUID" (other
                                                          author) says "(cherry picked from commit <it>)"
    "qemu-kvm: Use upstream's VCPU event state code"      (b) names upstream's "kvm: x86: Add support for
                                                          VCPU event states" in an Upstream-commit: trailer
    "kvm: Fix guest single-stepping over interrupt injection"
                                                          (c) upstream's "kvm: x86: Keep IRQs off while
                                                          single-stepping": same author and author date
    "kvm: Handle KVM_EXIT_INTERNAL_ERROR"                 (d) three versions: this one, the earlier queue
                                                          version upstream merged (same change, other
                                                          context), and the upstream fixup "kvm: Dump
                                                          the CPU state on internal errors"
Queued (in uq/master):
    "kvm: x86: Add support for KVM_CAP_DEBUGREGS"         exact pick (cherry picked from, Signed-off-by)
    "apic: Skip NMI delivery to disabled local APICs"     exact pick
    "kvm: Use signalfd to wait for SIGIO and SIGALRM"     morphed: the queue version (same subject,
                                                          author, date) uses vl.c instead of qemu-kvm.c
Remaining (18), the features still to upstream; among them the odd but real ones:
    "kvm: Import libkvm from the kvm-userspace CVS tree"  author e-mail `dor`, an old CVS id, no '@'
    "kvm: bios: Update bios.bin with the kvm extensions"  binary change (pc-bios/bios.bin)
    "i8259: Fix the ELCR mask of the slave PIC"           message and author name in 8-bit Latin bytes
                                                          under an `encoding latin2` header
    "kvm: Tag the kvm-88 release"                         empty diff (tree equals its parent's)
    "kvm: Add in-kernel PIT support"                      its pick onto uq/master conflicts in hw/pc.c:
                                                          upstream's "pc: Use isa_reserve_irq() for the
                                                          PIT" changed the same line
Every other remaining commit picks cleanly onto uq/master, oldest first. Picked alone, about half
need an older remaining commit first (DEMO_FACTS.standalone_picks lists those that do not); the
newest, "kvm: Add testdev, the device behind the kvm unit tests", picks cleanly alone.

The queue's test: tests/run-tests.sh (mode 100755) checks that every object the Makefile builds has
its source. It passes on qemu/master and on downstream; it fails on exactly one queue commit, the
top one, "kvm: Add kvm-stub.c for builds without KVM", which forgot to add kvm-stub.c.

Stable: qemu-kvm/stable-0.12 carries "kvm: Release the memory slot when unregistering memory",
queued (exact) on uq/stable-0.12.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pygit2

from .errors import UqError

START = 1243814400  # 2009-06-01 00:00 UTC: between qemu 0.10 and 0.11, the seed's era
BLOB = pygit2.enums.FileMode.BLOB
EXECUTABLE = pygit2.enums.FileMode.BLOB_EXECUTABLE

DOWNSTREAM = "refs/remotes/qemu-kvm/master"
UPSTREAM = "refs/remotes/qemu/master"
QUEUE = "refs/heads/uq/master"
STABLE_DOWNSTREAM = "refs/remotes/qemu-kvm/stable-0.12"
STABLE_UPSTREAM = "refs/remotes/qemu/stable-0.12"
STABLE_QUEUE = "refs/heads/uq/stable-0.12"
TEST_COMMAND = "sh tests/run-tests.sh"
RECIPIENTS = ("qemu-devel@nongnu.org", "kvm@vger.kernel.org")


# -- people --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    """An author or committer with the time zone their git recorded."""

    name: str
    email: str
    offset: int  # minutes east of UTC

    @property
    def ident(self) -> str:
        """`Name <email>`, as in a Signed-off-by line."""
        return f"{self.name} <{self.email}>"

    def at(self, when: int, encoding: str | None = None) -> pygit2.Signature:
        """This person's signature at WHEN, the name in ENCODING (the commit's) when one is given."""
        if encoding:
            return pygit2.Signature(self.name, self.email, when, self.offset, encoding)
        return pygit2.Signature(self.name, self.email, when, self.offset)


BELLARD = Person("bellard", "bellard@c046a42c-6fe2-441c-8c8c-71466251a162", 0)
ANTHONY = Person("Anthony Liguori", "aliguori@us.ibm.com", -300)
AVI = Person("Avi Kivity", "avi@redhat.com", 180)
MARCELO = Person("Marcelo Tosatti", "mtosatti@redhat.com", -180)
JAN = Person("Jan Kiszka", "jan.kiszka@siemens.com", 120)
SHENG = Person("Sheng Yang", "sheng@linux.intel.com", 480)
GLEB = Person("Gleb Natapov", "gleb@redhat.com", 180)
GLAUBER = Person("Glauber Costa", "glommer@redhat.com", -180)
XIANTAO = Person("Xiantao Zhang", "xiantao.zhang@intel.com", 480)
AMIT = Person("Amit Shah", "amit.shah@redhat.com", 330)
ALEX = Person("Alex Williamson", "alex.williamson@hp.com", -360)
DOR = Person("dor", "dor", 0)  # a CVS id carried over from the kvm-userspace import: no '@'
AURELIEN = Person("Aur\u00e9lien Jarno", "aurelien@aurel32.net", 120)
BLUE = Person("Blue Swirl", "blauwirbel@gmail.com", 0)
GERD = Person("Gerd Hoffmann", "kraxel@redhat.com", 120)
JUAN = Person("Juan Quintela", "quintela@redhat.com", 120)
MARKUS = Person("Markus Armbruster", "armbru@redhat.com", 120)
KEVIN = Person("Kevin Wolf", "kwolf@redhat.com", 120)
PAUL = Person("Paul Brook", "paul@codesourcery.com", 60)
AGRAF = Person("Alexander Graf", "agraf@suse.de", 120)


# -- subjects: the roles (the module docstring explains each) ------------------------------

R_CORE = "qemu-kvm: Add the kvm userspace core loop"
R_LIBKVM = "kvm: Import libkvm from the kvm-userspace CVS tree"
R_SMP = "qemu-kvm: Add SMP support"
R_PIT = "kvm: Add in-kernel PIT support"
R_IA64_TARGET = "kvm: ia64: Add the ia64 target"
R_IA64_MACHINE = "kvm: ia64: Add the ipf machine"
R_EXTBOOT = "Add extboot option rom for boot=on drives"
R_BIOS = "kvm: bios: Update bios.bin with the kvm extensions"
R_TAG = "kvm: Tag the kvm-88 release"
R_TPR = "kvm: Patch the TPR accesses of Windows guests (tpr-opt)"
R_TESTDEV = "kvm: Add testdev, the device behind the kvm unit tests"
R_VAPIC = "kvm: tpr-opt: Add the vapic option rom"
R_APIC_IRQCHIP = "kvm: irqchip: Route the local APIC through the in-kernel irqchip"
R_ELCR = "i8259: Fix the ELCR mask of the slave PIC"
R_DEVASSIGN = "kvm: Add PCI device assignment"
R_MSIX = "device-assignment: Fix the MSI-X table mapping"
R_PIC_IRQCHIP = "kvm: irqchip: Use the in-kernel i8259"
R_PVMMU = "kvm: x86: Enable the paravirt MMU (KVM_FEATURE_MMU_OP)"

E_CPUID = "kvm: Fix cpuid initialization"
E_KVMCLOCK_MSRS = "kvm: x86: Save/restore the kvmclock MSRs"
E_COMPATFD = "Add compatfd: signalfd emulation for old hosts"

M_FLUSH = "kvm: Flush coalesced MMIO buffer periodically"
M_KVMCLOCK = "qemu-kvm: Expose kvmclock to guests in CPUID"
U_KVMCLOCK = "kvm: x86: Add the paravirt features to the guest CPUID"
M_EVENTS = "qemu-kvm: Use upstream's VCPU event state code"
U_EVENTS = "kvm: x86: Add support for VCPU event states"
M_SSTEP = "kvm: Fix guest single-stepping over interrupt injection"
U_SSTEP = "kvm: x86: Keep IRQs off while single-stepping"
M_INTERNAL = "kvm: Handle KVM_EXIT_INTERNAL_ERROR"
U_INTERNAL_FIXUP = "kvm: Dump the CPU state on internal errors"

Q_DEBUGREGS = "kvm: x86: Add support for KVM_CAP_DEBUGREGS"
Q_NMI = "apic: Skip NMI delivery to disabled local APICs"
Q_SIGNALFD = "kvm: Use signalfd to wait for SIGIO and SIGALRM"
Q_STUB = "kvm: Add kvm-stub.c for builds without KVM"

S_SLOT = "kvm: Release the memory slot when unregistering memory"
U_PIT = "pc: Use isa_reserve_irq() for the PIT"
U_TESTS = "tests: Add a quick sanity check of the tree"
MERGE_DOWNSTREAM = "Merge branch 'upstream-merge'"
MERGE_QUEUE = "Merge remote branch 'qemu-kvm/uq/master' into staging"


# -- the facts tests and docs check ----------------------------------------------------------

@dataclass(frozen=True)
class Twin:
    """Where a downstream commit's change is: the evidence kinds accepted and the twin's subject."""

    hows: tuple[str, ...]
    subject: str


@dataclass(frozen=True)
class DemoFacts:
    """What the demo plays, keyed by subject, so checks need no hard-coded commit ids."""

    downstream: str
    upstream: str
    queue: str
    landed: Mapping[str, Twin]
    queued: Mapping[str, Twin]
    remaining: tuple[str, ...]  # oldest first
    # Remaining commits that pick cleanly onto the queue on their own; every other one needs an older
    # remaining commit first (it edits a file or lines that one adds), or is the designed conflict.
    standalone_picks: tuple[str, ...]
    no_diff: tuple[str, ...]
    exact_landed: tuple[str, ...]  # what `git cherry` misses
    conflicting_pick: str
    conflict_paths: tuple[str, ...]
    queue_series: tuple[str, ...]  # oldest first
    failing_test: str  # the one queue commit on which the test command fails
    test_command: str
    recipients: tuple[str, ...]
    latin2: str
    no_at_author: str
    binary: str
    stable_downstream: str
    stable_upstream: str
    stable_queue: str
    stable_queued: Mapping[str, Twin]


_PATCH_ID, _SUBJECT, _TRAILER, _AUTHOR_DATE = "patch-id", "subject", "trailer", "author-date"

DEMO_FACTS = DemoFacts(
    downstream=DOWNSTREAM,
    upstream=UPSTREAM,
    queue=QUEUE,
    landed={
        E_CPUID: Twin((_PATCH_ID,), E_CPUID),
        E_KVMCLOCK_MSRS: Twin((_PATCH_ID,), E_KVMCLOCK_MSRS),
        E_COMPATFD: Twin((_PATCH_ID,), E_COMPATFD),
        M_FLUSH: Twin((_SUBJECT,), M_FLUSH),
        M_KVMCLOCK: Twin((_TRAILER,), U_KVMCLOCK),
        M_EVENTS: Twin((_TRAILER,), U_EVENTS),
        M_SSTEP: Twin((_AUTHOR_DATE,), U_SSTEP),
        # Same subject, author and date, and the queue version names this one: any of these is right.
        M_INTERNAL: Twin((_SUBJECT, _TRAILER, _AUTHOR_DATE), M_INTERNAL),
    },
    queued={
        Q_DEBUGREGS: Twin((_PATCH_ID,), Q_DEBUGREGS),
        Q_NMI: Twin((_PATCH_ID,), Q_NMI),
        Q_SIGNALFD: Twin((_SUBJECT,), Q_SIGNALFD),
    },
    remaining=(
        R_CORE, R_LIBKVM, R_SMP, R_IA64_TARGET, R_PIT, R_EXTBOOT, R_BIOS, R_TAG, R_TPR, R_IA64_MACHINE,
        R_VAPIC, R_APIC_IRQCHIP, R_ELCR, R_DEVASSIGN, R_MSIX, R_PIC_IRQCHIP, R_PVMMU, R_TESTDEV,
    ),
    standalone_picks=(
        R_CORE, R_LIBKVM, R_IA64_TARGET, R_EXTBOOT, R_BIOS, R_TAG, R_TPR, R_ELCR, R_DEVASSIGN, R_TESTDEV,
    ),
    no_diff=(R_TAG,),
    exact_landed=(E_CPUID, E_KVMCLOCK_MSRS, E_COMPATFD),
    conflicting_pick=R_PIT,
    conflict_paths=("hw/pc.c",),
    queue_series=(Q_DEBUGREGS, Q_NMI, Q_SIGNALFD, Q_STUB),
    failing_test=Q_STUB,
    test_command=TEST_COMMAND,
    recipients=RECIPIENTS,
    latin2=R_ELCR,
    no_at_author=R_LIBKVM,
    binary=R_BIOS,
    stable_downstream=STABLE_DOWNSTREAM,
    stable_upstream=STABLE_UPSTREAM,
    stable_queue=STABLE_QUEUE,
    stable_queued={S_SLOT: Twin((_PATCH_ID,), S_SLOT)},
)


def demo_facts(path: Path | None = None) -> DemoFacts:
    """The roles the demo built at PATH plays: the same for every build, the build is deterministic."""
    return DEMO_FACTS


# -- editing trees ------------------------------------------------------------------------------

class _Files:
    """The tree of a commit being made: its parent's tree plus the edits so far."""

    def __init__(self, repo: pygit2.Repository, tree: pygit2.Tree | None) -> None:
        self.repo = repo
        self.index = pygit2.Index()
        if tree is not None:
            self.index.read_tree(tree)

    def read(self, path: str) -> str:
        """The text of PATH."""
        return cast(pygit2.Blob, self.repo[self.index[path].id]).data.decode()

    def mode(self, path: str) -> pygit2.enums.FileMode:
        """The mode of PATH."""
        return pygit2.enums.FileMode(self.index[path].mode)

    def write(self, path: str, data: str | bytes, mode: pygit2.enums.FileMode = BLOB) -> None:
        """Set PATH to DATA."""
        blob = self.repo.create_blob(data.encode() if isinstance(data, str) else data)
        self.index.add(pygit2.IndexEntry(path, blob, mode))

    def write_tree(self) -> pygit2.Oid:
        """Write the tree."""
        return self.index.write_tree(self.repo)


Edit = Callable[[_Files], None]


def put(path: str, data: str | bytes, mode: pygit2.enums.FileMode = BLOB) -> Edit:
    """An edit that sets PATH to DATA."""
    return lambda files: files.write(path, data, mode)


def sub(path: str, old: str, new: str) -> Edit:
    """An edit that replaces the one occurrence of OLD in PATH by NEW."""
    def edit(files: _Files) -> None:
        text = files.read(path)
        count = text.count(old)
        if count != 1:
            # A story that edits the wrong place would silently change every role: stop loudly.
            raise RuntimeError(f"demo data: {old!r} occurs {count} times in {path}")
        files.write(path, text.replace(old, new), files.mode(path))
    return edit


def after(path: str, anchor: str, text: str) -> Edit:
    """An edit that inserts TEXT right after the one occurrence of ANCHOR in PATH."""
    return sub(path, anchor, anchor + text)


def before(path: str, anchor: str, text: str) -> Edit:
    """An edit that inserts TEXT right before the one occurrence of ANCHOR in PATH."""
    return sub(path, anchor, text + anchor)


def append(path: str, text: str) -> Edit:
    """An edit that adds TEXT, after a blank line, at the end of PATH."""
    def edit(files: _Files) -> None:
        files.write(path, files.read(path) + "\n" + text, files.mode(path))
    return edit


def _rom(seed: str, size: int) -> bytes:
    """Deterministic bytes shaped like an x86 option rom (55 AA, size); NULs make git call it binary."""
    data = bytearray()
    digest = seed.encode()
    while len(data) < size:
        digest = hashlib.sha256(digest).digest()
        data += digest
    data[:16] = bytes([0x55, 0xAA, size // 512]) + bytes(13)
    return bytes(data[:size])


# -- the story's machinery ----------------------------------------------------------------------

class _Story:
    """Writes commits straight into the object database on named branches, with a fixed clock."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        self.now = START
        self.step = 0
        self.tips: dict[str, str] = {}
        self.ids: dict[str, str] = {}  # subject -> id, of the commits later steps need

    def tick(self) -> int:
        """Advance the clock by an uneven one to two days and return it."""
        self.step += 1
        self.now += 86400 + (self.step * 27211) % 86400
        return self.now

    def branch(self, name: str, start: str) -> None:
        """Start branch NAME at the tip of branch START (or at a commit id)."""
        self.tips[name] = self.tips.get(start, start)

    def commit(self, branch: str, author: Person, subject: str, edits: Iterable[Edit] = (), *,
               body: str = "", committer: Person | None = None, authored: int | None = None,
               trailers: Sequence[str] | None = None, encoding: str | None = None) -> str:
        """Commit EDITS on BRANCH; remember the id under SUBJECT and return it."""
        when = self.tick()
        committer = committer or author
        if authored is None:
            authored = when - 3600 - (self.step * 1373) % 14400
        if trailers is None:
            trailers = _signoffs(author, committer)
        parent = self.tips.get(branch)
        files = _Files(self.repo, self.repo[parent].peel(pygit2.Commit).tree if parent else None)
        for edit in edits:
            edit(files)
        message = _message(subject, body, trailers)
        oid = self._create(author.at(authored, encoding), committer.at(when, encoding), message, files.write_tree(),
                           [parent] if parent else [], encoding)
        self.tips[branch] = oid
        self.ids[subject] = oid
        return oid

    def merge(self, branch: str, other: str, subject: str, committer: Person, label: str) -> str:
        """Merge the tip of OTHER into BRANCH (refusing conflicts: the story is designed to merge)."""
        ours, theirs = self.tips[branch], self.tips[other]
        base = self.repo.merge_base(ours, theirs)
        index = self.repo.merge_trees(self.repo[base].peel(pygit2.Commit).tree,
                                      self.repo[ours].peel(pygit2.Commit).tree,
                                      self.repo[theirs].peel(pygit2.Commit).tree)
        if index.conflicts is not None:
            paths = sorted({e.path for entry in index.conflicts for e in entry if e is not None})
            raise RuntimeError(f"demo data: merging {other} into {branch} conflicts in {paths}")
        when = self.tick()
        message = _message(subject, self._shortlog(label, ours, theirs), [f"Signed-off-by: {committer.ident}"])
        oid = self._create(committer.at(when), committer.at(when), message, index.write_tree(self.repo),
                           [ours, theirs], None)
        self.tips[branch] = oid
        return oid

    def pick(self, branch: str, subject: str, committer: Person, message: str | None = None) -> str:
        """Apply the commit remembered under SUBJECT onto BRANCH, author kept; MESSAGE defaults to `uq pick`'s."""
        commit = self.repo[self.ids[subject]].peel(pygit2.Commit)
        tip = self.tips[branch]
        index = self.repo.merge_trees(commit.parents[0].tree, self.repo[tip].peel(pygit2.Commit).tree, commit.tree)
        if index.conflicts is not None:
            raise RuntimeError(f"demo data: picking {subject!r} onto {branch} conflicts")
        if message is None:
            message = _picked(commit.message, str(commit.id), committer)
        oid = self._create(commit.author, committer.at(self.tick()), message, index.write_tree(self.repo),
                           [tip], None)
        self.tips[branch] = oid
        return oid

    def message_of(self, subject: str) -> str:
        """The message of the commit remembered under SUBJECT."""
        return self.repo[self.ids[subject]].peel(pygit2.Commit).message

    def authored(self, subject: str) -> int:
        """The author time of the commit remembered under SUBJECT (twins keep it)."""
        return self.repo[self.ids[subject]].peel(pygit2.Commit).author.time

    def _create(self, author: pygit2.Signature, committer: pygit2.Signature, message: str,
                tree: pygit2.Oid, parents: list[str], encoding: str | None) -> str:
        parent_ids: list[str | pygit2.Oid] = [pygit2.Oid(hex=p) for p in parents]
        if encoding:
            data = message.encode(encoding)
            return str(self.repo.create_commit(None, author, committer, data, tree, parent_ids, encoding))
        return str(self.repo.create_commit(None, author, committer, message, tree, parent_ids))

    def _shortlog(self, label: str, ours: str, theirs: str) -> str:
        """The `* label: (N commits)` summary git's merge.log writes."""
        walker = self.repo.walk(pygit2.Oid(hex=theirs), pygit2.enums.SortMode.TOPOLOGICAL)
        walker.hide(pygit2.Oid(hex=ours))
        subjects = [c.message.split("\n", 1)[0] for c in walker if len(c.parent_ids) == 1]
        shown = [f"  {s}" for s in subjects[:8]] + (["  ..."] if len(subjects) > 8 else [])
        return "\n".join([f"* {label}: ({len(subjects)} commits)", *shown])


def _picked(message: str, commit_id: str, committer: Person) -> str:
    """MESSAGE as `uq pick` leaves it: git's -x line, then a sign-off unless the trailers hold it.

    Every demo message picked ends in a Signed-off-by block, so both lines simply go after it.
    Spelled out here rather than borrowed from pick.py so demo ids never move when pick's code does.
    """
    text = message.rstrip("\n")
    signoff = f"Signed-off-by: {committer.ident}"
    lines = [f"(cherry picked from commit {commit_id})"]
    if signoff not in text.rsplit("\n\n", 1)[-1].splitlines():
        lines.append(signoff)
    return "\n".join([text, *lines]) + "\n"


def _signoffs(author: Person, committer: Person) -> list[str]:
    lines = [f"Signed-off-by: {author.ident}"]
    if committer != author:
        lines.append(f"Signed-off-by: {committer.ident}")
    return lines


def _message(subject: str, body: str, trailers: Sequence[str]) -> str:
    parts = [subject]
    if body:
        parts.append(body.strip("\n"))
    if trailers:
        parts.append("\n".join(trailers))
    return "\n\n".join(parts) + "\n"


# -- the tree upstream starts from --------------------------------------------------------------

GPL = " * This work is licensed under the terms of the GNU GPL, version 2 or later.\n" \
      " * See the COPYING file in the top-level directory.\n"

MAKEFILE = """\
# Makefile for QEMU.

include config-host.mak

# core
obj-y += vl.o
obj-y += exec.o
obj-y += cpu-exec.o
obj-y += monitor.o

# block and character devices
obj-y += block.o
obj-y += qemu-char.o
obj-y += net.o

# kvm
obj-y += kvm-all.o

# hardware: the pc
obj-y += hw/pc.o
obj-y += hw/apic.o
obj-y += hw/i8259.o
obj-y += hw/i8254.o

# hardware: buses and devices
obj-y += hw/pci.o
obj-y += hw/ide.o
obj-y += hw/serial.o
obj-y += hw/vga.o

# target
obj-y += target-i386/helper.o
obj-y += target-i386/kvm.o
obj-y += target-i386/machine.o

all: qemu$(EXESUF)

qemu$(EXESUF): $(obj-y)
\t$(call LINK,$^)

clean:
\trm -f $(obj-y) qemu$(EXESUF)
"""

RUN_TESTS = """\
#!/bin/sh
# Quick sanity check of the tree, run on every queue commit (a stand-in for `make check`):
# every object the Makefile builds must have its source.
status=0
for obj in $(sed -n 's/^obj-[^ ]* += //p' Makefile); do
    src=${obj%.o}
    if [ ! -f "$src.c" ] && [ ! -f "$src.S" ]; then
        echo "FAIL: the Makefile builds $obj, but $src.c is missing"
        status=1
    fi
done
if [ "$status" -eq 0 ]; then
    echo "PASS: every object has its source"
fi
exit "$status"
"""

VL_C = """\
/*
 * QEMU System Emulator
 *
 * Copyright (c) 2003-2008 Fabrice Bellard
 *
""" + GPL + """ */
#include "qemu-common.h"
#include "hw/hw.h"
#include "hw/pc.h"
#include "net.h"
#include "sysemu.h"
#include "kvm.h"

int smp_cpus = 1;
int kvm_allowed = 0;
static int no_reboot;

static void main_loop(void)
{
    for (;;) {
        main_loop_wait(qemu_calculate_timeout());
        if (qemu_shutdown_requested()) {
            if (no_reboot) {
                break;
            }
        }
        if (qemu_reset_requested()) {
            pause_all_vcpus();
            qemu_system_reset();
            resume_all_vcpus();
        }
    }
    pause_all_vcpus();
}

static void parse_smp_option(const char *optarg)
{
    smp_cpus = atoi(optarg);
    if (smp_cpus < 1) {
        fprintf(stderr, "Invalid number of CPUs\\n");
        exit(1);
    }
}

static int drive_init(QemuOpts *opts, int *fatal_error)
{
    const char *file;
    int index;

    file = qemu_opt_get(opts, "file");
    index = qemu_opt_get_number(opts, "index", -1);
    if (index >= MAX_DRIVES) {
        fprintf(stderr, "qemu: index cannot be used with bus and unit\\n");
        return -1;
    }
    return drive_add_file(file, index);
}

static void init_accelerator(void)
{
    if (kvm_allowed) {
        int ret = kvm_init(smp_cpus);
        if (ret < 0) {
            fprintf(stderr, "failed to initialize KVM\\n");
            exit(1);
        }
    }
}

int main(int argc, char **argv, char **envp)
{
    const char *kernel_filename = NULL;
    int optind;

    qemu_cache_utils_init(envp);
    module_call_init(MODULE_INIT_MACHINE);
    optind = parse_options(argc, argv);
    init_accelerator();
    machine->init(ram_size, boot_devices, kernel_filename);
    vm_start();
    main_loop();
    quit_timers();
    return 0;
}
"""

KVM_H = """\
/*
 * QEMU KVM support
 *
 * Copyright IBM, Corp. 2008
 *
""" + GPL + """ */

#ifndef QEMU_KVM_H
#define QEMU_KVM_H

#include "config.h"

extern int kvm_allowed;

#define kvm_enabled() (kvm_allowed)

struct kvm_run;

/* external API */

int kvm_init(int smp_cpus);
int kvm_init_vcpu(CPUState *env);
int kvm_cpu_exec(CPUState *env);
void kvm_set_phys_mem(target_phys_addr_t start_addr, ram_addr_t size,
                      ram_addr_t phys_offset);
int kvm_log_start(target_phys_addr_t phys_addr, ram_addr_t size);
int kvm_log_stop(target_phys_addr_t phys_addr, ram_addr_t size);

/* internal API */

int kvm_ioctl(KVMState *s, int type, ...);
int kvm_vm_ioctl(KVMState *s, int type, ...);
int kvm_vcpu_ioctl(CPUState *env, int type, ...);

/* Arch specific hooks */

int kvm_arch_post_run(CPUState *env, struct kvm_run *run);
int kvm_arch_handle_exit(CPUState *env, struct kvm_run *run);
int kvm_arch_pre_run(CPUState *env, struct kvm_run *run);
int kvm_arch_get_registers(CPUState *env);
int kvm_arch_put_registers(CPUState *env);
int kvm_arch_init(KVMState *s, int smp_cpus);
int kvm_arch_init_vcpu(CPUState *env);

#endif
"""

KVM_ALL_C = """\
/*
 * QEMU KVM support
 *
 * Copyright IBM, Corp. 2008
 *           Red Hat, Inc. 2008
 *
 * Authors:
 *  Anthony Liguori   <aliguori@us.ibm.com>
 *  Glauber Costa     <gcosta@redhat.com>
 *
""" + GPL + """ */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/kvm.h>

#include "qemu-common.h"
#include "sysemu.h"
#include "kvm.h"

typedef struct KVMSlot
{
    target_phys_addr_t start_addr;
    ram_addr_t memory_size;
    ram_addr_t phys_offset;
    int slot;
    int flags;
} KVMSlot;

struct KVMState
{
    KVMSlot slots[32];
    int fd;
    int vmfd;
    int coalesced_mmio;
    struct kvm_coalesced_mmio_ring *coalesced_mmio_ring;
};

static KVMState *kvm_state;

int kvm_init(int smp_cpus)
{
    KVMState *s;
    int ret;

    s = qemu_mallocz(sizeof(KVMState));
    s->vmfd = -1;
    s->fd = open("/dev/kvm", O_RDWR);
    if (s->fd == -1) {
        fprintf(stderr, "Could not access KVM kernel module: %m\\n");
        ret = -errno;
        goto err;
    }

    s->vmfd = kvm_ioctl(s, KVM_CREATE_VM, 0);
    if (s->vmfd < 0) {
        ret = s->vmfd;
        goto err;
    }

    s->coalesced_mmio = kvm_check_extension(s, KVM_CAP_COALESCED_MMIO);
    ret = kvm_arch_init(s, smp_cpus);
    if (ret < 0) {
        goto err;
    }

    kvm_state = s;
    return 0;

err:
    if (s->vmfd != -1) {
        close(s->vmfd);
    }
    if (s->fd != -1) {
        close(s->fd);
    }
    qemu_free(s);
    return ret;
}

static void kvm_flush_coalesced_mmio_buffer(void)
{
    KVMState *s = kvm_state;

    if (s->coalesced_mmio_ring) {
        struct kvm_coalesced_mmio_ring *ring = s->coalesced_mmio_ring;
        while (ring->first != ring->last) {
            struct kvm_coalesced_mmio *ent;

            ent = &ring->coalesced_mmio[ring->first];
            cpu_physical_memory_write(ent->phys_addr, ent->data, ent->len);
            ring->first = (ring->first + 1) % KVM_COALESCED_MMIO_MAX;
        }
    }
}

static int kvm_handle_io(uint16_t port, void *data, int direction, int size,
                         uint32_t count)
{
    int i;
    uint8_t *ptr = data;

    for (i = 0; i < count; i++) {
        if (direction == KVM_EXIT_IO_IN) {
            stb_p(ptr, cpu_inb(port));
        } else {
            cpu_outb(port, ldub_p(ptr));
        }
        ptr += size;
    }
    return 1;
}

int kvm_cpu_exec(CPUState *env)
{
    struct kvm_run *run = env->kvm_run;
    int ret;

    do {
        kvm_arch_pre_run(env, run);
        ret = kvm_vcpu_ioctl(env, KVM_RUN, 0);
        kvm_arch_post_run(env, run);

        if (ret == -EINTR || ret == -EAGAIN) {
            ret = 0;
            break;
        }

        ret = 0;
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            ret = kvm_handle_io(run->io.port,
                                (uint8_t *)run + run->io.data_offset,
                                run->io.direction,
                                run->io.size,
                                run->io.count);
            break;
        case KVM_EXIT_MMIO:
            cpu_physical_memory_rw(run->mmio.phys_addr,
                                   run->mmio.data,
                                   run->mmio.len,
                                   run->mmio.is_write);
            ret = 1;
            break;
        case KVM_EXIT_SHUTDOWN:
            qemu_system_reset_request();
            ret = 1;
            break;
        default:
            ret = kvm_arch_handle_exit(env, run);
            break;
        }
    } while (ret > 0);

    return ret;
}

void kvm_set_phys_mem(target_phys_addr_t start_addr, ram_addr_t size,
                      ram_addr_t phys_offset)
{
    KVMState *s = kvm_state;
    KVMSlot *mem;

    mem = kvm_lookup_matching_slot(s, start_addr, start_addr + size);
    if (mem) {
        mem->memory_size = 0;
        kvm_set_user_memory_region(s, mem);
    }
    if (phys_offset & ~TARGET_PAGE_MASK) {
        return;
    }
    mem = kvm_alloc_slot(s);
    mem->memory_size = size;
    mem->start_addr = start_addr;
    mem->phys_offset = phys_offset;
    kvm_set_user_memory_region(s, mem);
}
"""

PC_C = """\
/*
 * QEMU PC System Emulator
 *
 * Copyright (c) 2003-2004 Fabrice Bellard
 *
""" + GPL + """ */
#include "hw.h"
#include "pc.h"
#include "apic.h"
#include "pci.h"
#include "sysemu.h"
#include "kvm.h"

#define BIOS_FILENAME "bios.bin"

static PITState *pit;

static void pc_init_pit(qemu_irq *i8259)
{
    pit = pit_init(0x40, i8259[0]);
    pcspk_init(pit);
}

static CPUState *pc_new_cpu(const char *cpu_model)
{
    CPUState *env;

    env = cpu_init(cpu_model);
    if (!env) {
        fprintf(stderr, "Unable to find x86 CPU definition\\n");
        exit(1);
    }
    if ((env->cpuid_features & CPUID_APIC) || smp_cpus > 1) {
        env->cpuid_apic_id = env->cpu_index;
        apic_init(env);
    }
    qemu_register_reset(main_cpu_reset, env);
    return env;
}

static void pc_init_option_roms(void)
{
    int i;

    for (i = 0; i < nb_option_roms; i++) {
        rom_add_option(option_rom[i]);
    }
}

static void pc_init_pci_devices(PCIBus *pci_bus)
{
    int i;

    for (i = 0; i < nb_nics; i++) {
        pci_nic_init(&nd_table[i], "e1000", NULL);
    }
}

static void pc_init1(ram_addr_t ram_size, const char *boot_device,
                     const char *cpu_model, int pci_enabled)
{
    PCIBus *pci_bus = NULL;
    qemu_irq *i8259;
    int i;

    for (i = 0; i < smp_cpus; i++) {
        pc_new_cpu(cpu_model);
    }
    i8259 = i8259_init(cpu_irq[0]);
    if (pci_enabled) {
        pci_bus = i440fx_init(&i440fx_state, i8259);
    }
    pc_init_pit(i8259);
    pc_init_option_roms();
    if (pci_enabled) {
        pc_init_pci_devices(pci_bus);
    }
}

static QEMUMachine pc_machine = {
    .name = "pc",
    .desc = "Standard PC",
    .init = pc_init_pci,
    .max_cpus = 255,
    .is_default = 1,
};

static void pc_machine_init(void)
{
    qemu_register_machine(&pc_machine);
}

machine_init(pc_machine_init);
"""

APIC_C = """\
/*
 *  APIC support
 *
 *  Copyright (c) 2004-2005 Fabrice Bellard
 *
""" + GPL + """ */
#include "hw.h"
#include "pc.h"
#include "qemu-timer.h"
#include "host-utils.h"
#include "kvm.h"

#define MAX_APICS 255

typedef struct APICState {
    CPUState *cpu_env;
    uint32_t apicbase;
    uint8_t id;
    uint8_t arb_id;
    uint8_t tpr;
    uint32_t spurious_vec;
    uint32_t isr[8];
    uint32_t tmr[8];
    uint32_t irr[8];
    uint32_t lvt[APIC_LVT_NB];
    QEMUTimer *timer;
} APICState;

static APICState *local_apics[MAX_APICS + 1];

static void apic_bus_deliver(const uint32_t *deliver_bitmask,
                             uint8_t delivery_mode,
                             uint8_t vector_num, uint8_t polarity,
                             uint8_t trigger_mode)
{
    APICState *apic_iter;

    switch (delivery_mode) {
        case APIC_DM_SMI:
            foreach_apic(apic_iter, deliver_bitmask,
                cpu_interrupt(apic_iter->cpu_env, CPU_INTERRUPT_SMI) );
            return;

        case APIC_DM_NMI:
            foreach_apic(apic_iter, deliver_bitmask,
                cpu_interrupt(apic_iter->cpu_env, CPU_INTERRUPT_NMI) );
            return;

        case APIC_DM_INIT:
            /* normal INIT IPI sent to processors */
            foreach_apic(apic_iter, deliver_bitmask,
                         apic_init_ipi(apic_iter) );
            return;
    }

    foreach_apic(apic_iter, deliver_bitmask,
                 apic_set_irq(apic_iter, vector_num, trigger_mode) );
}

static void apic_set_irq(APICState *s, int vector_num, int trigger_mode)
{
    set_bit(s->irr, vector_num);
    if (trigger_mode)
        set_bit(s->tmr, vector_num);
    else
        reset_bit(s->tmr, vector_num);
    apic_update_irq(s);
}

static void apic_reset(void *opaque)
{
    APICState *s = opaque;
    int bsp = cpu_is_bsp(s->cpu_env);

    s->apicbase = 0xfee00000 |
        (bsp ? MSR_IA32_APICBASE_BSP : 0) | MSR_IA32_APICBASE_ENABLE;
    apic_init_ipi(s);
    if (bsp) {
        /*
         * LINT0 delivery mode on CPU #0 is set to ExtInt at initialization
         * time typically by BIOS, so PIC interrupt can be delivered to the
         * processor when local APIC is enabled.
         */
        s->lvt[APIC_LVT_LINT0] = 0x700;
    }
}

int apic_init(CPUState *env)
{
    APICState *s;

    if (last_apic_idx >= MAX_APICS)
        return -1;
    s = qemu_mallocz(sizeof(APICState));
    env->apic_state = s;
    s->id = env->cpuid_apic_id;
    s->cpu_env = env;

    apic_reset(s);
    s->timer = qemu_new_timer(vm_clock, apic_timer, s);
    register_savevm("apic", s->id, 3, apic_save, apic_load, s);
    qemu_register_reset(apic_reset, s);

    local_apics[s->id] = s;
    return 0;
}
"""

I8259_C = """\
/*
 * QEMU 8259 interrupt controller emulation
 *
 * Copyright (c) 2003-2004 Fabrice Bellard
 *
""" + GPL + """ */
#include "hw.h"
#include "pc.h"
#include "isa.h"
#include "monitor.h"
#include "qemu-timer.h"

typedef struct PicState {
    uint8_t last_irr; /* edge detection */
    uint8_t irr; /* interrupt request register */
    uint8_t imr; /* interrupt mask register */
    uint8_t isr; /* interrupt service register */
    uint8_t priority_add; /* highest irq priority */
    uint8_t irq_base;
    uint8_t read_reg_select;
    uint8_t poll;
    uint8_t special_mask;
    uint8_t init_state;
    uint8_t auto_eoi;
    uint8_t init4; /* true if 4 byte init */
    uint8_t single_mode; /* true if slave pic is not initialized */
    uint8_t elcr; /* PIIX edge/trigger selection*/
    uint8_t elcr_mask;
    PicState2 *pics_state;
} PicState;

static void i8259_set_irq(void *opaque, int irq, int level)
{
    PicState2 *s = opaque;

    pic_set_irq1(&s->pics[irq >> 3], irq & 7, level);
    pic_update_irq(s);
}

static void pic_reset(void *opaque)
{
    PicState *s = opaque;

    s->last_irr = 0;
    s->irr = 0;
    s->imr = 0;
    s->isr = 0;
    s->priority_add = 0;
    s->irq_base = 0;
    s->read_reg_select = 0;
    s->poll = 0;
    s->special_mask = 0;
    s->init_state = 0;
    s->auto_eoi = 0;
    s->init4 = 0;
    s->single_mode = 0;
    /* Note: ELCR is not reset */
}

qemu_irq *i8259_init(qemu_irq parent_irq)
{
    PicState2 *s;

    s = qemu_mallocz(sizeof(PicState2));
    pic_init1(0x20, 0x4d0, &s->pics[0]);
    pic_init1(0xa0, 0x4d1, &s->pics[1]);
    s->pics[0].elcr_mask = 0xf8;
    s->pics[1].elcr_mask = 0xff;
    s->pics[0].pics_state = s;
    s->pics[1].pics_state = s;
    isa_pic = s;
    return qemu_allocate_irqs(i8259_set_irq, s, 16);
}
"""

I8254_C = """\
/*
 * QEMU 8253/8254 interval timer emulation
 *
 * Copyright (c) 2003-2004 Fabrice Bellard
 *
""" + GPL + """ */
#include "hw.h"
#include "pc.h"
#include "isa.h"
#include "qemu-timer.h"

#define PIT_FREQ 1193182

static PITState pit_state;

static void pit_irq_timer_update(PITChannelState *s, int64_t current_time)
{
    int64_t expire_time;
    int irq_level;

    if (!s->irq_timer)
        return;
    expire_time = pit_get_next_transition_time(s, current_time);
    irq_level = pit_get_out1(s, current_time);
    qemu_set_irq(s->irq, irq_level);
    s->next_transition_time = expire_time;
    if (expire_time != -1)
        qemu_mod_timer(s->irq_timer, expire_time);
    else
        qemu_del_timer(s->irq_timer);
}

PITState *pit_init(int base, qemu_irq irq)
{
    PITState *pit = &pit_state;
    PITChannelState *s;

    s = &pit->channels[0];
    /* the timer 0 is connected to an IRQ */
    s->irq_timer = qemu_new_timer(vm_clock, pit_irq_timer, s);
    s->irq = irq;

    register_savevm("i8254", base, 1, pit_save, pit_load, pit);
    qemu_register_reset(pit_reset, pit);
    register_ioport_write(base, 4, 1, pit_ioport_write, pit);
    register_ioport_read(base, 3, 1, pit_ioport_read, pit);

    pit_reset(pit);
    return pit;
}
"""

TARGET_KVM_C = """\
/*
 * QEMU KVM support
 *
 * Copyright (C) 2006-2008 Qumranet Technologies
 * Copyright IBM, Corp. 2008
 *
 * Authors:
 *  Anthony Liguori   <aliguori@us.ibm.com>
 *
""" + GPL + """ */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/kvm.h>

#include "qemu-common.h"
#include "sysemu.h"
#include "kvm.h"
#include "cpu.h"

int kvm_arch_init_vcpu(CPUState *env)
{
    struct {
        struct kvm_cpuid2 cpuid;
        struct kvm_cpuid_entry2 entries[100];
    } __attribute__((packed)) cpuid_data;
    uint32_t limit, i, cpuid_i;
    uint32_t eax, ebx, ecx, edx;

    cpuid_i = 0;
    cpu_x86_cpuid(env, 0, 0, &limit, &ebx, &ecx, &edx);
    for (i = 0; i <= limit; i++) {
        struct kvm_cpuid_entry2 *c = &cpuid_data.entries[cpuid_i++];

        cpu_x86_cpuid(env, i, 0, &eax, &ebx, &ecx, &edx);
        c->function = i;
        c->eax = eax;
        c->ebx = ebx;
        c->ecx = ecx;
        c->edx = edx;
    }

    cpuid_data.cpuid.nent = cpuid_i;

    return kvm_vcpu_ioctl(env, KVM_SET_CPUID2, &cpuid_data);
}

static void kvm_msr_entry_set(struct kvm_msr_entry *entry,
                              uint32_t index, uint64_t value)
{
    entry->index = index;
    entry->data = value;
}

static int kvm_put_msrs(CPUState *env)
{
    struct {
        struct kvm_msrs info;
        struct kvm_msr_entry entries[100];
    } msr_data;
    struct kvm_msr_entry *msrs = msr_data.entries;
    int n = 0;

    kvm_msr_entry_set(&msrs[n++], MSR_IA32_SYSENTER_CS, env->sysenter_cs);
    kvm_msr_entry_set(&msrs[n++], MSR_IA32_SYSENTER_ESP, env->sysenter_esp);
    kvm_msr_entry_set(&msrs[n++], MSR_IA32_SYSENTER_EIP, env->sysenter_eip);
    kvm_msr_entry_set(&msrs[n++], MSR_IA32_TSC, env->tsc);
    msr_data.info.nmsrs = n;

    return kvm_vcpu_ioctl(env, KVM_SET_MSRS, &msr_data);
}

static int kvm_get_msrs(CPUState *env)
{
    struct {
        struct kvm_msrs info;
        struct kvm_msr_entry entries[100];
    } msr_data;
    struct kvm_msr_entry *msrs = msr_data.entries;
    int ret, i, n = 0;

    msrs[n++].index = MSR_IA32_SYSENTER_CS;
    msrs[n++].index = MSR_IA32_SYSENTER_ESP;
    msrs[n++].index = MSR_IA32_SYSENTER_EIP;
    msrs[n++].index = MSR_IA32_TSC;
    msr_data.info.nmsrs = n;
    ret = kvm_vcpu_ioctl(env, KVM_GET_MSRS, &msr_data);
    if (ret < 0)
        return ret;

    for (i = 0; i < ret; i++) {
        switch (msrs[i].index) {
        case MSR_IA32_SYSENTER_CS:
            env->sysenter_cs = msrs[i].data;
            break;
        case MSR_IA32_SYSENTER_ESP:
            env->sysenter_esp = msrs[i].data;
            break;
        case MSR_IA32_SYSENTER_EIP:
            env->sysenter_eip = msrs[i].data;
            break;
        case MSR_IA32_TSC:
            env->tsc = msrs[i].data;
            break;
        }
    }

    return 0;
}

int kvm_arch_put_registers(CPUState *env)
{
    int ret;

    ret = kvm_put_regs(env);
    if (ret < 0)
        return ret;

    ret = kvm_put_sregs(env);
    if (ret < 0)
        return ret;

    ret = kvm_put_msrs(env);
    if (ret < 0)
        return ret;

    return 0;
}

int kvm_arch_pre_run(CPUState *env, struct kvm_run *run)
{
    /* Try to inject an interrupt if the guest can accept it */
    if (run->ready_for_interrupt_injection &&
        (env->interrupt_request & CPU_INTERRUPT_HARD) &&
        (env->eflags & IF_MASK)) {
        int irq;

        env->interrupt_request &= ~CPU_INTERRUPT_HARD;
        irq = cpu_get_pic_interrupt(env);
        if (irq >= 0) {
            struct kvm_interrupt intr;
            intr.irq = irq;
            kvm_vcpu_ioctl(env, KVM_INTERRUPT, &intr);
        }
    }

    /* If we have an interrupt but the guest is not ready to receive an
     * interrupt, request an interrupt window exit.  This will
     * cause a return to userspace as soon as the guest is ready to
     * receive interrupts. */
    if ((env->interrupt_request & CPU_INTERRUPT_HARD))
        run->request_interrupt_window = 1;
    else
        run->request_interrupt_window = 0;

    return 0;
}

int kvm_arch_handle_exit(CPUState *env, struct kvm_run *run)
{
    int ret = 0;

    switch (run->exit_reason) {
    case KVM_EXIT_HLT:
        ret = kvm_handle_halt(env);
        break;
    }

    return ret;
}

void kvm_arch_update_guest_debug(CPUState *env, struct kvm_guest_debug *dbg)
{
    const uint8_t type_code[] = {
        [GDB_BREAKPOINT_HW] = 0x0,
        [GDB_WATCHPOINT_WRITE] = 0x1,
        [GDB_WATCHPOINT_ACCESS] = 0x3
    };
    const uint8_t len_code[] = {
        [1] = 0x0, [2] = 0x1, [4] = 0x3, [8] = 0x2
    };
    int n;

    if (kvm_sw_breakpoints_active(env))
        dbg->control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;

    if (nb_hw_breakpoint > 0) {
        dbg->control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
        dbg->arch.debugreg[7] = 0x0600;
        for (n = 0; n < nb_hw_breakpoint; n++) {
            dbg->arch.debugreg[n] = hw_breakpoint[n].addr;
            dbg->arch.debugreg[7] |= (2 << (n * 2)) |
                (type_code[hw_breakpoint[n].type] << (16 + n*4)) |
                (len_code[hw_breakpoint[n].len] << (18 + n*4));
        }
    }
}
"""

MACHINE_C = """\
#include "hw/hw.h"
#include "hw/boards.h"
#include "hw/pc.h"
#include "hw/isa.h"

#include "exec-all.h"
#include "kvm.h"

void cpu_save(QEMUFile *f, void *opaque)
{
    CPUState *env = opaque;
    int i;

    cpu_synchronize_state(env);
    for (i = 0; i < CPU_NB_REGS; i++)
        qemu_put_betls(f, &env->regs[i]);
    qemu_put_betls(f, &env->eip);
    qemu_put_betls(f, &env->eflags);
    qemu_put_be64s(f, &env->tsc);
    qemu_put_be32s(f, &env->mp_state);
}

int cpu_load(QEMUFile *f, void *opaque, int version_id)
{
    CPUState *env = opaque;
    int i;

    if (version_id < 3 || version_id > CPU_SAVE_VERSION)
        return -EINVAL;
    for (i = 0; i < CPU_NB_REGS; i++)
        qemu_get_betls(f, &env->regs[i]);
    qemu_get_betls(f, &env->eip);
    qemu_get_betls(f, &env->eflags);
    qemu_get_be64s(f, &env->tsc);
    qemu_get_be32s(f, &env->mp_state);
    return 0;
}
"""

OPTIONROM_MAKEFILE = """\
all: build-all

include ../../config-host.mak

.PHONY : all clean build-all

CFLAGS = -Wall -Wstrict-prototypes -Werror -fomit-frame-pointer -fno-builtin
CFLAGS += -I$(SRC_PATH)

build-all: multiboot.bin

%.img: %.o
\t$(call quiet-command,$(LD) -Ttext 0 -e _start -s -o $@ $<,"  Building $(TARGET_DIR)$@")

%.raw: %.img
\t$(call quiet-command,$(OBJCOPY) -O binary -j .text $< $@,"  Building $(TARGET_DIR)$@")

%.bin: %.raw
\t$(call quiet-command,$(SHELL) $(SRC_PATH)/pc-bios/optionrom/signrom.sh $< $@,"  Signing $(TARGET_DIR)$@")

clean:
\t$(RM) *.o *.d *.raw *.img *.bin *~
"""


def _simple_c(title: str, author: str, body: str) -> str:
    """A small source file: the usual header, then BODY."""
    return f"/*\n * {title}\n *\n * Copyright (c) {author}\n *\n{GPL} */\n#include \"qemu-common.h\"\n\n{body}"


def _base_files() -> list[Edit]:
    """Every file of the first upstream commit."""
    small = {
        "exec.c": ("virtual page mapping and translated block handling", "2003 Fabrice Bellard",
                   "void tb_flush(CPUState *env1)\n{\n    nb_tbs = 0;\n    memset(tb_phys_hash, 0, sizeof(tb_phys_hash));\n}\n"),
        "cpu-exec.c": ("i386 emulator main execution loop", "2003-2005 Fabrice Bellard",
                       "void cpu_loop_exit(void)\n{\n    env->current_tb = NULL;\n    longjmp(env->jmp_env, 1);\n}\n"),
        "monitor.c": ("QEMU monitor", "2003-2004 Fabrice Bellard",
                      "static void do_info_version(Monitor *mon)\n{\n    monitor_printf(mon, \"%s\\n\", QEMU_VERSION);\n}\n"),
        "block.c": ("QEMU System Emulator block driver", "2003 Fabrice Bellard",
                    ("int bdrv_open(BlockDriverState *bs, const char *filename, int flags)\n{\n    int ret;\n\n"
                    "    ret = bdrv_open2(bs, filename, flags, NULL);\n    if (ret < 0) {\n        return ret;\n    }\n"
                    "    bs->growable = !!(flags & BDRV_O_FILE);\n    return 0;\n}\n")),
        "qemu-char.c": ("QEMU System Emulator character devices", "2003-2008 Fabrice Bellard",
                        ("int qemu_chr_write(CharDriverState *s, const uint8_t *buf, int len)\n{\n"
                        "    return s->chr_write(s, buf, len);\n}\n")),
        "net.c": ("QEMU System Emulator network support", "2003-2008 Fabrice Bellard",
                  "void qemu_purge_queued_packets(VLANClientState *vc)\n{\n    qemu_net_queue_purge(vc->send_queue, vc);\n}\n"),
        "hw/pci.c": ("QEMU PCI bus manager", "2004 Fabrice Bellard",
                     "void pci_device_reset(PCIDevice *dev)\n{\n    memset(dev->irq_state, 0, sizeof(dev->irq_state));\n}\n"),
        "hw/ide.c": ("QEMU IDE disk and CD/DVD-ROM Emulator", "2003 Fabrice Bellard",
                     "static void ide_reset(IDEState *s)\n{\n    s->mult_sectors = MAX_MULT_SECTORS;\n    s->cur_drive = s;\n}\n"),
        "hw/serial.c": ("QEMU 16550A UART emulation", "2003-2004 Fabrice Bellard",
                        "static void serial_reset(void *opaque)\n{\n    SerialState *s = opaque;\n\n    s->rbr = 0;\n    s->ier = 0;\n}\n"),
        "hw/vga.c": ("QEMU VGA Emulator", "2003 Fabrice Bellard",
                     ("void vga_invalidate_display(void *opaque)\n{\n    VGACommonState *s = opaque;\n\n"
                     "    s->last_width = -1;\n    s->last_height = -1;\n}\n")),
        "target-i386/helper.c": ("i386 helpers (without register variable usage)", "2003 Fabrice Bellard",
                                 ("void cpu_reset(CPUX86State *env)\n{\n    memset(env, 0, offsetof(CPUX86State, breakpoints));\n"
                                 "    tlb_flush(env, 1);\n}\n")),
    }
    edits = [put(path, _simple_c(*parts)) for path, parts in small.items()]
    return edits + [
        put("README", "QEMU is a generic and open source machine emulator and virtualizer.\n\n"
                      "This is a miniature of qemu.git written by `uq demo`: its history plays the\n"
                      "qemu / qemu-kvm upstream-queue situation; the code is not real.\n"),
        put("VERSION", "0.10.50\n"),
        put("Makefile", MAKEFILE),
        put("vl.c", VL_C),
        put("kvm.h", KVM_H),
        put("kvm-all.c", KVM_ALL_C),
        put("hw/pc.c", PC_C),
        put("hw/apic.c", APIC_C),
        put("hw/i8259.c", I8259_C),
        put("hw/i8254.c", I8254_C),
        put("target-i386/kvm.c", TARGET_KVM_C),
        put("target-i386/machine.c", MACHINE_C),
        put("pc-bios/bios.bin", _rom("bochs bios 0.10", 4096)),
        put("pc-bios/optionrom/Makefile", OPTIONROM_MAKEFILE),
    ]


# -- upstream's everyday work: small additions in files downstream never touches ----------------

_FILLERS: list[tuple[Person, str, str, str]] = [
    (GERD, "monitor: Add 'info roms'", "monitor.c",
     "static void do_info_roms(Monitor *mon)\n{\n    rom_info(mon);\n}\n"),
    (BLUE, "exec: Add qemu_ram_free()", "exec.c",
     "void qemu_ram_free(ram_addr_t addr)\n{\n    /* TODO: implement this.  */\n}\n"),
    (KEVIN, "block: Add bdrv_flush_all()", "block.c",
     ("void bdrv_flush_all(void)\n{\n    BlockDriverState *bs;\n\n    QTAILQ_FOREACH(bs, &bdrv_states, list)\n"
     "        bdrv_flush(bs);\n}\n")),
    (MARKUS, "net: Add qemu_find_vlan_client()", "net.c",
     ("VLANClientState *qemu_find_vlan_client(VLANState *vlan, void *opaque)\n{\n"
     "    return qemu_find_vlan_client_by_opaque(vlan, opaque);\n}\n")),
    (PAUL, "cpu-exec: Add cpu_resume_from_signal()", "cpu-exec.c",
     ("void cpu_resume_from_signal(CPUState *env1, void *puc)\n{\n    env = env1;\n"
     "    env->exception_index = -1;\n    longjmp(env->jmp_env, 1);\n}\n")),
    (GERD, "qemu-char: Add qemu_chr_open_opts()", "qemu-char.c",
     "CharDriverState *qemu_chr_open_opts(QemuOpts *opts)\n{\n    return qemu_chr_open_backend(opts, NULL);\n}\n"),
    (JUAN, "ide: Add vmstate for the IDE bus", "hw/ide.c",
     "static const VMStateDescription vmstate_ide_bus = {\n    .name = \"ide_bus\",\n    .version_id = 1,\n};\n"),
    (AURELIEN, "serial: Add the scratch register to savevm", "hw/serial.c",
     ("static void serial_pre_save(void *opaque)\n{\n    SerialState *s = opaque;\n\n"
     "    s->fcr_vmstate = s->fcr;\n}\n")),
    (BLUE, "vga: Add vga_dirty_log_start()", "hw/vga.c",
     ("void vga_dirty_log_start(VGACommonState *s)\n{\n    if (kvm_enabled() && s->map_addr)\n"
     "        kvm_log_start(s->map_addr, s->map_end - s->map_addr);\n}\n")),
    (AGRAF, "target-i386: Add cpu_x86_inject_mce()", "target-i386/helper.c",
     ("void cpu_x86_inject_mce(CPUState *cenv, int bank, uint64_t status)\n{\n"
     "    cenv->mce_banks[bank * 4 + 1] = status;\n}\n")),
    (GERD, "pci: Add pci_find_capability()", "hw/pci.c",
     ("uint8_t pci_find_capability(PCIDevice *pdev, uint8_t cap_id)\n{\n"
     "    return pci_find_capability_list(pdev, cap_id, NULL);\n}\n")),
    (MARKUS, "monitor: Add 'info qtree'", "monitor.c",
     ("static void do_info_qtree(Monitor *mon)\n{\n    if (main_system_bus)\n"
     "        qbus_print(mon, main_system_bus, 0);\n}\n")),
    (KEVIN, "block: Add bdrv_get_format()", "block.c",
     ("void bdrv_get_format(BlockDriverState *bs, char *buf, int buf_size)\n{\n"
     "    pstrcpy(buf, buf_size, bs->drv ? bs->drv->format_name : \"\");\n}\n")),
    (JUAN, "net: Add vmstate for the NIC info", "net.c",
     "static const VMStateDescription vmstate_nic_info = {\n    .name = \"nic_info\",\n    .version_id = 1,\n};\n"),
    (PAUL, "exec: Add cpu_physical_memory_map()", "exec.c",
     ("void *cpu_physical_memory_map(target_phys_addr_t addr, target_phys_addr_t *plen, int is_write)\n{\n"
     "    return qemu_map_ram(addr, plen, is_write);\n}\n")),
    (BLUE, "cpu-exec: Add cpu_exec_all()", "cpu-exec.c",
     ("int cpu_exec_all(void)\n{\n    CPUState *env;\n\n    for (env = first_cpu; env != NULL; env = env->next_cpu)\n"
     "        cpu_exec(env);\n    return 0;\n}\n")),
    (GERD, "vga: Add a vmstate description", "hw/vga.c",
     "const VMStateDescription vmstate_vga_common = {\n    .name = \"vga\",\n    .version_id = 2,\n};\n"),
    (AURELIEN, "ide: Add ide_dma_cancel()", "hw/ide.c",
     ("static void ide_dma_cancel(BMDMAState *bm)\n{\n    if (bm->aiocb) {\n"
     "        bdrv_aio_cancel(bm->aiocb);\n        bm->aiocb = NULL;\n    }\n}\n")),
    (MARKUS, "qemu-char: Add qemu_chr_find()", "qemu-char.c",
     "CharDriverState *qemu_chr_find(const char *name)\n{\n    return qemu_chr_lookup(&chardevs, name);\n}\n"),
    (AGRAF, "serial: Add serial_isa_init()", "hw/serial.c",
     ("SerialState *serial_isa_init(int index, CharDriverState *chr)\n{\n"
     "    return serial_init(isa_serial_io[index], isa_reserve_irq(isa_serial_irq[index]), 115200, chr);\n}\n")),
    (KEVIN, "block: Add bdrv_is_sg()", "block.c",
     "int bdrv_is_sg(BlockDriverState *bs)\n{\n    return bs->sg;\n}\n"),
    (JUAN, "pci: Add vmstate for PCI devices", "hw/pci.c",
     "const VMStateDescription vmstate_pci_device = {\n    .name = \"PCIDevice\",\n    .version_id = 2,\n};\n"),
    (BLUE, "target-i386: Add cpu_x86_update_cr4()", "target-i386/helper.c",
     ("void cpu_x86_update_cr4(CPUX86State *env, uint32_t new_cr4)\n{\n    if ((new_cr4 ^ env->cr[4]) & CR4_PGE_MASK)\n"
     "        tlb_flush(env, 1);\n    env->cr[4] = new_cr4;\n}\n")),
    (GERD, "monitor: Add 'info chardev'", "monitor.c",
     "static void do_info_chardev(Monitor *mon)\n{\n    qemu_chr_info(mon);\n}\n"),
    (PAUL, "exec: Add cpu_register_phys_memory_client()", "exec.c",
     ("void cpu_register_phys_memory_client(CPUPhysMemoryClient *client)\n{\n"
     "    QLIST_INSERT_HEAD(&memory_client_list, client, list);\n}\n")),
    (MARKUS, "net: Add qemu_net_queue_flush()", "net.c",
     ("void qemu_net_queue_flush(NetQueue *queue)\n{\n    while (!QTAILQ_EMPTY(&queue->packets))\n"
     "        qemu_net_queue_deliver_one(queue);\n}\n")),
    (AURELIEN, "vga: Add vga_draw_cursor_line()", "hw/vga.c",
     ("static void vga_draw_cursor_line(uint8_t *d1, const uint8_t *src1, int poffset, int w)\n{\n"
     "    memcpy(d1, src1 + poffset, w);\n}\n")),
    (JUAN, "ide: Add ide_bus_reset()", "hw/ide.c",
     "void ide_bus_reset(IDEBus *bus)\n{\n    bus->unit = 0;\n    bus->cmd = 0;\n}\n"),
]


class _Fillers:
    """Hands out upstream's everyday commits in order."""

    def __init__(self) -> None:
        self.next = 0

    def add(self, story: _Story, count: int) -> None:
        """Commit the next COUNT filler commits on upstream."""
        for author, subject, path, code in _FILLERS[self.next:self.next + count]:
            story.commit("up", author, subject, [append(path, code)], committer=ANTHONY)
        self.next += count


# -- the story, chapter by chapter ------------------------------------------------------------

def _upstream_origin(s: _Story, fill: _Fillers) -> None:
    """Upstream's first commits."""
    s.commit("up", BELLARD, "Initial revision", _base_files(), trailers=[])
    s.commit("up", ANTHONY, U_TESTS, [put("tests/run-tests.sh", RUN_TESTS, EXECUTABLE)],
             body="A stand-in for `make check` that is quick enough to run on every commit of a\n"
                  "patch series: it catches the classic `forgot to git add the new file`.")
    fill.add(s, 4)


def _qemu_kvm_core(s: _Story) -> None:
    """Downstream's first commits: the core loop, the old libkvm import, SMP."""
    s.commit("down", AVI, R_CORE, [
        put("qemu-kvm.h", QEMU_KVM_H), put("qemu-kvm.c", QEMU_KVM_C),
        after("Makefile", "obj-y += kvm-all.o\n", "obj-y += qemu-kvm.o\n"),
        sub("vl.c", "static void main_loop(void)\n{\n",
            "static void main_loop(void)\n{\n    if (kvm_enabled()) {\n        kvm_main_loop();\n        return;\n    }\n\n"),
        sub("kvm-all.c", "            qemu_system_reset_request();\n", "            kvm_shutdown_request(env);\n"),
    ], body="qemu-kvm runs one thread per vcpu plus an io thread; this is the loop they share\n"
            "with the kvm kernel module.")
    s.commit("down", DOR, R_LIBKVM, [
        put("kvm/Makefile", "all: libkvm\n\nlibkvm:\n\t$(MAKE) -C libkvm\n"),
        put("kvm/libkvm/libkvm.h", LIBKVM_H), put("kvm/libkvm/libkvm.c", LIBKVM_C),
    ], body="Imported from the kvm-userspace CVS repository, history squashed.", trailers=[])
    s.commit("down", AVI, R_SMP, [
        put("qemu-kvm-x86.c", QEMU_KVM_X86_C),
        after("Makefile", "obj-y += qemu-kvm.o\n", "obj-y += qemu-kvm-x86.o\n"),
        before("qemu-kvm.c", "int kvm_main_loop(void)\n", SMP_THREADS),
        after("hw/pc.c", "        apic_init(env);\n    }\n", "    if (kvm_enabled()) {\n        kvm_init_vcpu(env);\n    }\n"),
    ], body="Start one thread per vcpu; the io thread keeps running the main loop.")


def _first_cycle(s: _Story, fill: _Fillers) -> None:
    """Compatfd, ia64 and a cpuid fix downstream; the fix lands upstream; the first merge."""
    s.commit("down", ANTHONY, E_COMPATFD, [
        put("compatfd.h", COMPATFD_H), put("compatfd.c", COMPATFD_C),
        after("Makefile", "obj-y += qemu-char.o\n", "obj-y += compatfd.o\n"),
    ], committer=AVI, body="Hosts without signalfd get a thread that turns sigwaitinfo() into a pipe.")
    s.commit("down", XIANTAO, R_IA64_TARGET, [
        put("target-ia64/cpu.h", IA64_CPU_H), put("target-ia64/op_helper.c", IA64_OP_HELPER_C),
        put("target-ia64/machine.c", IA64_MACHINE_C),
        after("Makefile", "obj-y += target-i386/machine.o\n",
              "obj-$(CONFIG_IA64) += target-ia64/op_helper.o target-ia64/machine.o\n"),
    ], committer=AVI)
    s.commit("down", JAN, E_CPUID, [
        after("target-i386/kvm.c", "    uint32_t eax, ebx, ecx, edx;\n\n", "    memset(&cpuid_data, 0, sizeof(cpuid_data));\n"),
    ], committer=AVI, body="Unused fields of the cpuid entries were passed to the kernel uninitialized.")
    fill.add(s, 3)
    _land_exactly(s, E_CPUID, JAN)
    fill.add(s, 1)
    s.merge("down", "up", MERGE_DOWNSTREAM, AVI, "upstream-merge")


def _land_exactly(s: _Story, subject: str, author: Person) -> None:
    """Anthony applies AUTHOR's posted patch upstream: the same diff and author, his own sign-off."""
    message = _message(subject, _body_of(s.message_of(subject)), _signoffs(author, ANTHONY))
    s.pick("up", subject, ANTHONY, message)


def _second_cycle(s: _Story, fill: _Fillers) -> None:
    """PIT, extboot, kvmclock MSRs, the odd commits, an old queue that upstream merges, the second merge."""
    s.commit("down", SHENG, R_PIT, [
        put("hw/i8254-kvm.c", I8254_KVM_C),
        after("Makefile", "obj-y += hw/i8254.o\n", "obj-y += hw/i8254-kvm.o\n"),
        sub("hw/pc.c", "    pit = pit_init(0x40, i8259[0]);\n",
            ("    if (kvm_enabled() && qemu_kvm_pit_in_kernel())\n        pit = kvm_pit_init(0x40, i8259[0]);\n"
            "    else\n        pit = pit_init(0x40, i8259[0]);\n")),
    ], committer=AVI)
    s.commit("down", ANTHONY, R_EXTBOOT, [
        put("hw/extboot.c", EXTBOOT_C), put("pc-bios/optionrom/extboot.S", EXTBOOT_S),
        put("pc-bios/extboot.bin", _rom("extboot", 1536)),
        after("Makefile", "obj-y += hw/ide.o\n", "obj-y += hw/extboot.o\n"),
        sub("pc-bios/optionrom/Makefile", "build-all: multiboot.bin\n", "build-all: multiboot.bin extboot.bin\n"),
        after("hw/pc.c", '#define BIOS_FILENAME "bios.bin"\n', '#define EXTBOOT_FILENAME "extboot.bin"\n'),
        after("hw/pc.c", "        rom_add_option(option_rom[i]);\n    }\n",
              "    if (extboot_drive != -1) {\n        rom_add_option(EXTBOOT_FILENAME);\n    }\n"),
        before("vl.c", "    return drive_add_file(file, index);\n",
               "    if (qemu_opt_get_bool(opts, \"boot\", 0)) {\n        extboot_drive = index;\n    }\n"),
    ], committer=AVI, body="An option rom that boots from any drive marked boot=on, virtio included.")
    s.commit("down", MARCELO, E_KVMCLOCK_MSRS, KVMCLOCK_MSR_EDITS, committer=AVI)
    s.commit("down", MARCELO, M_FLUSH, [
        sub("kvm-all.c", "static void kvm_flush_coalesced_mmio_buffer(void)\n", "void kvm_flush_coalesced_mmio_buffer(void)\n"),
        after("kvm.h", "int kvm_log_stop(target_phys_addr_t phys_addr, ram_addr_t size);\n",
              "void kvm_flush_coalesced_mmio_buffer(void);\n"),
        after("qemu-kvm.c", "        main_loop_wait(1000);\n", "        kvm_flush_coalesced_mmio_buffer();\n"),
    ], committer=AVI, body="Coalesced writes sat in the ring until the next exit; flush them from the io\nthread.")
    s.commit("down", MARCELO, M_INTERNAL, [
        before("kvm-all.c", "        default:\n            ret = kvm_arch_handle_exit(env, run);\n", INTERNAL_ERROR_CASE),
    ], committer=AVI)
    s.commit("down", AVI, R_BIOS, [put("pc-bios/bios.bin", _rom("bochs bios 0.10 + kvm", 4096))],
             body="Built from kvm's bios tree: adds the ACPI tables for cpu hotplug and the\nMADT entries for up to 255 cpus.")
    s.commit("down", AVI, R_TAG, body="Empty commit: the release script tags the commit that carries this message.",
             trailers=[])
    s.commit("down", AVI, R_TPR, [
        put("kvm-tpr-opt.c", KVM_TPR_OPT_C),
        after("Makefile", "obj-y += monitor.o\n", "obj-y += kvm-tpr-opt.o\n"),
    ], body="Windows XP hammers the TPR; patch those instructions into calls to the vapic rom.")
    fill.add(s, 3)
    _land_exactly(s, E_KVMCLOCK_MSRS, MARCELO)
    s.commit("up", ANTHONY, "Update version for 0.11.0", [put("VERSION", "0.11.0\n")], trailers=[])
    fill.add(s, 2)
    s.commit("up", MARCELO, M_FLUSH, [
        sub("kvm-all.c", "static void kvm_flush_coalesced_mmio_buffer(void)\n", "void kvm_flush_coalesced_mmio_buffer(void)\n"),
        after("kvm.h", "int kvm_log_stop(target_phys_addr_t phys_addr, ram_addr_t size);\n",
              "void kvm_flush_coalesced_mmio_buffer(void);\n"),
        after("vl.c", "            resume_all_vcpus();\n        }\n", "        kvm_flush_coalesced_mmio_buffer();\n"),
    ], committer=ANTHONY, body="v2: flush from the main loop, upstream has no io thread.")
    _old_queue(s, fill)
    fill.add(s, 2)
    s.merge("down", "up", MERGE_DOWNSTREAM, AVI, "upstream-merge")
    s.commit("up", JAN, U_INTERNAL_FIXUP, [
        after("kvm-all.c", '            fprintf(stderr, "KVM internal error. Suberror: %d\\n",\n'
              "                    run->internal.suberror);\n",
              "            cpu_dump_state(env, stderr, fprintf, CPU_DUMP_CODE);\n"),
    ], committer=ANTHONY)


def _old_queue(s: _Story, fill: _Fillers) -> None:
    """An earlier uq/master (compatfd exactly, the internal-error patch in upstream's context), merged upstream."""
    s.branch("old-queue", "up")
    s.pick("old-queue", E_COMPATFD, MARCELO)
    s.pick("old-queue", M_INTERNAL, MARCELO)
    fill.add(s, 1)  # upstream moved meanwhile, so the pull is a real merge
    s.merge("up", "old-queue", MERGE_QUEUE, ANTHONY, "qemu-kvm/uq/master")


def _third_cycle(s: _Story, fill: _Fillers) -> None:
    """Machines, irqchip, the Latin-1 fix, device assignment, kvmclock and events morphs; 0.12.0."""
    s.commit("down", XIANTAO, R_IA64_MACHINE, [
        put("hw/ipf.c", IPF_C),
        after("Makefile", "obj-$(CONFIG_IA64) += target-ia64/op_helper.o target-ia64/machine.o\n",
              "obj-$(CONFIG_IA64) += hw/ipf.o\n"),
    ], committer=AVI)
    s.commit("down", AVI, R_VAPIC, [
        put("pc-bios/optionrom/vapic.S", VAPIC_S),
        sub("pc-bios/optionrom/Makefile", "build-all: multiboot.bin extboot.bin\n",
            "build-all: multiboot.bin extboot.bin vapic.bin\n"),
        after("hw/pc.c", '#define EXTBOOT_FILENAME "extboot.bin"\n', '#define VAPIC_FILENAME "vapic.bin"\n'),
        after("hw/pc.c", "        rom_add_option(EXTBOOT_FILENAME);\n    }\n",
              "    if (kvm_enabled()) {\n        rom_add_option(VAPIC_FILENAME);\n    }\n"),
    ])
    s.commit("down", MARCELO, R_APIC_IRQCHIP, [
        after("hw/apic.c", "    s->cpu_env = env;\n",
              "    if (kvm_enabled() && kvm_irqchip_in_kernel()) {\n        kvm_apic_init(s);\n    }\n"),
        after("qemu-kvm.h", "extern int kvm_pit;\n", "int kvm_irqchip_in_kernel(void);\n"),
    ], committer=AVI)
    s.commit("down", AURELIEN, R_ELCR, [
        sub("hw/i8259.c", "    s->pics[1].elcr_mask = 0xff;\n", "    s->pics[1].elcr_mask = 0xde;\n"),
    ], committer=AVI, encoding="latin2",
        body="IRQ 8 (the RTC) and IRQ 13 (the FPU) are always edge triggered: the slave\n"
             "PIC's ELCR must not let a guest set them.  Found by Aur\u00e9lien's PIIX tests;\n"
             "the same mask as the real chipset, d\u00e9cid\u00e9 au hasard? Non: from the datasheet.")
    s.commit("down", GLAUBER, M_KVMCLOCK, [
        before("qemu-kvm-x86.c", "    kvm_setup_cpuid2(cenv, cpuid_nent, cpuid_ent);\n", KVMCLOCK_CPUID_DOWNSTREAM),
    ], committer=AVI)
    s.commit("down", JAN, M_SSTEP, [
        after("target-i386/kvm.c", "    if (run->ready_for_interrupt_injection &&\n", SSTEP_LINE),
        after("qemu-kvm-x86.c", "    if (kvm_is_ready_for_interrupt_injection(env) &&\n", SSTEP_LINE),
    ], committer=AVI, body="An interrupt injected while single-stepping made the guest step into the\nhandler.")
    s.commit("down", AMIT, R_DEVASSIGN, [
        put("hw/device-assignment.h", DEVICE_ASSIGNMENT_H), put("hw/device-assignment.c", DEVICE_ASSIGNMENT_C),
        after("Makefile", "obj-y += hw/pci.o\n", "obj-y += hw/device-assignment.o\n"),
        after("hw/pc.c", '        pci_nic_init(&nd_table[i], "e1000", NULL);\n    }\n',
              ("    for (i = 0; i < assigned_devices_index; i++) {\n"
              "        add_assigned_device(assigned_devices[i]);\n    }\n")),
    ], committer=AVI, body="Assign a host PCI device to a guest: -pcidevice host=04:10.0.")
    fill.add(s, 2)
    events = s.commit("up", JAN, U_EVENTS, VCPU_EVENTS_EDITS, committer=ANTHONY)
    s.commit("up", JAN, U_SSTEP, [
        after("target-i386/kvm.c", "    if (run->ready_for_interrupt_injection &&\n", SSTEP_LINE),
        after("target-i386/kvm.c", "        dbg->control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;\n",
              "    if (env->singlestep_enabled)\n        dbg->control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;\n"),
    ], committer=ANTHONY, authored=s.authored(M_SSTEP))
    s.commit("up", MARCELO, U_KVMCLOCK, [
        before("target-i386/kvm.c", "    cpuid_data.cpuid.nent = cpuid_i;\n", KVMCLOCK_CPUID_UPSTREAM),
    ], committer=ANTHONY, trailers=[f"(cherry picked from commit {s.ids[M_KVMCLOCK]})",
                                    f"Signed-off-by: {MARCELO.ident}", f"Signed-off-by: {ANTHONY.ident}"],
        body="Tell guests about kvmclock and the other paravirt features, as qemu-kvm does,\n"
             "with upstream's cpuid code.")
    fill.add(s, 2)
    s.commit("down", JAN, M_EVENTS, [
        after("qemu-kvm-x86.c", '        perror("kvm_get_fpu FAILED");\n', "    kvm_get_vcpu_events(env);\n"),
    ], committer=AVI, trailers=[f"Upstream-commit: {events}", f"Signed-off-by: {JAN.ident}",
                                f"Signed-off-by: {AVI.ident}"],
        body="Drop our own exception and NMI state transfer in favour of upstream's.")
    s.commit("up", ANTHONY, "Update version for 0.12.0", [put("VERSION", "0.12.0\n")], trailers=[])
    s.branch("stable-up", "up")
    s.merge("down", "up", MERGE_DOWNSTREAM, MARCELO, "upstream-merge")
    s.branch("stable-down", "down")


def _fourth_cycle(s: _Story, fill: _Fillers) -> None:
    """More features downstream, the patches the queue will take, the last merge."""
    s.commit("down", ALEX, R_MSIX, [
        sub("hw/device-assignment.c", "    msix_table_page = mmap(NULL, 0x1000, PROT_READ|PROT_WRITE,\n",
            "    msix_table_page = mmap(NULL, TARGET_PAGE_SIZE, PROT_READ|PROT_WRITE,\n"),
    ], committer=MARCELO, body="The table is mapped with the host page size, not a hard-coded 4k.")
    s.commit("down", AVI, R_PIC_IRQCHIP, [
        after("hw/i8259.c", "    PicState2 *s = opaque;\n\n",
              ("    if (kvm_enabled() && kvm_irqchip_in_kernel()) {\n        kvm_set_irq(irq, level, NULL);\n"
              "        return;\n    }\n\n")),
        before("qemu-kvm.c", "static int kvm_main_loop_cpu(CPUState *env)\n", KVM_PIC_FUNCTIONS),
    ])
    s.commit("down", MARCELO, R_PVMMU, [
        after("qemu-kvm-x86.c", "    limit = copy.regs[R_EAX];\n",
              "\n    if (kvm_check_extension(kvm_state, KVM_CAP_MMU_OP))\n        pv_ent_features |= 1 << KVM_FEATURE_MMU_OP;\n"),
    ], committer=AVI)
    s.commit("down", JAN, Q_DEBUGREGS, DEBUGREGS_EDITS, committer=AVI)
    s.commit("down", GLEB, Q_NMI, [
        sub("hw/apic.c", "                cpu_interrupt(apic_iter->cpu_env, CPU_INTERRUPT_NMI) );\n",
            ("                if (apic_iter->apicbase & MSR_IA32_APICBASE_ENABLE)\n"
            "                    cpu_interrupt(apic_iter->cpu_env, CPU_INTERRUPT_NMI) );\n")),
    ], committer=AVI)
    s.commit("down", AVI, Q_SIGNALFD, [
        after("qemu-kvm.c", "    io_thread = pthread_self();\n", "    qemu_kvm_init_signalfd();\n"),
        *SIGNALFD_COMMON_EDITS,
    ], body="Block SIGIO and SIGALRM in every thread and read them from a signalfd in the io\nthread.")
    # The newest remaining commit picks cleanly on its own: the first thing a visitor tries.
    s.commit("down", AVI, R_TESTDEV, [
        put("hw/testdev.c", TESTDEV_C),
        after("Makefile", "obj-y += hw/serial.o\n", "obj-y += hw/testdev.o\n"),
        after("hw/pc.c", "    pc_init_option_roms();\n", "    if (kvm_enabled()) {\n        testdev_init(pci_bus);\n    }\n"),
    ], body="Ports 0xf1 and 0xf4: the unit tests print through the first and exit through\nthe second.")
    fill.add(s, 3)
    s.merge("down", "up", MERGE_DOWNSTREAM, AVI, "upstream-merge")


def _upstream_moves_on(s: _Story, fill: _Fillers) -> None:
    """After the last merge: upstream changes the PIT line downstream's PIT patch also changes."""
    s.commit("up", GERD, U_PIT, [
        sub("hw/pc.c", "    pit = pit_init(0x40, i8259[0]);\n", "    pit = pit_init(0x40, isa_reserve_irq(0));\n"),
    ], committer=ANTHONY)
    s.commit("up", KEVIN, "block: Clear bs->drv when bdrv_open fails", [
        sub("block.c", "    if (ret < 0) {\n        return ret;\n", "    if (ret < 0) {\n        bs->drv = NULL;\n        return ret;\n"),
    ], committer=ANTHONY)
    fill.add(s, 2)
    s.commit("up", ANTHONY, "Update version for 0.12.50", [put("VERSION", "0.12.50\n")], trailers=[])


def _stable(s: _Story) -> None:
    """The 0.12 stable series on both sides, and its queue."""
    s.pick("stable-up", "block: Clear bs->drv when bdrv_open fails", ANTHONY)
    s.commit("stable-up", ANTHONY, "Update version for 0.12.1", [put("VERSION", "0.12.1\n")], trailers=[])
    s.commit("stable-down", MARCELO, S_SLOT, [
        after("kvm-all.c", "        mem->memory_size = 0;\n        kvm_set_user_memory_region(s, mem);\n",
              "        kvm_release_slot(s, mem);\n"),
    ], body="Unregistered memory kept its slot, and a guest that remaps its PCI BARs often\nran out of them.")
    s.merge("stable-down", "stable-up", "Merge remote branch 'qemu/stable-0.12' into stable-0.12", MARCELO,
            "qemu/stable-0.12")
    s.branch("stable-queue", "stable-up")
    s.pick("stable-queue", S_SLOT, MARCELO)


def _queue(s: _Story) -> None:
    """uq/master: two exact picks, one morphed version, and a contributor's patch that breaks the test."""
    s.branch("queue", "up")
    s.pick("queue", Q_DEBUGREGS, MARCELO)
    s.pick("queue", Q_NMI, MARCELO)
    s.commit("queue", AVI, Q_SIGNALFD, [
        before("vl.c", "int main(int argc, char **argv, char **envp)\n", SIGNALFD_VL_FUNCTION),
        after("vl.c", "    qemu_cache_utils_init(envp);\n", "    qemu_signal_init();\n"),
        *SIGNALFD_COMMON_EDITS,
    ], committer=MARCELO, authored=s.authored(Q_SIGNALFD),
        body="Block SIGIO and SIGALRM in every thread and read them from a signalfd in the\n"
             "main loop (upstream has no io thread: this is the qemu-kvm patch morphed).")
    s.commit("queue", GLEB, Q_STUB, [
        after("Makefile", "# kvm\n", "obj-$(CONFIG_NO_KVM) += kvm-stub.o\n"),
        sub("kvm.h", "#define kvm_enabled() (kvm_allowed)\n",
            "#ifdef CONFIG_KVM\n#define kvm_enabled() (kvm_allowed)\n#else\n#define kvm_enabled() (0)\n#endif\n"),
    ], committer=MARCELO, body="Targets without KVM link against stubs instead of sprinkling #ifdefs.")


def _body_of(message: str) -> str:
    """The message without its subject and its Signed-off-by lines (they are rewritten)."""
    lines = [line for line in message.split("\n")[1:] if not line.startswith("Signed-off-by:")]
    return "\n".join(lines).strip("\n")


# -- patches too long to sit inline --------------------------------------------------------

QEMU_KVM_H = """\
/*
 * qemu/kvm integration
 *
 * Copyright (C) 2006-2008 Qumranet Technologies
 *
 * Licensed under the terms of the GNU GPL version 2 or higher.
 */
#ifndef THE_ORIGINAL_AND_TRUE_QEMU_KVM_H
#define THE_ORIGINAL_AND_TRUE_QEMU_KVM_H

#include "cpu.h"

int kvm_main_loop(void);
int kvm_init_ap(void);
void qemu_kvm_system_reset(void);
void kvm_shutdown_request(CPUState *env);

extern int kvm_irqchip;
extern int kvm_pit;

#endif
"""

QEMU_KVM_C = """\
/*
 * qemu/kvm integration
 *
 * Copyright (C) 2006-2008 Qumranet Technologies
 *
 * Licensed under the terms of the GNU GPL version 2 or higher.
 */
#include "config.h"
#include "config-host.h"

#include <assert.h>
#include <string.h>
#include "hw/hw.h"
#include "sysemu.h"
#include "qemu-common.h"
#include "console.h"
#include "block.h"

#include "qemu-kvm.h"

int kvm_irqchip = 1;
int kvm_pit = 1;

static pthread_t io_thread;

static void kvm_main_loop_wait(CPUState *env, int timeout)
{
    struct timespec ts;

    ts.tv_sec = timeout / 1000;
    ts.tv_nsec = (timeout % 1000) * 1000000;
    pthread_cond_timedwait(&env->kvm_cpu_state.halt_cond, &qemu_mutex, &ts);
}

static int kvm_main_loop_cpu(CPUState *env)
{
    while (1) {
        int run_cpu = !is_cpu_stopped(env);
        if (run_cpu) {
            kvm_cpu_exec(env);
        }
        kvm_main_loop_wait(env, 1000);
    }
    pthread_mutex_unlock(&qemu_mutex);
    return 0;
}

int kvm_main_loop(void)
{
    io_thread = pthread_self();
    qemu_system_ready = 1;

    pthread_cond_broadcast(&qemu_system_cond);

    while (1) {
        main_loop_wait(1000);
        if (qemu_shutdown_requested()) {
            if (qemu_no_shutdown()) {
                vm_stop(0);
            } else
                break;
        } else if (qemu_powerdown_requested())
            qemu_system_powerdown();
        else if (qemu_reset_requested())
            qemu_kvm_system_reset();
    }

    pause_all_threads();
    pthread_mutex_unlock(&qemu_mutex);

    return 0;
}
"""

SMP_THREADS = """\
static void *ap_main_loop(void *_env)
{
    CPUState *env = _env;

    current_env = env;
    env->thread_id = kvm_get_thread_id();
    kvm_create_vcpu(env, env->cpu_index);
    setup_kernel_sigmask(env);

    /* signal VCPU creation */
    pthread_mutex_lock(&qemu_mutex);
    current_env->kvm_cpu_state.created = 1;
    pthread_cond_signal(&qemu_vcpu_cond);

    kvm_main_loop_cpu(env);
    return NULL;
}

void kvm_init_vcpu(CPUState *env)
{
    pthread_create(&env->kvm_cpu_state.thread, NULL, ap_main_loop, env);

    while (env->kvm_cpu_state.created == 0)
        qemu_cond_wait(&qemu_vcpu_cond);
}

"""

QEMU_KVM_X86_C = """\
/*
 * qemu/kvm integration, x86 specific code
 *
 * Copyright (C) 2006-2008 Qumranet Technologies
 *
 * Licensed under the terms of the GNU GPL version 2 or higher.
 */

#include "config.h"
#include "config-host.h"

#include <string.h>
#include "hw/hw.h"
#include "gdbstub.h"
#include <sys/io.h>

#include "qemu-kvm.h"
#include <pthread.h>
#include <sys/utsname.h>
#include <linux/kvm_para.h>

#include "kvm.h"
#include "hw/pc.h"

static struct kvm_cpuid_entry2 cpuid_ent[100];

int kvm_arch_qemu_init_env(CPUState *cenv)
{
    CPUState copy;
    uint32_t i, limit;
    int cpuid_nent = 0;

    copy = *cenv;
    copy.regs[R_EAX] = 0;
    qemu_kvm_cpuid_on_env(&copy);
    limit = copy.regs[R_EAX];

    for (i = 0; i <= limit; ++i) {
        do_cpuid_ent(&cpuid_ent[cpuid_nent], i, 0, &copy);
        ++cpuid_nent;
    }

    kvm_setup_cpuid2(cenv, cpuid_nent, cpuid_ent);
    return 0;
}

void kvm_arch_load_regs(CPUState *env)
{
    struct kvm_regs regs;
    struct kvm_fpu fpu;
    int rc;

    rc = kvm_get_regs(env, &regs);
    if (rc < 0)
        perror("kvm_get_regs FAILED");
    env->eip = regs.rip;
    env->eflags = regs.rflags;
    rc = kvm_get_fpu(env, &fpu);
    if (rc < 0)
        perror("kvm_get_fpu FAILED");
}

int kvm_arch_try_push_interrupts(void *opaque)
{
    CPUState *env = cpu_single_env;
    int r, irq;

    if (kvm_is_ready_for_interrupt_injection(env) &&
        (env->interrupt_request & CPU_INTERRUPT_HARD) &&
        (env->eflags & IF_MASK)) {
            env->interrupt_request &= ~CPU_INTERRUPT_HARD;
            irq = cpu_get_pic_interrupt(env);
            if (irq >= 0) {
                r = kvm_inject_irq(env, irq);
                if (r < 0)
                    printf("cpu %d fail inject %x\\n", env->cpu_index, irq);
            }
    }

    return (env->interrupt_request & CPU_INTERRUPT_HARD) != 0;
}
"""

LIBKVM_H = """\
/** \\file libkvm.h
 * libkvm API
 */

#ifndef LIBKVM_H
#define LIBKVM_H

typedef struct kvm_context *kvm_context_t;

kvm_context_t kvm_init(struct kvm_callbacks *callbacks, void *opaque);
int kvm_create(kvm_context_t kvm, unsigned long phys_mem_bytes, void **phys_mem);
int kvm_run(kvm_context_t kvm, int vcpu);

#endif
"""

LIBKVM_C = """\
/*
 * Kernel-based Virtual Machine control library
 *
 * This library provides an API to control the kvm hardware virtualization
 * module.
 *
 * Copyright (C) 2006 Qumranet
 *
 * Authors:
 *
 *  Avi Kivity <avi@qumranet.com>
 *  Yaniv Kamay <yaniv@qumranet.com>
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation, version 2.1.
 */

#include "libkvm.h"

kvm_context_t kvm_init(struct kvm_callbacks *callbacks, void *opaque)
{
    int fd;
    kvm_context_t kvm;

    fd = open("/dev/kvm", O_RDWR);
    if (fd == -1) {
        perror("open /dev/kvm");
        return NULL;
    }
    kvm = malloc(sizeof(*kvm));
    kvm->fd = fd;
    kvm->callbacks = callbacks;
    kvm->opaque = opaque;
    return kvm;
}
"""

COMPATFD_H = """\
/*
 * signalfd/eventfd compatibility
 *
 * Copyright IBM, Corp. 2008
 *
 * Authors:
 *  Anthony Liguori   <aliguori@us.ibm.com>
 *
""" + GPL + """ */

#ifndef QEMU_COMPATFD_H
#define QEMU_COMPATFD_H

#include <signal.h>

struct qemu_signalfd_siginfo {
    uint32_t ssi_signo;   /* Signal number */
    int32_t  ssi_errno;   /* Error number (unused) */
    int32_t  ssi_code;    /* Signal code */
    uint32_t ssi_pid;     /* PID of sender */
    uint8_t  pad[112];    /* Pad size to 128 bytes */
};

int qemu_signalfd(const sigset_t *mask);

#endif
"""

COMPATFD_C = """\
/*
 * signalfd/eventfd compatibility
 *
 * Copyright IBM, Corp. 2008
 *
 * Authors:
 *  Anthony Liguori   <aliguori@us.ibm.com>
 *
""" + GPL + """ */

#include "qemu-common.h"
#include "compatfd.h"

#include <sys/syscall.h>
#include <pthread.h>

struct sigfd_compat_info
{
    sigset_t mask;
    int fd;
};

static void *sigwait_compat(void *opaque)
{
    struct sigfd_compat_info *info = opaque;
    sigset_t all;
    int err;

    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);

    do {
        siginfo_t siginfo;

        err = sigwaitinfo(&info->mask, &siginfo);
        if (err == -1 && errno == EINTR) {
            err = 0;
            continue;
        }
        if (err > 0) {
            struct qemu_signalfd_siginfo buffer;

            memset(&buffer, 0, sizeof(buffer));
            buffer.ssi_signo = err;
            err = write(info->fd, &buffer, sizeof(buffer)) == sizeof(buffer) ? 0 : -1;
        }
    } while (err >= 0);

    return NULL;
}

int qemu_signalfd(const sigset_t *mask)
{
#if defined(CONFIG_SIGNALFD)
    int ret;

    ret = syscall(SYS_signalfd, -1, mask, _NSIG / 8);
    if (ret != -1)
        return ret;
#endif

    return qemu_signalfd_compat(mask);
}
"""

IA64_CPU_H = """\
/*
 * IA64 virtual CPU header
 *
 *  Copyright (c) 2003 Fabrice Bellard
 *  Copyright (c) 2007 Intel Corporation
 *
""" + GPL + """ */
#ifndef CPU_IA64_H
#define CPU_IA64_H

#define TARGET_LONG_BITS 64
#define TARGET_PAGE_BITS 16
#define ELF_MACHINE EM_IA_64
#define NB_MMU_MODES 2

typedef struct CPUIA64State {
    CPU_COMMON;
    uint32_t hflags;
    int mp_state;
} CPUIA64State;

#define CPUState CPUIA64State
#define cpu_init cpu_ia64_init

#endif
"""

IA64_OP_HELPER_C = """\
/*
 *  IA64 execution helpers
 *
 *  Copyright (c) 2007 Intel Corporation
 *
""" + GPL + """ */
#include "cpu.h"
#include "exec-all.h"

CPUState *cpu_ia64_init(const char *cpu_model)
{
    CPUState *env;

    env = qemu_mallocz(sizeof(CPUState));
    cpu_exec_init(env);
    env->cpu_model_str = cpu_model;
    cpu_reset(env);
    return env;
}
"""

IA64_MACHINE_C = """\
#include "hw/hw.h"
#include "hw/boards.h"

#include "exec-all.h"
#include "qemu-kvm.h"

void cpu_save(QEMUFile *f, void *opaque)
{
    CPUState *env = opaque;

    if (kvm_enabled())
        kvm_save_registers(env);
}

int cpu_load(QEMUFile *f, void *opaque, int version_id)
{
    CPUState *env = opaque;

    if (kvm_enabled())
        kvm_load_registers(env);
    return 0;
}
"""

IPF_C = """\
/*
 * Itanium Platform Emulator derived from QEMU PC System Emulator
 *
 * Copyright (c) 2003-2004 Fabrice Bellard
 * Copyright (c) 2007 Intel
 *
""" + GPL + """ */
#include "hw.h"
#include "pc.h"
#include "boards.h"
#include "qemu-kvm.h"

static void ipf_init1(ram_addr_t ram_size, const char *boot_device,
                      const char *kernel_filename, int pci_enabled)
{
    CPUState *env;
    int i;

    for (i = 0; i < smp_cpus; i++) {
        env = cpu_init("itanium");
        if (!env) {
            fprintf(stderr, "Unable to find CPU definition\\n");
            exit(1);
        }
        qemu_register_reset(main_cpu_reset, env);
    }
}

static QEMUMachine ipf_machine = {
    .name = "itanium",
    .desc = "Itanium Platform",
    .init = ipf_init_pci,
    .max_cpus = 255,
    .is_default = 1,
};
"""

I8254_KVM_C = """\
/*
 * QEMU 8253/8254 interval timer emulation, in-kernel model
 *
 * Copyright (c) 2003-2004 Fabrice Bellard
 * Copyright (c) 2008 Intel Corporation
 *
""" + GPL + """ */
#include "hw.h"
#include "pc.h"
#include "isa.h"
#include "qemu-kvm.h"

extern VMStateDescription vmstate_pit;

static void kvm_pit_pre_save(void *opaque)
{
    PITState *s = opaque;
    struct kvm_pit_state2 pit2;

    kvm_get_pit2(kvm_context, &pit2);
    kvm_pit_state_to_qemu(s, &pit2);
}

static int kvm_pit_post_load(void *opaque, int version_id)
{
    PITState *s = opaque;
    struct kvm_pit_state2 pit2;

    kvm_pit_state_from_qemu(s, &pit2);
    kvm_set_pit2(kvm_context, &pit2);
    return 0;
}

PITState *kvm_pit_init(int base, qemu_irq irq)
{
    PITState *pit = &pit_state;

    vmstate_pit.pre_save = kvm_pit_pre_save;
    vmstate_pit.post_load = kvm_pit_post_load;
    vmstate_register(base, &vmstate_pit, pit);
    qemu_register_reset(pit_reset, pit);
    return pit;
}
"""

EXTBOOT_C = """\
/*
 * Extended boot option ROM support.
 *
 * Copyright IBM, Corp. 2007
 *
 * Authors:
 *  Anthony Liguori   <aliguori@us.ibm.com>
 *
""" + GPL + """ */

#include "hw.h"
#include "pc.h"
#include "isa.h"
#include "block.h"

struct hd_geometry
{
    uint8_t heads;
    uint8_t sectors;
    uint16_t cylinders;
    uint32_t start;
};

static void extboot_write_cmd(void *opaque, uint32_t addr, uint32_t value)
{
    union extboot_cmd cmd;
    BlockDriverState *bs = opaque;

    cpu_physical_memory_read((value & 0xFFFF) << 4, (uint8_t *)&cmd, sizeof(cmd));
    if (cmd.type == 0x01)
        get_translated_chs(bs, &cmd.query_geometry);
    cpu_physical_memory_write((value & 0xFFFF) << 4, (uint8_t *)&cmd, sizeof(cmd));
}

void extboot_init(BlockDriverState *bs)
{
    register_ioport_write(0x405, 1, 2, extboot_write_cmd, bs);
}
"""

EXTBOOT_S = """\
/*
 * Extended Boot Option ROM
 *
 * Copyright IBM Corporation, 2007
 *   Authors: Anthony Liguori <aliguori@us.ibm.com>
 */

.code16
.text
	.global _start
_start:
	.short 0xaa55
	.byte (_end - _start) / 512
	push %eax
	push %ds

	/* setup ds so we can access the IVT */
	xor %ax, %ax
	mov %ax, %ds

	/* install our int 13 handler */
	movw $int13_handler, (0x13*4)
	mov %cs, (0x13*4+2)

	pop %ds
	pop %eax
	lret

int13_handler:
	cmp $0x80, %dl
	je 1f
	ljmp *%cs:old_int13
1:
	iret

old_int13:
	.long 0
_end:
"""

VAPIC_S = """\
/*
 * Virtual APIC option rom for Windows guests: the patched TPR accesses land here.
 *
 * Copyright (C) 2008 Qumranet Technologies
 */
	.text 0
	.code16
.global _start
_start:
	.short 0xaa55
	.byte (_end - _start) / 512
	ljmp $0xf000, $0xfff0

	.code32
set_tpr:
	push %eax
	mov %ecx, %eax
	mov %eax, %fs:0x80
	pop %eax
	ret
_end:
"""

KVM_TPR_OPT_C = """\
/*
 * tpr optimization for qemu/kvm
 *
 * Copyright (C) 2007-2008 Qumranet Technologies
 *
 * Licensed under the terms of the GNU GPL version 2 or higher.
 */

#include "config.h"
#include "config-host.h"

#include <string.h>

#include "hw/hw.h"
#include "hw/isa.h"
#include "sysemu.h"
#include "kvm.h"
#include "cpu.h"

static uint64_t map_addr(CPUState *env, target_ulong virt, unsigned *perms)
{
    uint64_t mask = ((1ull << 48) - 1) & ~4095ull;
    uint64_t p, pp = 7;

    p = env->cr[3];
    if (env->cr[4] & 0x20) {
        p &= ~31ull;
        p = ldq_phys(p + 8 * (virt >> 30));
        if (!(p & 1))
            return -1ull;
        p &= mask;
    }
    if (perms)
        *perms = pp >> 1;
    return p;
}

static int bios_is_mapped(CPUState *env, uint64_t rip)
{
    uint32_t probe;
    uint64_t phys;
    unsigned perms;

    probe = (rip & 0xf0000000) + 0xe0000;
    phys = map_addr(env, probe, &perms);
    return phys != -1ull && (perms & 2);
}
"""

TESTDEV_C = """\
/*
 * The test device behind the kvm unit tests: console output, exit, ram size.
 *
 * Copyright (C) 2008 Qumranet Technologies
 *
""" + GPL + """ */
#include "hw.h"
#include "qdev.h"
#include "isa.h"

struct testdev {
    ISADevice dev;
    CharDriverState *chr;
};

static void test_device_serial_write(void *opaque, uint32_t addr, uint32_t data)
{
    struct testdev *dev = opaque;
    uint8_t buf[1] = { data };

    if (dev->chr) {
        qemu_chr_write(dev->chr, buf, 1);
    }
}

static void test_device_exit(void *opaque, uint32_t addr, uint32_t data)
{
    exit(data);
}

void testdev_init(PCIBus *bus)
{
    register_ioport_write(0xf1, 1, 1, test_device_serial_write, NULL);
    register_ioport_write(0xf4, 1, 4, test_device_exit, NULL);
}
"""

DEVICE_ASSIGNMENT_H = """\
/*
 * Copyright (c) 2007, Neocleus Corporation.
 * Copyright (c) 2007, Intel Corporation.
 *
""" + GPL + """ */
#ifndef __DEVICE_ASSIGNMENT_H__
#define __DEVICE_ASSIGNMENT_H__

#include "pci.h"

#define MAX_DEV_ASSIGN_CMDLINE 8

extern const char *assigned_devices[MAX_DEV_ASSIGN_CMDLINE];
extern int assigned_devices_index;

PCIDevice *add_assigned_device(const char *arg);

#endif
"""

DEVICE_ASSIGNMENT_C = """\
/*
 * Assign a PCI device from the host to a guest VM.
 *
 * Copyright (c) 2007, Neocleus Corporation.
 * Copyright (c) 2007, Intel Corporation.
 *
 * Authors:
 *  Alex Novik <alex@neocleus.com>
 *  Allen Kay <allen.m.kay@intel.com>
 *  Ben-Ami Yassour <benami@il.ibm.com>
 *
""" + GPL + """ */
#include <stdio.h>
#include <sys/mman.h>
#include "qemu-kvm.h"
#include "hw.h"
#include "pc.h"
#include "device-assignment.h"

const char *assigned_devices[MAX_DEV_ASSIGN_CMDLINE];
int assigned_devices_index;

static int assigned_dev_register_msix_mmio(AssignedDevice *dev)
{
    void *msix_table_page;

    msix_table_page = mmap(NULL, 0x1000, PROT_READ|PROT_WRITE,
                           MAP_ANONYMOUS|MAP_PRIVATE, 0, 0);
    if (msix_table_page == MAP_FAILED) {
        fprintf(stderr, "fail allocate msix_table_page! %s\\n", strerror(errno));
        return -EFAULT;
    }
    memset(msix_table_page, 0, 0x1000);
    dev->msix_table_page = msix_table_page;
    return 0;
}

PCIDevice *add_assigned_device(const char *arg)
{
    AssignedDevice *dev;

    dev = qemu_mallocz(sizeof(AssignedDevice));
    if (get_real_device(dev, arg) < 0) {
        fprintf(stderr, "Failed to assign device \\"%s\\"\\n", arg);
        qemu_free(dev);
        return NULL;
    }
    assigned_dev_register_msix_mmio(dev);
    return &dev->dev;
}
"""

KVM_PIC_FUNCTIONS = """\
static void kvm_kernel_pic_save_to_user(PicState *s)
{
    struct kvm_irqchip chip;

    chip.chip_id = (&s->pics_state->pics[0] == s) ?
                   KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
    kvm_get_irqchip(kvm_context, &chip);
    s->irr = chip.chip.pic.irr;
    s->imr = chip.chip.pic.imr;
    s->isr = chip.chip.pic.isr;
}

"""

INTERNAL_ERROR_CASE = """\
        case KVM_EXIT_INTERNAL_ERROR:
            fprintf(stderr, "KVM internal error. Suberror: %d\\n",
                    run->internal.suberror);
            ret = -1;
            break;
"""

SSTEP_LINE = "        !(env->singlestep_enabled & SSTEP_NOIRQ) &&\n"

KVMCLOCK_MSR_EDITS: list[Edit] = [
    after("target-i386/kvm.c", "    kvm_msr_entry_set(&msrs[n++], MSR_IA32_TSC, env->tsc);\n",
          ("    kvm_msr_entry_set(&msrs[n++], MSR_KVM_SYSTEM_TIME, env->system_time_msr);\n"
          "    kvm_msr_entry_set(&msrs[n++], MSR_KVM_WALL_CLOCK, env->wall_clock_msr);\n")),
    after("target-i386/kvm.c", "    msrs[n++].index = MSR_IA32_TSC;\n",
          "    msrs[n++].index = MSR_KVM_SYSTEM_TIME;\n    msrs[n++].index = MSR_KVM_WALL_CLOCK;\n"),
    after("target-i386/kvm.c", "            env->tsc = msrs[i].data;\n            break;\n",
          ("        case MSR_KVM_SYSTEM_TIME:\n            env->system_time_msr = msrs[i].data;\n            break;\n"
          "        case MSR_KVM_WALL_CLOCK:\n            env->wall_clock_msr = msrs[i].data;\n            break;\n")),
    after("target-i386/machine.c", "    qemu_put_be64s(f, &env->tsc);\n",
          "    qemu_put_be64s(f, &env->system_time_msr);\n    qemu_put_be64s(f, &env->wall_clock_msr);\n"),
    after("target-i386/machine.c", "    qemu_get_be64s(f, &env->tsc);\n",
          "    qemu_get_be64s(f, &env->system_time_msr);\n    qemu_get_be64s(f, &env->wall_clock_msr);\n"),
]

VCPU_EVENTS_EDITS: list[Edit] = [
    before("target-i386/kvm.c", "int kvm_arch_put_registers(CPUState *env)\n", """\
static int kvm_put_vcpu_events(CPUState *env)
{
    struct kvm_vcpu_events events;

    events.exception.injected = (env->exception_injected >= 0);
    events.exception.nr = env->exception_injected;
    events.interrupt.injected = (env->interrupt_injected >= 0);
    events.interrupt.nr = env->interrupt_injected;
    events.nmi.injected = env->nmi_injected;
    events.nmi.pending = env->nmi_pending;
    events.flags = 0;

    return kvm_vcpu_ioctl(env, KVM_SET_VCPU_EVENTS, &events);
}

"""),
    after("target-i386/kvm.c", "    ret = kvm_put_msrs(env);\n    if (ret < 0)\n        return ret;\n",
          "\n    ret = kvm_put_vcpu_events(env);\n    if (ret < 0)\n        return ret;\n"),
    after("target-i386/machine.c", "    qemu_put_be32s(f, &env->mp_state);\n",
          "    qemu_put_sbe32s(f, &env->exception_injected);\n    qemu_put_sbe32s(f, &env->interrupt_injected);\n"),
    after("target-i386/machine.c", "    qemu_get_be32s(f, &env->mp_state);\n",
          "    qemu_get_sbe32s(f, &env->exception_injected);\n    qemu_get_sbe32s(f, &env->interrupt_injected);\n"),
]

DEBUGREGS_EDITS: list[Edit] = [
    before("target-i386/kvm.c", "int kvm_arch_put_registers(CPUState *env)\n", """\
static int kvm_put_debugregs(CPUState *env)
{
    struct kvm_debugregs dbgregs;
    int i;

    if (!kvm_has_debugregs()) {
        return 0;
    }

    for (i = 0; i < 4; i++) {
        dbgregs.db[i] = env->dr[i];
    }
    dbgregs.dr6 = env->dr[6];
    dbgregs.dr7 = env->dr[7];
    dbgregs.flags = 0;

    return kvm_vcpu_ioctl(env, KVM_SET_DEBUGREGS, &dbgregs);
}

"""),
    after("target-i386/kvm.c", "    ret = kvm_put_vcpu_events(env);\n    if (ret < 0)\n        return ret;\n",
          "\n    ret = kvm_put_debugregs(env);\n    if (ret < 0)\n        return ret;\n"),
]

KVMCLOCK_CPUID_DOWNSTREAM = """\
    /* paravirt: announce kvmclock */
    cpuid_ent[cpuid_nent].function = KVM_CPUID_SIGNATURE;
    cpuid_ent[cpuid_nent].eax = KVM_CPUID_FEATURES;
    ++cpuid_nent;
    cpuid_ent[cpuid_nent].function = KVM_CPUID_FEATURES;
    cpuid_ent[cpuid_nent].eax = 1 << KVM_FEATURE_CLOCKSOURCE;
    ++cpuid_nent;

"""

KVMCLOCK_CPUID_UPSTREAM = """\
    {
        struct kvm_cpuid_entry2 *c = &cpuid_data.entries[cpuid_i++];

        memset(c, 0, sizeof(*c));
        c->function = KVM_CPUID_SIGNATURE;
        c->eax = KVM_CPUID_FEATURES;
        c = &cpuid_data.entries[cpuid_i++];
        memset(c, 0, sizeof(*c));
        c->function = KVM_CPUID_FEATURES;
        c->eax = kvm_arch_get_supported_cpuid(env, KVM_CPUID_FEATURES, R_EAX);
    }

"""

SIGNALFD_COMMON_EDITS: list[Edit] = [
    after("compatfd.h", "int qemu_signalfd(const sigset_t *mask);\n", "int qemu_signalfd_available(void);\n"),
    append("compatfd.c", """\
int qemu_signalfd_available(void)
{
#ifdef CONFIG_SIGNALFD
    errno = 0;
    syscall(SYS_signalfd, -1, NULL, _NSIG / 8);
    return errno != ENOSYS;
#else
    return 0;
#endif
}
"""),
]

SIGNALFD_VL_FUNCTION = """\
static void qemu_signal_init(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    sigaddset(&set, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    qemu_set_fd_handler2(qemu_signalfd(&set), NULL, sigfd_handler, NULL, NULL);
}

"""


# -- building --------------------------------------------------------------------------------

def _write_story(repo: pygit2.Repository) -> dict[str, str]:
    """Play the whole story and return the refs to create."""
    s = _Story(repo)
    fill = _Fillers()
    _upstream_origin(s, fill)
    s.branch("down", "up")
    _qemu_kvm_core(s)
    _first_cycle(s, fill)
    _second_cycle(s, fill)
    _third_cycle(s, fill)
    _fourth_cycle(s, fill)
    _upstream_moves_on(s, fill)
    _stable(s)
    _queue(s)
    return {
        UPSTREAM: s.tips["up"],
        DOWNSTREAM: s.tips["down"],
        QUEUE: s.tips["queue"],
        STABLE_UPSTREAM: s.tips["stable-up"],
        STABLE_DOWNSTREAM: s.tips["stable-down"],
        STABLE_QUEUE: s.tips["stable-queue"],
        "refs/heads/master": s.tips["down"],
    }


def _configure(git_dir: Path) -> None:
    """The two queue profiles and the default one, in the repository's own config."""
    config = pygit2.Config(str(git_dir / "config"))
    profiles = {
        "master": (DOWNSTREAM, UPSTREAM, "uq/master"),
        "stable-0.12": (STABLE_DOWNSTREAM, STABLE_UPSTREAM, "uq/stable-0.12"),
    }
    for name, (downstream, upstream, branch) in profiles.items():
        config[f"uq.{name}.downstream"] = downstream
        config[f"uq.{name}.upstream"] = upstream
        config[f"uq.{name}.branch"] = branch
        config[f"uq.{name}.test"] = TEST_COMMAND
        for address in RECIPIENTS:
            # A pattern no existing value matches makes libgit2 add a value instead of replacing one.
            config.set_multivar(f"uq.{name}.to", "^$", address)
    config["uq.defaultProfile"] = "master"


def _check_target(path: Path) -> None:
    """Refuse anything but a missing path or an empty directory: the demo never overwrites."""
    if path.exists() and not path.is_dir():
        raise UqError(f"{path} exists and is not a directory. Choose a new or empty directory.",
                      title="Demo directory not usable")
    if path.is_dir() and any(path.iterdir()):
        raise UqError(f"{path} is not empty. Choose a new or empty directory; "
                      "it never writes into existing files.", title="Demo directory not empty")


def build_demo(path: Path) -> Path:
    """Build the demo repository in PATH (new or empty) and return PATH; refuse anything else."""
    path = Path(path)
    try:
        _check_target(path)
        existed = path.exists()
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UqError(f"Cannot create {path}: {exc.strerror or exc}. Choose a new or empty directory "
                      "in a place you can write to.", title="Demo directory not usable") from exc
    try:
        repo = pygit2.init_repository(str(path), bare=False, initial_head="master")
        for name, target in _write_story(repo).items():
            repo.references.create(name, pygit2.Oid(hex=target), force=True)
        _configure(Path(repo.path))
        repo.checkout("refs/heads/master", strategy=pygit2.enums.CheckoutStrategy.FORCE)
    except BaseException as exc:  # Ctrl+C too: what was written goes, then the interruption goes on
        _remove_half_built(path, existed)
        if not isinstance(exc, (OSError, pygit2.GitError)):
            raise
        raise UqError(f"Could not build the demo in {path}: {exc}. Nothing was left there; check the free "
                      "space and the permissions, then try again.", title="Demo not built") from exc
    return path


def _remove_half_built(path: Path, keep_folder: bool) -> None:
    """Delete what a failed build wrote: the folder itself too when the build made it."""
    import shutil

    if not keep_folder:
        shutil.rmtree(path, ignore_errors=True)
        return
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
