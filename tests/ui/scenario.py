"""A small two-tree repository for UI tests: remaining, queued, landed exact and morphed, no diff."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.builder import RepoBuilder

UPSTREAM = "refs/remotes/qemu/master"
DOWNSTREAM = "refs/remotes/qemu-kvm/master"
QUEUE = "refs/heads/uq/master"
PROFILE = "master"


@dataclass
class Scenario:
    """The repository and the ids a test needs."""

    path: Path
    builder: RepoBuilder
    pit: str  # landed morphed
    signalfd: str  # queued
    debugregs: str  # landed exact
    msix: str  # remaining
    empty: str  # no diff
    tpr: str  # remaining, after the merge
    conflicting: str  # remaining, conflicts with the queue
    queue_commit: str


def _lines(*items: str) -> str:
    return "".join(f"{i}\n" for i in items)


def build_scenario(path: Path, profiles: tuple[str, ...] = (PROFILE,)) -> Scenario:
    """Build the repository at PATH with the given profile names (all on the same refs)."""
    b = RepoBuilder(path)
    base = b.commit("Initial import", {"vl.c": _lines("int main(void)", "{", "    return 0;", "}"),
                                        "hw/apic.c": _lines("/* apic */", "int apic_level;", "int apic_mode;"),
                                        "Makefile": "all:\n"}, ref=UPSTREAM)
    b.ref(DOWNSTREAM, base)
    pit_author = b.signature("Avi Kivity", "avi@redhat.com")
    pit = b.commit("kvm: in-kernel pit", {"hw/i8254-kvm.c": _lines("/* pit */", "int pit_irq = 0;", "void pit(void) {}")},
                   ref=DOWNSTREAM, author=pit_author)
    signalfd = b.commit("qemu-kvm: signalfd support", {"compatfd.c": _lines("#include <signal.h>", "int compatfd;")},
                        ref=DOWNSTREAM, author=b.signature("Marcelo Tosatti", "mtosatti@redhat.com"))
    dbg_author = b.signature("Jan Kiszka", "jan.kiszka@siemens.com")
    debugregs = b.commit("kvm: debug registers", {"hw/apic.c": _lines("/* apic */", "int apic_level;", "int apic_mode;",
                                                                        "int debug_regs;")},
                         ref=DOWNSTREAM, author=dbg_author)
    msix = b.commit("device-assignment: msix", {"hw/device-assignment.c": _lines("/* assign */", "int msix;")},
                    ref=DOWNSTREAM, author=b.signature("Sheng Yang", "sheng@linux.intel.com"))
    empty = b.commit("Empty marker commit", {}, ref=DOWNSTREAM)
    # Upstream takes debugregs as the same patch and pit rewritten, under the same subject.
    u_dbg = b.commit("kvm: debug registers", {"hw/apic.c": _lines("/* apic */", "int apic_level;", "int apic_mode;",
                                                                    "int debug_regs;")},
                     ref=UPSTREAM, author=dbg_author)
    del u_dbg
    b.commit("kvm: in-kernel pit", {"hw/i8254-kvm.c": _lines("/* pit */", "int pit_irq = 0;", "void pit(void) {}",
                                                               "int pit_mode = 2;")},
             ref=UPSTREAM, author=pit_author)
    upstream_tip = str(b.repo.references[UPSTREAM].target)
    down_tip = str(b.repo.references[DOWNSTREAM].target)
    merge_tree = b.tree({"hw/apic.c": _lines("/* apic */", "int apic_level;", "int apic_mode;", "int debug_regs;")},
                        base=down_tip)
    b.commit("Merge branch 'upstream-merge'", parents=[down_tip, upstream_tip], ref=DOWNSTREAM, tree=merge_tree)
    tpr = b.commit("kvm: tpr patching", {"kvm-tpr-opt.c": _lines("/* tpr */", "int tpr;")}, ref=DOWNSTREAM,
                   author=b.signature("Avi Kivity", "avi@redhat.com"))
    conflicting = b.commit("vl: return 1", {"vl.c": _lines("int main(void)", "{", "    return 1;", "}")},
                           ref=DOWNSTREAM)
    # The queue on upstream: signalfd picked, and a queue-only change to vl.c that conflicts.
    b.ref(QUEUE, upstream_tip)
    queue_commit = b.commit("qemu-kvm: signalfd support\n\n(cherry picked from commit " + signalfd + ")\n",
                            {"compatfd.c": _lines("#include <signal.h>", "int compatfd;")}, ref=QUEUE,
                            author=b.signature("Marcelo Tosatti", "mtosatti@redhat.com"))
    b.commit("vl: return 2", {"vl.c": _lines("int main(void)", "{", "    return 2;", "}")}, ref=QUEUE)
    for name in profiles:
        b.git("config", f"uq.{name}.downstream", "qemu-kvm/master")
        b.git("config", f"uq.{name}.upstream", "qemu/master")
        b.git("config", f"uq.{name}.branch", "uq/master" if name == PROFILE else f"uq/{name}")
        if name != PROFILE:
            b.ref(f"refs/heads/uq/{name}", upstream_tip)
    if len(profiles) > 1:
        b.git("config", "uq.defaultProfile", profiles[0])
    return Scenario(path, b, pit, signalfd, debugregs, msix, empty, tpr, conflicting, queue_commit)
