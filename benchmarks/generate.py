#!/usr/bin/env python3
"""Generate a synthetic QEMU / qemu-kvm repository pair for uqgui benchmarks.

The result is a bare repository built with one streamed `git fast-import`:

* ``refs/remotes/qemu/master``: upstream "qemu", a linear-ish history of
  ``--upstream`` non-merge commits (plus occasional merges of topic branches)
  over a few hundred files: small C-like hunks, a few binary updates, renames,
  new files and a handful of tree-wide commits touching hundreds of files.
* ``refs/remotes/qemu-kvm/master``: downstream "qemu-kvm", forked from early
  upstream, with ``--downstream`` downstream-only non-merge commits and a
  "Merge branch 'upstream-merge'" every few hundred of them.
* ``refs/heads/uq/master``: the queue, ``--queue`` commits on the upstream tip.

Landed patches (recorded in ``OUTDIR.truth.json``):

* exact (~5%): a downstream commit whose diff is re-applied verbatim upstream
  *later* (same patch-id, same author and author date, another committer date),
  usually before a later upstream merge, so that `git cherry` misses it.
* morphed (~3%), upstream twin created after the downstream commit:
  ``same-subject-line`` (one added line differs), ``same-subject-context`` (one
  context line differs, changed by the upstream commit just before the twin),
  ``author-date`` (other subject, one line differs, same author e-mail and
  author timestamp).
* morphed backports, upstream commit created *first*: the downstream commit has
  another subject, a slightly different diff and names the upstream commit,
  either as ``(cherry picked from commit <id>)`` or as ``Upstream-commit: <id>``.
  The upstream id is asked from fast-import (``get-mark``) while streaming.

The same arguments always give the same commit ids (seeded random, fixed dates
starting 2003-04-29).
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import collections
import difflib
import heapq
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from collections.abc import Iterable, Sequence
from pathlib import Path

Lines = tuple[str, ...]
Content = Lines | bytes
State = dict[str, Content]
Op = tuple[str, str] | tuple[str, str, Content]

UPSTREAM_REF = "refs/remotes/qemu/master"
DOWNSTREAM_REF = "refs/remotes/qemu-kvm/master"
QUEUE_REF = "refs/heads/uq/master"
TOPIC_REF = "refs/uqgen/topic"
PROFILE = "master"
START_TIME = calendar.timegm((2003, 4, 29, 9, 30, 0))
CONTEXT = 3
SMALL_PRESET = {"upstream": 2000, "downstream": 300}
EXACT_RATE = 0.05
MORPH_RATE = 0.03
TWIN_KINDS = ("exact", "same-subject-line", "same-subject-context", "author-date")
BACKPORT_KINDS = ("cherry-picked-from", "upstream-commit-trailer")
MORPH_KINDS = TWIN_KINDS[1:] + BACKPORT_KINDS
HEADER_LEN = {"c": 12, "h": 12, "make": 3, "script": 3, "text": 3}
MAX_LINES = 320
FILES_PER_COMMIT = (1, 2, 3, 4)
FILES_WEIGHTS = (60, 25, 10, 5)
HEX_RE = re.compile(r"0x([0-9a-f]+)")

# --------------------------------------------------------------------------
# The synthetic tree
# --------------------------------------------------------------------------

UPSTREAM_TREE = {
    "": "vl.c vl.h exec.c exec-all.h cpu-exec.c cpu-all.h cpu-defs.h translate-all.c "
    "monitor.c console.c console.h sdl.c vnc.c vnc_keysym.h keymaps.c block.c block.h "
    "block_int.h aio.c qemu-img.c osdep.c osdep.h cutils.c gdbstub.c gdbstub.h kqemu.c "
    "loader.c dyngen.c dyngen.h dyngen-exec.h softmmu_template.h softmmu_header.h "
    "softmmu_exec.h qemu-common.h sysemu.h qemu-char.h qemu-timer.h net.h disas.c disas.h "
    "elf.h elf_ops.h i386-dis.c ppc-dis.c arm-dis.c sparc-dis.c mips-dis.c m68k-dis.c "
    "sh4-dis.c cris-dis.c thunk.c thunk.h bswap.h host-utils.c host-utils.h readline.c "
    "Makefile Makefile.target configure qemu-doc.texi qemu-tech.texi qemu-img.texi "
    "Changelog README TODO COPYING",
    "hw": "pc.c pc.h pci.c pci.h apic.c i8259.c i8254.c ide.c ne2000.c rtl8139.c e1000.c "
    "e1000_hw.h cirrus_vga.c cirrus_vga_rop.h vga.c vga_int.h serial.c parallel.c fdc.c "
    "dma.c mc146818rtc.c piix_pci.c acpi.c usb.c usb.h usb-uhci.c usb-ohci.c usb-hub.c "
    "usb-msd.c scsi-disk.c lsi53c895a.c esp.c pcnet.c eepro100.c es1370.c sb16.c adlib.c "
    "gus.c ps2.c pckbd.c pcspk.c smbus.c smbus_eeprom.c i2c.c i2c.h isa.h irq.c irq.h "
    "boards.h sun4m.c sun4u.c slavio_intctl.c slavio_timer.c slavio_serial.c slavio_misc.c "
    "iommu.c tcx.c ppc.c ppc_prep.c ppc_chrp.c ppc_oldworld.c mac_dbdma.c cuda.c openpic.c "
    "heathrow_pic.c mips_r4k.c mips_malta.c mips_timer.c gt64xxx.c arm_boot.c arm_pic.c "
    "arm_timer.c integratorcp.c versatilepb.c pl011.c pl050.c pl080.c pl110.c pl181.c "
    "realview.c pxa2xx.c pxa2xx_pic.c pxa.h omap.c omap.h spitz.c tosa.c max7310.c "
    "wm8750.c sh7750.c r2d.c mcf5208.c etraxfs.c an5206.c pflash_cfi01.c pflash_cfi02.c "
    "nand.c ecc.c sd.c sd.h ds1225y.c m48t59.c m48t59.h nvram.h fw_cfg.c fw_cfg.h "
    "vmware_vga.c vmport.c pckbd.h cs4231.c fmopl.c fmopl.h",
    "target-i386": "cpu.h exec.h helper.c helper2.c op.c ops_template.h ops_mem.h "
    "translate.c machine.c svm.h",
    "target-arm": "cpu.h exec.h helper.c op.c translate.c machine.c nwfpe.c",
    "target-ppc": "cpu.h exec.h helper.c op.c translate.c machine.c op_helper.c",
    "target-sparc": "cpu.h exec.h helper.c op.c translate.c machine.c op_helper.c",
    "target-mips": "cpu.h exec.h helper.c op.c translate.c machine.c translate_init.c",
    "target-sh4": "cpu.h exec.h helper.c op.c translate.c",
    "target-m68k": "cpu.h exec.h helper.c op.c translate.c",
    "target-cris": "cpu.h exec.h helper.c op.c translate.c mmu.c",
    "block": "qcow.c qcow2.c raw-posix.c raw-win32.c vmdk.c cow.c cloop.c dmg.c bochs.c "
    "vpc.c vvfat.c parallels.c nbd.c",
    "linux-user": "main.c syscall.c signal.c elfload.c mmap.c qemu.h syscall_defs.h "
    "strace.c path.c flatload.c uaccess.c",
    "linux-user/i386": "syscall.h syscall_nr.h target_signal.h",
    "linux-user/arm": "syscall.h syscall_nr.h target_signal.h",
    "linux-user/ppc": "syscall.h syscall_nr.h target_signal.h",
    "linux-user/mips": "syscall.h syscall_nr.h",
    "darwin-user": "main.c syscall.c signal.c machload.c qemu.h",
    "audio": "audio.c audio.h audio_int.h ossaudio.c alsaaudio.c sdlaudio.c wavaudio.c "
    "noaudio.c mixeng.c mixeng.h coreaudio.c dsoundaudio.c fmodaudio.c esdaudio.c",
    "slirp": "if.c ip_input.c ip_output.c tcp_input.c tcp_output.c tcp_subr.c tcp_timer.c "
    "udp.c socket.c mbuf.c misc.c slirp.c sbuf.c bootp.c tftp.c cksum.c ip_icmp.c debug.c "
    "if.h ip.h tcp.h udp.h socket.h mbuf.h slirp.h",
    "tcg": "tcg.c tcg.h tcg-op.h tcg-opc.h tcg-runtime.h",
    "tcg/i386": "tcg-target.c tcg-target.h",
    "tcg/x86_64": "tcg-target.c tcg-target.h",
    "fpu": "softfloat.c softfloat.h softfloat-native.c softfloat-native.h "
    "softfloat-macros.h softfloat-specialize.h",
    "tests": "test-i386.c test-i386.h linux-test.c qruncom.c Makefile test-mmap.c",
    "keymaps": "ar da de de-ch en-gb en-us es et fi fr fr-be it ja lt nl no pl pt ru sv",
    "pc-bios": "README Makefile",
}
UPSTREAM_BINARIES = (
    "pc-bios/bios.bin", "pc-bios/vgabios.bin", "pc-bios/vgabios-cirrus.bin",
    "pc-bios/ppc_rom.bin", "pc-bios/openbios-sparc32", "pc-bios/openbios-sparc64",
    "pc-bios/video.x", "pc-bios/pxe-ne2k_pci.bin", "pc-bios/pxe-rtl8139.bin",
)
SHARED_FILES = (
    "vl.c", "exec.c", "cpu-exec.c", "monitor.c", "Makefile", "Makefile.target", "configure",
    "sysemu.h", "cpu-all.h", "cpu-defs.h", "block.c", "qemu-img.c", "gdbstub.c", "osdep.c",
    "hw/pc.c", "hw/pc.h", "hw/pci.c", "hw/pci.h", "hw/apic.c", "hw/i8259.c", "hw/i8254.c",
    "hw/acpi.c", "hw/piix_pci.c", "hw/ide.c", "hw/e1000.c", "hw/rtl8139.c", "hw/ne2000.c",
    "hw/cirrus_vga.c", "hw/vga.c", "hw/mc146818rtc.c", "hw/fw_cfg.c", "hw/serial.c",
    "hw/usb-uhci.c", "target-i386/cpu.h", "target-i386/helper.c", "target-i386/helper2.c",
    "target-i386/machine.c", "target-i386/translate.c", "block/qcow2.c", "block/raw-posix.c",
)
NEW_UPSTREAM_FILES = (
    "hw/virtio.c", "hw/virtio.h", "hw/virtio-blk.c", "hw/virtio-net.c", "hw/virtio-balloon.c",
    "hw/virtio-console.c", "hw/hpet.c", "hw/qdev.c", "hw/qdev.h", "hw/sysbus.c", "hw/msix.c",
    "hw/msi.c", "hw/pcie.c", "hw/ich9.c", "hw/ahci.c", "hw/lan9118.c", "hw/ssi.c",
    "hw/stellaris.c", "hw/musicpal.c", "hw/syborg.c", "hw/xen_backend.c", "hw/vhost.c",
    "hw/vhost_net.c", "hw/ivshmem.c", "hw/megasas.c", "hw/qxl.c", "block/qed.c",
    "block/sheepdog.c", "block/rbd.c", "block/curl.c", "block/iscsi.c", "block/blkdebug.c",
    "target-s390x/translate.c", "target-s390x/helper.c", "target-s390x/cpu.h",
    "target-microblaze/translate.c", "target-microblaze/cpu.h", "tcg/arm/tcg-target.c",
    "tcg/sparc/tcg-target.c", "tcg/ppc64/tcg-target.c", "qemu-io.c", "qemu-nbd.c",
    "qemu-char.c", "qemu-config.c", "qemu-option.c", "qemu-timer.c", "qemu-thread.c",
    "qjson.c", "qdict.c", "qlist.c", "qstring.c", "json-parser.c", "json-lexer.c",
    "savevm.c", "migration.c", "migration-tcp.c", "net.c", "net/tap.c", "net/slirp.c",
    "net/socket.c", "ui/spice-core.c", "ui/vnc-enc-zlib.c", "trace.c",
    "scripts/tracetool", "scripts/checkpatch.pl", "qapi/qapi-visit-core.c", "hmp.c", "qmp.c",
)
DOWNSTREAM_BOOTSTRAP = (
    "qemu-kvm.c", "qemu-kvm.h", "qemu-kvm-x86.c", "hw/device-assignment.c",
    "hw/device-assignment.h", "kvm/libkvm/libkvm.c", "kvm/libkvm/libkvm.h",
    "kvm/libkvm/Makefile", "kvm/user/main.c", "kvm/Makefile", "kvm/configure",
    "kvm/kernel/Makefile", "kvm/scripts/kvm_stat", "kvm/bios/rombios.c",
)
DOWNSTREAM_LATER = (
    "qemu-kvm-ia64.c", "qemu-kvm-helper.c", "hw/ipf.c", "hw/extboot.c", "hw/testdev.c",
    "kvm/libkvm/libkvm-x86.c", "kvm/user/config-x86-common.mak", "kvm/user/test/x86/apic.c",
    "kvm/user/test/x86/emulator.c", "kvm/user/test/lib/printf.c",
    "kvm/kernel/external-module-compat.h", "kvm/scripts/vmxcap", "kvm/bios/acpi-dsdt.dsl",
    "kvm/extboot/extboot.S", "kvm/vgabios/vbe.c", "kvm/user/test/x86/access.c",
    "kvm/user/test/x86/vmexit.c", "kvm/user/test/x86/msr.c", "kvm/libkvm/libkvm-common.h",
)
DOWNSTREAM_BINARY = "pc-bios/extboot.bin"
CHIP_PREFIXES = ("pl", "sm", "tsc", "ds", "mc", "cs", "lm", "max", "wm", "ssd", "ads", "twl",
                 "tmp", "pcf", "at", "ne", "rtl", "sja", "pxa", "omap", "imx", "stm")
RENAME_SUBDIRS = ("core", "misc", "legacy", "dev")
MASS_CHANGES = (
    ("include", '#include "vl.h"', '#include "qemu-common.h"',
     "Split vl.h: include qemu-common.h directly"),
    ("license", " * This work is licensed under the terms of the GNU GPL, version 2.",
     " * This work is licensed under the terms of the GNU GPL, version 2 or later.",
     "Relicense to GPL version 2 or later"),
    ("osdep", '#include "osdep.h"', '#include "qemu/osdep.h"',
     "Move osdep.h to include/qemu/"),
    ("include", '#include "qemu-common.h"', '#include "qemu/common.h"',
     "Move qemu-common.h to include/qemu/"),
)
MASS_FRACTIONS = (0.14, 0.38, 0.61, 0.86)
HEADER_DEFAULTS = {
    "license": MASS_CHANGES[1][1], "osdep": MASS_CHANGES[2][1], "include": MASS_CHANGES[0][1],
}

VERBS = (
    "get", "set", "read", "write", "update", "reset", "init", "load", "save", "map", "unmap",
    "flush", "raise", "lower", "check", "handle", "alloc", "free", "register", "notify",
    "sync", "probe", "clear", "emit", "queue", "parse", "enable", "disable", "commit",
)
NOUNS = (
    "irq", "reg", "config", "state", "buffer", "addr", "size", "mask", "status", "ctrl",
    "cmd", "sector", "page", "entry", "queue", "vector", "port", "base", "limit", "flags",
    "count", "offset", "mode", "level", "timer", "clock", "bank", "table", "desc", "ring",
    "fifo", "latch", "window", "slot", "lun", "msr", "pte", "tlb", "dma", "bar",
)
TYPES = ("int", "uint32_t", "uint64_t", "uint8_t", "target_ulong", "ram_addr_t", "uint16_t",
         "int64_t", "target_phys_addr_t", "unsigned int")
FIRST_NAMES = (
    "Alex Anna Ben Carla Chen Dario Elena Emil Fatima Felix Greta Hugo Ines Ivan Jana Jonas "
    "Kai Kira Lars Lena Luca Maya Mehmet Mia Nils Nora Omar Olga Paul Petra Quentin Rosa Rui "
    "Sara Sven Tara Timo Uma Vera Viktor Wei Xenia Yuki Yusuf Zoe Arjun Bruno Chloe Diego Eva"
).split()
LAST_NAMES = (
    "Abbott Bauer Castro Dubois Eriksen Fischer Garcia Hansen Ito Jensen Kowalski Lindqvist "
    "Moreau Novak Okafor Petrov Quinn Rossi Sato Tanaka Usman Varga Weber Xu Yilmaz Zimmer "
    "Andersen Becker Costa Duarte Engel Falk Gruber Horvat Ilic Jovanovic Keller Lang"
).split()
DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "corp.example")
TIMEZONES = ("+0000", "+0100", "+0200", "-0500", "-0800", "+0800", "+0900", "+0530", "-0300")
SUBJECT_TEMPLATES = (
    "{area}: fix {noun} handling in {fn}",
    "{area}: add support for {noun} {noun2}",
    "{area}: remove unused {noun} from {fn}",
    "{area}: convert {fn} to {noun2} helpers",
    "{area}: don't {verb} {noun} when {noun2} is {adj}",
    "Fix {noun} {noun2} in {area} ({fn})",
    "{area}: clean up {fn}",
    "{area}: implement {fn}",
    "{area}: {verb} {noun} before {verb2} {noun2}",
    "{area}: avoid {adj} {noun} in {fn}",
    "{area}: use {fn} for {noun} {noun2}",
    "{area}: simplify {fn}",
)
BACKPORT_TEMPLATES = (
    "kvm: backport {noun} {noun2} fix for {area}",
    "{area}: pull {fn} fix from upstream",
    "qemu-kvm: sync {area} {noun} handling with upstream",
    "Backport {area} {noun} {noun2} change",
)
BODY_TEMPLATES = (
    "The {noun} {noun2} was not updated when the guest touches the {noun3}.",
    "This makes {fn} {verb} the {noun} only once per {noun2}.",
    "Without this the {noun} may be {adj} after a {noun2} reset.",
    "Reported by several users running {adj} guests.",
    "Move the {noun} logic into {fn} so callers do not have to {verb} it.",
    "No functional change intended for the {adj} {noun} path.",
)
ADJECTIVES = ("stale", "invalid", "unaligned", "pending", "masked", "disabled", "large",
              "zero", "negative", "uninitialized", "shared", "busy")


# --------------------------------------------------------------------------
# Small data types and pure helpers
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    """A commit author or committer."""

    name: str
    email: str
    tz: str

    def ident(self, when: int) -> str:
        """Return the fast-import identity line for this person at *when*."""
        return f"{self.name} <{self.email}> {when} {self.tz}"

    def sob(self) -> str:
        """Return this person's Signed-off-by trailer."""
        return f"Signed-off-by: {self.name} <{self.email}>"


@dataclass(frozen=True)
class Hunk:
    """One single-hunk text change: context+removed+context -> context+added+context."""

    path: str
    before: Lines
    after: Lines


@dataclass
class CommitRec:
    """What the generator remembers about a commit it may copy later."""

    mark: int
    subject: str
    body: str
    author: Person
    author_time: int
    hunks: list[Hunk]
    after_final_merge: bool = False
    used: bool = False


@dataclass
class Branch:
    """A ref being written: its in-memory tree and its tip mark."""

    ref: str
    state: State
    tip: int | None = None


@dataclass
class Topic:
    """An upstream side branch waiting to be merged back into mainline."""

    name: str
    branch: Branch
    base: State
    remaining: int


@dataclass(order=True)
class TwinJob:
    """A pending upstream twin of a downstream commit."""

    due: int
    seq: int
    kind: str = field(compare=False)
    rec: CommitRec = field(compare=False)
    hunks: list[Hunk] | None = field(default=None, compare=False)


def flavor_of(path: str) -> str:
    """Return the kind of text a path holds: c, h, make, script or text."""
    base = path.rsplit("/", 1)[-1]
    if base.endswith((".c", ".S", ".dsl")):
        return "c"
    if base.endswith(".h"):
        return "h"
    if base.startswith("Makefile") or base.endswith((".mak", ".target")):
        return "make"
    if base == "configure" or base.endswith((".sh", ".pl")) or "scripts/" in path:
        return "script"
    return "text"


def prefix_of(path: str) -> str:
    """Return a C identifier prefix derived from a file name."""
    stem = path.rsplit("/", 1)[-1].split(".")[0].lower()
    pfx = re.sub(r"[^a-z0-9]+", "_", stem).strip("_") or "qemu"
    return pfx if pfx[0].isalpha() else "q" + pfx


def area_of(path: str) -> str:
    """Return the subject prefix ("pci", "target-i386", "kvm") for a path."""
    if path.startswith("kvm/") or path.startswith("qemu-kvm"):
        return "kvm"
    if path.startswith("target-"):
        return path.split("/", 1)[0]
    return prefix_of(path).replace("_", "-")


def mode_of(path: str) -> str:
    """Return the git file mode for a path."""
    return "100755" if flavor_of(path) == "script" else "100644"


def encode(content: Content) -> bytes:
    """Return the blob bytes of a file content."""
    if isinstance(content, bytes):
        return content
    return ("\n".join(content) + "\n").encode()


def is_stable(old: Lines, p: int, r: int, new: Sequence[str]) -> bool:
    """Tell whether git's diff of this change is exactly this hunk (no sliding)."""
    if new and (new[-1] == old[p - 1] or new[0] == old[p + r]):
        return False
    if r and (old[p + r - 1] == old[p - 1] or old[p] == old[p + r]):
        return False
    return not (r and new and not set(new).isdisjoint(old[p:p + r]))


def find_block(lines: Lines, block: Lines) -> int:
    """Return the index of the first occurrence of *block* in *lines*, or -1."""
    first, n, i = block[0], len(block), -1
    while True:
        try:
            i = lines.index(first, i + 1)
        except ValueError:
            return -1
        if lines[i:i + n] == block:
            return i


def apply_hunks(state: State, hunks: Iterable[Hunk]) -> list[tuple[str, Lines]] | None:
    """Return the new contents after applying hunks to *state*, None if one fails."""
    out: list[tuple[str, Lines]] = []
    for h in hunks:
        lines = state.get(h.path)
        if not isinstance(lines, tuple):
            return None
        k = find_block(lines, h.before)
        if k < 0:
            return None
        out.append((h.path, lines[:k] + h.after + lines[k + len(h.before):]))
    return out


def _matches(base: Lines, other: Lines) -> dict[int, int]:
    """Map base line indices to the matching line indices of *other*."""
    m: dict[int, int] = {}
    sm = difflib.SequenceMatcher(None, base, other, autojunk=False)
    for i, j, n in sm.get_matching_blocks():
        for k in range(n):
            m[i + k] = j + k
    return m


def _resolve(base: Lines, ours: Lines, theirs: Lines) -> tuple[Lines, bool]:
    """Resolve one unstable diff3 chunk; a real conflict takes theirs (or both)."""
    if ours == theirs or theirs == base:
        return ours, False
    if ours == base:
        return theirs, False
    return (ours + theirs if not base else theirs), True


def merge3(base: Lines, ours: Lines, theirs: Lines) -> tuple[Lines, bool]:
    """Three-way merge of line tuples; return the result and whether it conflicted."""
    ma, mb = _matches(base, ours), _matches(base, theirs)
    out: list[str] = []
    conflict = False
    i = io = it = 0
    n = len(base)
    while True:
        while i < n and ma.get(i) == io and mb.get(i) == it:
            out.append(base[i])
            i, io, it = i + 1, io + 1, it + 1
        i2 = i
        while i2 < n and not (i2 in ma and i2 in mb):
            i2 += 1
        eo, et = (ma[i2], mb[i2]) if i2 < n else (len(ours), len(theirs))
        chunk, bad = _resolve(base[i:i2], ours[io:eo], theirs[it:et])
        out.extend(chunk)
        conflict |= bad
        if i2 >= n:
            return tuple(out), conflict
        i, io, it = i2, eo, et


def merge_states(base: State, ours: State, theirs: State) -> tuple[State, list[str]]:
    """Three-way merge of whole trees; deletions win over modifications."""
    result: State = {}
    conflicts: list[str] = []
    for path in list(ours) + [p for p in theirs if p not in ours]:
        b, o, t = base.get(path), ours.get(path), theirs.get(path)
        if o is t or o == t or t == b:
            merged = o
        elif o == b:
            merged = t
        elif o is None or t is None or b is None:
            merged = None if b is not None else t
        elif isinstance(o, tuple) and isinstance(t, tuple) and isinstance(b, tuple):
            merged, bad = merge3(b, o, t)
            if bad:
                conflicts.append(path)
        else:
            merged = t
            conflicts.append(path)
        if merged is not None:
            result[path] = merged
    return result, conflicts


def tree_delta(old: State, new: State) -> list[Op]:
    """Return fast-import file operations turning tree *old* into *new*."""
    ops: list[Op] = [("D", p) for p in old if p not in new]
    for path, content in new.items():
        prev = old.get(path)
        if prev is not content and prev != content:
            ops.append(("M", path, content))
    return ops


# --------------------------------------------------------------------------
# Text generation
# --------------------------------------------------------------------------

class Coder:
    """Deterministic generator of C-like source text and of small edits to it."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.header = dict(HEADER_DEFAULTS)
        self._kinds: dict[str, tuple[str, str]] = {}

    def kind(self, path: str) -> tuple[str, str]:
        """Return (flavor, identifier prefix) of a path, cached."""
        k = self._kinds.get(path)
        if k is None:
            k = self._kinds[path] = (flavor_of(path), prefix_of(path))
        return k

    def num(self) -> str:
        """Return a random hex constant."""
        return f"0x{self.rng.getrandbits(16):x}"

    def statement(self, pfx: str) -> str:
        """Return one line of C statement."""
        r = self.rng
        v, n, n2 = r.choice(VERBS), r.choice(NOUNS), r.choice(NOUNS)
        t = r.randrange(8)
        if t == 0:
            return f"    s->{n}_{n2} = {pfx}_{v}_{n}(s, {self.num()});"
        if t == 1:
            return f"    {r.choice(TYPES)} {n}{r.randrange(100)} = s->{n2} & {self.num()};"
        if t == 2:
            return f"    {pfx}_{v}_{n2}(s, {n}, {r.randrange(1, 4096)});"
        if t == 3:
            return f"    qemu_{v}_{n}(s->{n2}, {self.num()});"
        if t == 4:
            return f"    /* {v} the {n} {n2} before touching {self.num()} */"
        if t == 5:
            flag = f"{pfx.upper()}_{n2.upper()}_{r.randrange(256)}"
            return f"    s->{n}[{r.randrange(64)}] |= {flag};"
        if t == 6:
            return f'    DPRINTF("{v} {n} %d\\n", s->{n2}{r.randrange(32)});'
        return f"    cpu_{v}_{n}(env, s->{n2} + {self.num()});"

    def line(self, flavor: str, pfx: str) -> str:
        """Return one new line of the given flavor."""
        r = self.rng
        n, n2 = r.choice(NOUNS), r.choice(NOUNS)
        if flavor == "c":
            return self.statement(pfx)
        if flavor == "h":
            if r.random() < 0.5:
                return f"#define {pfx.upper()}_{n.upper()}_{r.randrange(4096)} {self.num()}"
            args = f"{r.choice(TYPES)} {n2}, int n{r.randrange(99)}"
            return f"void {pfx}_{r.choice(VERBS)}_{n}({args});"
        if flavor == "make":
            if r.random() < 0.6:
                return f"OBJS+={n}-{n2}{r.randrange(1000)}.o"
            return f"CFLAGS+=-DCONFIG_{n.upper()}_{n2.upper()}={r.randrange(4096)}"
        if flavor == "script":
            return f'{n}_{n2}{r.randrange(1000)}="{r.choice(VERBS)}"  # {self.num()}'
        return f"{r.choice(VERBS)} the {n} {n2} {r.choice(ADJECTIVES)} ({self.num()})"

    def function(self, pfx: str) -> list[str]:
        """Return a short C function followed by a blank line."""
        r = self.rng
        head = (f"static {r.choice(TYPES)} {pfx}_{r.choice(VERBS)}_{r.choice(NOUNS)}"
                f"_{r.randrange(10000)}({pfx.capitalize()}State *s, {r.choice(TYPES)} val)")
        body = [self.statement(pfx) for _ in range(r.randint(2, 7))]
        if r.random() < 0.4:
            body[1:1] = [f"    if (val & {self.num()}) {{", "    " + self.statement(pfx), "    }"]
        return [head, "{", *body, "}", ""]

    def header_lines(self, path: str, flavor: str, pfx: str, year: int, holder: str) -> list[str]:
        """Return the boilerplate first lines of a new file."""
        if flavor in ("c", "h"):
            h = self.header
            return ["/*", f" * QEMU {pfx} emulation", " *", f" * Copyright (c) {year} {holder}",
                    " *", h["license"], " */", "", h["osdep"], h["include"],
                    f'#include "{pfx}.h"', ""]
        mark = "#" if flavor in ("make", "script") else "@c"
        return [f"{mark} {path} for QEMU", f"{mark} Copyright (c) {year} {holder}", ""]

    def new_file(self, path: str, nlines: int, year: int, holder: str) -> Lines:
        """Return the contents of a new text file of about *nlines* lines."""
        flavor, pfx = self.kind(path)
        out = self.header_lines(path, flavor, pfx, year, holder)
        while len(out) < nlines:
            if flavor == "c":
                out.extend(self.function(pfx))
            else:
                out.append(self.line(flavor, pfx))
        out.append(f"/* end of {pfx} */" if flavor == "c" else self.line(flavor, pfx))
        return tuple(out)

    def _change(self, flavor: str, pfx: str, n: int) -> tuple[int, list[str]]:
        """Pick a change: number of removed lines and the added lines."""
        r = self.rng
        if n > MAX_LINES and r.random() < 0.35:
            return r.randint(3, 10), []
        x = r.random()
        if x < 0.45:
            k = r.randint(1, 2)
            return k, [self.line(flavor, pfx) for _ in range(k)]
        if x < 0.70:
            return 0, [self.line(flavor, pfx) for _ in range(r.randint(1, 3))]
        if x < 0.85 and n > 40:
            return r.randint(1, 3), []
        if x < 0.90 and flavor == "c":
            return 0, self.function(pfx)
        return 1, [self.line(flavor, pfx) for _ in range(r.randint(2, 3))]

    def edit(self, path: str, lines: Lines, stable_only: bool) -> tuple[Lines, Hunk, bool]:
        """Make one small change to a text file; return new lines, the hunk, stability."""
        flavor, pfx = self.kind(path)
        n, lo = len(lines), HEADER_LEN[flavor]
        for _ in range(10):
            r, new = self._change(flavor, pfx, n)
            hi = n - r - CONTEXT
            if hi < lo:
                continue
            p = self.rng.randint(lo, hi)
            stable = is_stable(lines, p, r, new)
            if stable or not stable_only:
                return self._apply(path, lines, p, r, new, stable)
        new = [f"    /* {pfx}: {self.rng.choice(NOUNS)} note {self.num()}{self.num()} */"]
        p = n - CONTEXT
        return self._apply(path, lines, p, 0, new, is_stable(lines, p, 0, new))

    def _apply(self, path: str, lines: Lines, p: int, r: int, new: list[str],
               stable: bool) -> tuple[Lines, Hunk, bool]:
        """Apply a change at line *p* and describe it as a hunk."""
        added = tuple(new)
        before = lines[p - CONTEXT:p + r + CONTEXT]
        after = lines[p - CONTEXT:p] + added + lines[p + r:p + r + CONTEXT]
        return lines[:p] + added + lines[p + r:], Hunk(path, before, after), stable

    def tweak(self, line: str) -> str:
        """Return a slightly different version of a line."""
        m = HEX_RE.search(line)
        if m:
            value = (int(m.group(1), 16) + self.rng.randint(1, 255)) & 0xFFFF
            out = f"{line[:m.start()]}0x{value:x}{line[m.end():]}"
            if out != line:
                return out
        return f"{line} /* {self.rng.choice(ADJECTIVES)} {self.num()} */"

    def morph(self, hunks: list[Hunk]) -> list[Hunk]:
        """Return hunks whose first one differs by one added line."""
        h = hunks[0]
        added = h.after[CONTEXT:len(h.after) - CONTEXT]
        if added:
            i = self.rng.randrange(len(added))
            added = added[:i] + (self.tweak(added[i]),) + added[i + 1:]
        else:
            added = (self.line(*self.kind(h.path)),)
        after = h.after[:CONTEXT] + added + h.after[len(h.after) - CONTEXT:]
        return [Hunk(h.path, h.before, after), *hunks[1:]]

    def binary(self, size: int) -> bytes:
        """Return random binary content."""
        return self.rng.randbytes(size)

    def binary_update(self, old: bytes) -> bytes:
        """Return a binary blob with a random region rewritten."""
        n = len(old)
        start = self.rng.randrange(n // 2)
        length = self.rng.randint(n // 50 + 1, n // 8 + 2)
        return old[:start] + self.rng.randbytes(length) + old[start + length:]


class Words:
    """Deterministic, unique commit subjects and message bodies."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def _fill(self, template: str, area: str) -> str:
        """Fill a template with random words."""
        r = self.rng
        fn = f"{area.replace('-', '_')}_{r.choice(VERBS)}_{r.choice(NOUNS)}"
        if r.random() < 0.5:
            fn += f"_{r.randrange(100)}"
        return template.format(area=area, fn=fn, noun=r.choice(NOUNS), noun2=r.choice(NOUNS),
                               noun3=r.choice(NOUNS), verb=r.choice(VERBS),
                               verb2=r.choice(VERBS), adj=r.choice(ADJECTIVES))

    def subject(self, area: str, templates: Sequence[str] = SUBJECT_TEMPLATES) -> str:
        """Return a subject line never returned before."""
        for _ in range(30):
            s = self._fill(self.rng.choice(templates), area)
            if s not in self.seen:
                self.seen.add(s)
                return s
        s = f"{area}: miscellaneous fixes, part {len(self.seen)}"
        self.seen.add(s)
        return s

    def body(self, area: str) -> str:
        """Return a one-paragraph explanation."""
        n = self.rng.choice((1, 1, 2, 3))
        return " ".join(self._fill(self.rng.choice(BODY_TEMPLATES), area) for _ in range(n))


def wrap(text: str, width: int = 72) -> str:
    """Wrap a paragraph at *width* columns."""
    lines: list[str] = []
    cur = ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    if cur:
        lines.append(cur)
    return "\n".join(lines)


# --------------------------------------------------------------------------
# git fast-import driver
# --------------------------------------------------------------------------

class FastImport:
    """Feeds a `git fast-import` process and hands out commit marks.

    zlib level 1 makes fast-import (the bottleneck) much faster for a ~7% larger pack.
    """

    def __init__(self, git_dir: Path, marks_path: Path) -> None:
        cmd = ["git", f"--git-dir={git_dir}", "-c", "pack.compression=1", "fast-import",
               "--quiet", "--done", f"--export-marks={marks_path}"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     bufsize=1 << 20)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self.marks_path = marks_path
        self.last_mark = 0
        self.bytes_sent = 0
        self._write(b"feature done\nfeature get-mark\n")

    def _write(self, data: bytes) -> None:
        """Send raw stream data."""
        self.bytes_sent += len(data)
        self.stdin.write(data)

    def commit(self, ref: str, parents: Sequence[int], author: str, committer: str,
               message: str, ops: Iterable[Op]) -> int:
        """Stream one commit and return its mark."""
        self.last_mark += 1
        msg = message.encode()
        parts = [f"commit {ref}\nmark :{self.last_mark}\nauthor {author}\n"
                 f"committer {committer}\ndata {len(msg)}\n".encode(), msg, b"\n"]
        if parents:
            parts.append(f"from :{parents[0]}\n".encode())
        parts.extend(f"merge :{p}\n".encode() for p in parents[1:])
        for op in ops:
            if op[0] == "D":
                parts.append(f"D {op[1]}\n".encode())
                continue
            data = encode(op[2])  # type: ignore[misc]
            parts.append(f"M {mode_of(op[1])} inline {op[1]}\ndata {len(data)}\n".encode())
            parts.append(data)
            parts.append(b"\n")
        parts.append(b"\n")
        self._write(b"".join(parts))
        return self.last_mark

    def sha(self, mark: int) -> str:
        """Return the commit id of an already streamed mark."""
        self._write(f"get-mark :{mark}\n".encode())
        self.stdin.flush()
        return self.stdout.readline().decode().strip()

    def close(self) -> dict[int, str]:
        """Finish the stream and return the mark -> commit id table."""
        self._write(b"done\n")
        self.stdin.close()
        if self.proc.wait() != 0:
            raise SystemExit(f"git fast-import failed with status {self.proc.returncode}")
        marks: dict[int, str] = {}
        for line in self.marks_path.read_text().splitlines():
            mark, sha = line.split()
            marks[int(mark[1:])] = sha
        return marks


# --------------------------------------------------------------------------
# The history generator
# --------------------------------------------------------------------------

class Generator:
    """Simulates upstream, downstream and queue histories into one fast-import stream."""

    def __init__(self, fi: FastImport, n_up: int, n_down: int, n_queue: int, seed: int) -> None:
        self.fi = fi
        self.rng = random.Random(seed)
        self.coder = Coder(self.rng)
        self.words = Words(self.rng)
        self.n_up, self.n_down, self.n_queue = n_up, n_down, n_queue
        self.clock = START_TIME
        self.up_count = self.down_count = 0
        self.merges = {"upstream": 0, "downstream": 0}
        self.main = Branch(UPSTREAM_REF, {})
        self.down = Branch(DOWNSTREAM_REF, {})
        self.topic: Topic | None = None
        self.merge_base: State = {}
        self.up_paths: list[str] = []
        self.own_paths: list[str] = []
        self.own_pending = list(DOWNSTREAM_LATER)
        self.new_files = list(NEW_UPSTREAM_FILES)
        self.fork_at = max(20, n_up * 3 // 100)
        self.mass_at = {max(self.fork_at + 1, int(f * n_up)): i
                        for i, f in enumerate(MASS_FRACTIONS)}
        self._make_people()
        self.jobs: list[TwinJob] = []
        self.job_seq = 0
        self.backport_pool: collections.deque[CommitRec] = collections.deque(maxlen=300)
        self.down_recs: list[CommitRec] = []
        self.carry: collections.deque[str] = collections.deque()
        self.final_merge_done = False
        self.truth: dict[str, list[dict[str, object]]] = {
            "landed_exact": [], "landed_morphed": [], "queued": [], "queue_only": []}
        self.failed_twins = 0
        self.focus: tuple[Person, str] | None = None
        self._near_cache: dict[str, list[str]] = {}

    # ---- people and time ------------------------------------------------

    def _make_people(self) -> None:
        """Create the deterministic author and committer pools."""
        seen: set[str] = set()
        people: list[Person] = []
        while len(people) < 460:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            if f"{first} {last}" in seen:
                continue
            seen.add(f"{first} {last}")
            email = f"{first}.{last}@{self.rng.choice(DOMAINS)}".lower()
            people.append(Person(f"{first} {last}", email, self.rng.choice(TIMEZONES)))
        self.maintainers = people[:6]
        self.down_maintainers = people[6:8]
        self.queue_maintainer = people[8]
        self.up_authors = people[9:409]
        self.down_authors = people[409:] + people[9:30]
        self.up_cum = list(_cumulative([1 / (i + 1) ** 1.1 for i in range(len(self.up_authors))]))
        self.down_cum = list(_cumulative([1 / (i + 1) for i in range(len(self.down_authors))]))

    def _tick(self, lo: int = 60, hi: int = 7200) -> int:
        """Advance the global clock and return it."""
        self.clock += self.rng.randint(lo, hi)
        return self.clock

    def _author_time(self) -> int:
        """Return an author date shortly before the current clock."""
        return self.clock - self.rng.randint(0, 3 * 86400)

    def _up_committer(self) -> Person:
        """Return the upstream maintainer of the current era."""
        eras = len(self.maintainers) - 1
        era = min(eras - 1, self.up_count * eras // self.n_up)
        return self.maintainers[era + self.rng.randrange(2)]

    def _up_author(self) -> Person:
        """Return an upstream author, sticky for short series."""
        return self.rng.choices(self.up_authors, cum_weights=self.up_cum)[0]

    def _down_author(self) -> Person:
        """Return a downstream author."""
        return self.rng.choices(self.down_authors, cum_weights=self.down_cum)[0]

    # ---- emission ------------------------------------------------------

    def _emit(self, branch: Branch, author: Person, author_time: int, committer: Person,
              message: str, ops: Iterable[Op], merge: int | None = None) -> int:
        """Stream a commit on *branch* at the current clock and move its tip."""
        parents = [p for p in (branch.tip, merge) if p is not None]
        mark = self.fi.commit(branch.ref, parents, author.ident(author_time),
                              committer.ident(self.clock), message, ops)
        branch.tip = mark
        return mark

    @staticmethod
    def _message(subject: str, body: str, trailers: Sequence[str]) -> str:
        """Assemble a commit message."""
        return f"{subject}\n\n{wrap(body)}\n\n" + "\n".join(trailers) + "\n"

    def _set_files(self, branch: Branch, changes: Iterable[tuple[str, Content]]) -> list[Op]:
        """Store new file contents in a branch and return the matching ops."""
        ops: list[Op] = []
        for path, content in changes:
            branch.state[path] = content
            ops.append(("M", path, content))
        return ops

    def _edit(self, state: State, paths: Sequence[str],
              stable_only: bool) -> tuple[list[tuple[str, Lines]], list[Hunk], bool]:
        """Compute one small edit per path; return contents, hunks, stability."""
        changes, hunks, stable = [], [], True
        for path in sorted(set(paths)):
            lines = state[path]
            assert isinstance(lines, tuple)
            new, hunk, ok = self.coder.edit(path, lines, stable_only)
            changes.append((path, new))
            hunks.append(hunk)
            stable = stable and ok
        return changes, hunks, stable

    # ---- upstream ------------------------------------------------------

    def _initial_import(self) -> None:
        """Create the first upstream commit with the whole initial tree."""
        holder = self.maintainers[0].name
        for d, names in UPSTREAM_TREE.items():
            for name in names.split():
                path = f"{d}/{name}" if d else name
                size = int(min(600, max(24, self.rng.lognormvariate(4.4, 0.7))))
                self.main.state[path] = self.coder.new_file(path, size, 2003, holder)
                self.up_paths.append(path)
        for path in UPSTREAM_BINARIES:
            self.main.state[path] = self.coder.binary(self.rng.randint(8, 48) * 1024)
        author = self.maintainers[0]
        msg = self._message("Initial import", "Import the QEMU source tree.", [author.sob()])
        ops = [("M", p, c) for p, c in self.main.state.items()]
        self._emit(self.main, author, self.clock, author, msg, ops)
        self.up_count = 1

    def _near(self, path: str) -> list[str]:
        """Return the upstream text files in the directory of *path* (cached)."""
        d = path.rsplit("/", 1)[0] if "/" in path else ""
        near = self._near_cache.get(d)
        if near is None:
            near = self._near_cache[d] = [
                p for p in self.up_paths if (p.rsplit("/", 1)[0] if "/" in p else "") == d]
        return near

    def _paths_changed(self) -> None:
        """Forget cached path groupings after files were added, moved or removed."""
        self._near_cache.clear()

    def _pick_paths(self, first: str, state: State, n: int) -> list[str]:
        """Pick up to *n* distinct text paths existing in *state*, clustered by directory."""
        picked = [first]
        near = self._near(first)
        for _ in range(n - 1):
            cand = self.rng.choice(near if self.rng.random() < 0.6 else self.up_paths)
            if cand not in picked:
                picked.append(cand)
        return [p for p in picked if isinstance(state.get(p), tuple)]

    def _nfiles(self) -> int:
        """Return how many files a normal commit touches."""
        return self.rng.choices(FILES_PER_COMMIT, weights=FILES_WEIGHTS)[0]

    def _upstream_step(self, ev: int) -> None:
        """Produce the upstream commit of one upstream slot."""
        self._tick()
        self.up_count += 1
        if self.up_count in self.mass_at:
            return self._mass_commit(MASS_CHANGES[self.mass_at[self.up_count]])
        if self.jobs and self.jobs[0].due <= ev and self._run_job(heapq.heappop(self.jobs)):
            return None
        x = self.rng.random()
        if x < 0.0012 and self._binary_commit():
            return None
        if 0.0012 <= x < 0.0027 and self._rename_commit():
            return None
        if 0.0027 <= x < 0.0047 and self._add_file_commit():
            return None
        if self.topic is not None and x < 0.4:
            return self._topic_commit()
        if self.topic is None and x > 1 - 1 / 1200 and self.up_count > self.fork_at:
            self._start_topic()
        self._normal_upstream(self.main, pool_for_backport=True)
        return None

    def _normal_upstream(self, branch: Branch, pool_for_backport: bool) -> CommitRec:
        """Stream a normal small upstream commit on *branch*."""
        if self.focus is None or self.rng.random() < 0.35:
            self.focus = (self._up_author(), self.rng.choice(self.up_paths))
        author, hint = self.focus
        first = hint if self.rng.random() < 0.5 else self.rng.choice(self.up_paths)
        paths = self._pick_paths(first, branch.state, self._nfiles())
        if not paths:
            paths = [p for p in self.up_paths if isinstance(branch.state.get(p), tuple)][:1]
        changes, hunks, stable = self._edit(branch.state, paths, stable_only=False)
        area = area_of(paths[0])
        subject, body, when = self.words.subject(area), self.words.body(area), self._author_time()
        committer = self._up_committer()
        trailers = [author.sob()] + ([committer.sob()] if committer != author else [])
        mark = self._emit(branch, author, when, committer,
                          self._message(subject, body, trailers), self._set_files(branch, changes))
        rec = CommitRec(mark, subject, body, author, when, hunks)
        if pool_for_backport and stable:
            self.backport_pool.append(rec)
        return rec

    def _mass_commit(self, change: tuple[str, str, str, str]) -> None:
        """Stream a tree-wide commit replacing one boilerplate line everywhere."""
        key, old, new, subject = change
        changes = []
        for path in self.up_paths:
            lines = self.main.state.get(path)
            if isinstance(lines, tuple) and old in lines[:HEADER_LEN["c"]]:
                k = lines.index(old)
                changes.append((path, lines[:k] + (new,) + lines[k + 1:]))
        self.coder.header[key] = new
        author = self.maintainers[self.rng.randrange(len(self.maintainers))]
        body = f"Mechanical change done with a script over {len(changes)} files."
        msg = self._message(subject, body, [author.sob()])
        self._emit(self.main, author, self._author_time(), self._up_committer(), msg,
                   self._set_files(self.main, changes))

    def _binary_commit(self) -> bool:
        """Stream an update of one firmware image."""
        path = self.rng.choice(UPSTREAM_BINARIES)
        old = self.main.state[path]
        assert isinstance(old, bytes)
        new = self.coder.binary_update(old) if self.rng.random() < 0.7 else \
            self.coder.binary(self.rng.randint(8, 48) * 1024)
        author = self._up_author()
        subject = self.words.subject("pc-bios", (f"Update {path.split('/')[-1]} to {{fn}}",))
        msg = self._message(subject, f"Rebuilt {path} from the latest sources.", [author.sob()])
        self._emit(self.main, author, self._author_time(), self._up_committer(), msg,
                   self._set_files(self.main, [(path, new)]))
        return True

    def _rename_commit(self) -> bool:
        """Stream a rename (with a small edit) of a file downstream never touches."""
        protected = set(SHARED_FILES)
        cands = [p for p in self.up_paths if p not in protected and "/" in p
                 and flavor_of(p) == "c" and p.count("/") < 2]
        if not cands:
            return False
        old = self.rng.choice(cands)
        d, base = old.rsplit("/", 1)
        new = f"{d}/{self.rng.choice(RENAME_SUBDIRS)}/{base}"
        if new in self.main.state:
            return False
        lines = self.main.state.pop(old)
        assert isinstance(lines, tuple)
        edited, _, _ = self.coder.edit(new, lines, stable_only=False)
        self.up_paths[self.up_paths.index(old)] = new
        self._paths_changed()
        author = self._up_author()
        msg = self._message(f"{area_of(old)}: move {old} to {new}",
                            "Group related device models in a subdirectory.", [author.sob()])
        ops: list[Op] = [("D", old), *self._set_files(self.main, [(new, edited)])]
        self._emit(self.main, author, self._author_time(), self._up_committer(), msg, ops)
        return True

    def _add_file_commit(self) -> bool:
        """Stream a commit adding a new source file and hooking it into the build."""
        if self.new_files:
            path = self.new_files.pop(0)
        else:
            chip = f"{self.rng.choice(CHIP_PREFIXES)}{self.rng.randrange(10, 9999)}"
            if self.rng.random() < 0.3:
                chip += f"_{self.rng.choice(NOUNS)}"
            path = f"hw/{chip}.c"
        if path in self.main.state:
            return False
        author = self._up_author()
        year = time.gmtime(self.clock).tm_year
        content = self.coder.new_file(path, self.rng.randint(40, 260), year, author.name)
        changes: list[tuple[str, Content]] = [(path, content)]
        if "Makefile.target" in self.main.state and flavor_of(path) == "c":
            make, _, _ = self._edit(self.main.state, ["Makefile.target"], stable_only=False)
            changes.extend(make)
        self.up_paths.append(path)
        self._paths_changed()
        subject = f"{area_of(path)}: add new {prefix_of(path).replace('_', ' ')} model"
        msg = self._message(self.words.subject(area_of(path), (subject + " ({fn})",)),
                            self.words.body(area_of(path)), [author.sob()])
        self._emit(self.main, author, self._author_time(), self._up_committer(), msg,
                   self._set_files(self.main, changes))
        return True

    # ---- upstream topic branches ---------------------------------------

    def _start_topic(self) -> None:
        """Fork a topic branch off mainline (merged back later)."""
        name = self.rng.choice(("block", "net", "tcg", "usb", "pci", "migration", "trivial"))
        branch = Branch(TOPIC_REF, dict(self.main.state), self.main.tip)
        self.topic = Topic(f"{name}-{self.up_count}", branch, dict(self.main.state),
                           self.rng.randint(4, 25))

    def _topic_commit(self) -> None:
        """Stream one topic commit; merge the topic when it is complete."""
        topic = self.topic
        assert topic is not None
        self._normal_upstream(topic.branch, pool_for_backport=False)
        topic.remaining -= 1
        if topic.remaining <= 0:
            self._merge_topic(topic)

    def _merge_topic(self, topic: Topic) -> None:
        """Merge a finished topic branch into mainline."""
        merged, conflicts = merge_states(topic.base, self.main.state, topic.branch.state)
        ops = tree_delta(self.main.state, merged)
        self.main.state = merged
        self.up_paths = [p for p in self.up_paths if p in merged]
        self._paths_changed()
        committer = self._up_committer()
        self._tick(30, 600)
        msg = (f"Merge branch '{topic.name}' of git://git.example.org/qemu/{topic.name}\n\n"
               f"* {topic.name}: topic branch merge\n")
        if conflicts:
            msg += "\nConflicts:\n" + "".join(f"\t{p}\n" for p in conflicts)
        self._emit(self.main, committer, self.clock, committer, msg, ops, merge=topic.branch.tip)
        self.merges["upstream"] += 1
        self.topic = None

    # ---- upstream twins of downstream commits ---------------------------

    def _run_job(self, job: TwinJob) -> bool:
        """Create (one step of) the upstream twin of a downstream commit."""
        rec = job.rec
        hunks = job.hunks or rec.hunks
        if job.kind in ("same-subject-line", "author-date") and job.hunks is None:
            hunks = self.coder.morph(hunks)
        if job.kind == "same-subject-context" and job.hunks is None:
            return self._context_tweak(job)
        changes = apply_hunks(self.main.state, hunks)
        if changes is None:
            self._twin_failed(job.kind)
            return False
        committer = self._up_committer()
        if job.kind == "exact":
            subject, when = rec.subject, rec.author_time
        elif job.kind == "author-date":
            subject, when = self.words.subject(area_of(hunks[0].path)), rec.author_time
        else:
            subject, when = rec.subject, self._author_time()
        msg = self._message(subject, rec.body, [rec.author.sob(), committer.sob()])
        mark = self._emit(self.main, rec.author, when, committer, msg,
                          self._set_files(self.main, changes))
        key = "landed_exact" if job.kind == "exact" else "landed_morphed"
        self.truth[key].append({"downstream": rec.mark, "upstream": mark, "kind": job.kind})
        rec.used = True
        return True

    def _context_tweak(self, job: TwinJob) -> bool:
        """Change the context line just above a twin's hunk, then queue the twin."""
        h = job.rec.hunks[0]
        lines = self.main.state.get(h.path)
        k = find_block(lines, h.before) if isinstance(lines, tuple) else -1
        if k < 0 or not isinstance(lines, tuple):
            self._twin_failed(job.kind)
            return False
        at = k + CONTEXT - 1
        new_line = self.coder.tweak(lines[at])
        lines2 = lines[:at] + (new_line,) + lines[at + 1:]
        author = self._up_author()
        area = area_of(h.path)
        msg = self._message(self.words.subject(area), self.words.body(area), [author.sob()])
        self._emit(self.main, author, self._author_time(), self._up_committer(), msg,
                   self._set_files(self.main, [(h.path, lines2)]))
        fix = CONTEXT - 1
        before = h.before[:fix] + (new_line,) + h.before[fix + 1:]
        after = h.after[:fix] + (new_line,) + h.after[fix + 1:]
        hunks = [Hunk(h.path, before, after), *job.rec.hunks[1:]]
        self._push_job(job.due, job.kind, job.rec, hunks)
        return True

    def _push_job(self, due: int, kind: str, rec: CommitRec, hunks: list[Hunk] | None) -> None:
        """Schedule an upstream twin job."""
        self.job_seq += 1
        heapq.heappush(self.jobs, TwinJob(due, self.job_seq, kind, rec, hunks))

    # ---- downstream ----------------------------------------------------

    def _fork(self) -> None:
        """Start downstream from the current upstream tip."""
        self.down.state = dict(self.main.state)
        self.down.tip = self.main.tip
        self.merge_base = dict(self.main.state)

    def _downstream_step(self, ev: int, kind: str | None) -> None:
        """Produce the downstream commit of one downstream slot."""
        self._tick()
        if self.down_count < len(DOWNSTREAM_BOOTSTRAP):
            self._add_own_file(DOWNSTREAM_BOOTSTRAP[self.down_count])
            self.down_count += 1
            return
        if kind is None and self.carry:
            kind = self.carry.popleft()
        ok = False
        if kind in TWIN_KINDS:
            ok = self._downstream_twinned(ev, kind)
        elif kind in BACKPORT_KINDS:
            ok = self._downstream_backport(kind)
        if kind is not None and not ok:
            self.carry.append(kind)
        if not ok:
            self._downstream_normal()
        self.down_count += 1

    def _add_own_file(self, path: str) -> None:
        """Stream a downstream commit adding one of its own files."""
        author = self._down_author()
        year = time.gmtime(self.clock).tm_year
        content = self.coder.new_file(path, self.rng.randint(60, 300), year, author.name)
        self.own_paths.append(path)
        area = area_of(path)
        subject = self.words.subject(area, (f"{area}: add {path.rsplit('/', 1)[-1]} ({{fn}})",))
        msg = self._message(subject, self.words.body(area), [author.sob()])
        self._emit(self.down, author, self._author_time(), self.down_maintainers[0], msg,
                   self._set_files(self.down, [(path, content)]))

    def _shared_paths(self, n: int) -> list[str]:
        """Pick up to *n* shared files present on both sides."""
        pool = [p for p in SHARED_FILES if p in self.down.state and p in self.main.state]
        return self.rng.sample(pool, min(n, len(pool)))

    def _downstream_normal(self) -> None:
        """Stream an ordinary downstream commit."""
        r = self.rng
        x = r.random()
        if x < 0.006 and self.own_pending:
            return self._add_own_file(self.own_pending.pop(0))
        if x < 0.009:
            return self._downstream_binary()
        n = self._nfiles()
        if x < 0.55:
            paths = r.sample(self.own_paths, min(n, len(self.own_paths)))
        elif x < 0.85:
            paths = self._shared_paths(n)
        else:
            paths = self._shared_paths(1) + r.sample(self.own_paths, min(n, len(self.own_paths)))
        changes, hunks, stable = self._edit(self.down.state, paths, stable_only=False)
        shared_only = all(p in SHARED_FILES for p in paths)
        self._downstream_commit(changes, hunks, record=stable and shared_only)

    def _downstream_commit(self, changes: list[tuple[str, Lines]], hunks: list[Hunk],
                           record: bool, subject: str | None = None,
                           trailers: Sequence[str] = ()) -> CommitRec:
        """Stream a downstream commit with the given changes."""
        author = self._down_author()
        area = area_of(hunks[0].path)
        subject = subject or self.words.subject(area)
        body, when = self.words.body(area), self._author_time()
        committer = self.down_maintainers[self.rng.randrange(2)]
        msg = self._message(subject, body, [author.sob(), *trailers, committer.sob()])
        mark = self._emit(self.down, author, when, committer, msg,
                          self._set_files(self.down, changes))
        rec = CommitRec(mark, subject, body, author, when, hunks, self.final_merge_done)
        if record:
            self.down_recs.append(rec)
        return rec

    def _downstream_binary(self) -> None:
        """Stream an add or update of the downstream option ROM."""
        old = self.down.state.get(DOWNSTREAM_BINARY)
        new = self.coder.binary_update(old) if isinstance(old, bytes) else self.coder.binary(1536)
        author = self._down_author()
        subject = self.words.subject("extboot", ("extboot: rebuild option rom ({fn})",))
        msg = self._message(subject, "Regenerate the binary.", [author.sob()])
        self._emit(self.down, author, self._author_time(), self.down_maintainers[0], msg,
                   self._set_files(self.down, [(DOWNSTREAM_BINARY, new)]))

    def _landable_edit(self) -> tuple[list[tuple[str, Lines]], list[Hunk]] | None:
        """Compute a stable shared-file edit whose hunks also apply upstream now."""
        changes, hunks = [], []
        for path in self._shared_paths(self.rng.choice((1, 1, 1, 2, 2, 3))):
            for _ in range(6):
                (new, ), (hunk, ), ok = self._edit(self.down.state, [path], stable_only=True)
                up = self.main.state[path]
                if ok and isinstance(up, tuple) and find_block(up, hunk.before) >= 0:
                    changes.append(new)
                    hunks.append(hunk)
                    break
        return (changes, hunks) if hunks else None

    def _twin_due(self, ev: int, need: int) -> int | None:
        """Pick the upstream slot of a twin: soon, before the next (or next but one) merge."""
        nxt = bisect.bisect_right(self.merge_events, ev)
        limit = len(self.events)
        if nxt < len(self.merge_events):
            j = nxt + (1 if self.rng.random() < 0.3 and nxt + 1 < len(self.merge_events) else 0)
            limit = self.merge_events[j]
        lo = bisect.bisect_right(self.up_events, ev)
        window = self.rng.randint(10, max(20, self.n_up // 40))
        hi = min(bisect.bisect_left(self.up_events, limit), lo + window) - (need - 1)
        return self.up_events[self.rng.randrange(lo, hi)] if lo < hi else None

    def _twin_failed(self, kind: str) -> None:
        """Count a twin that no longer applies and give its kind to a later commit."""
        self.failed_twins += 1
        self.carry.append(kind)

    def _downstream_twinned(self, ev: int, kind: str) -> bool:
        """Stream a downstream commit that will get an upstream twin later."""
        due = self._twin_due(ev, 2 if kind == "same-subject-context" else 1)
        edit = self._landable_edit() if due is not None else None
        if edit is None or due is None:
            return False
        rec = self._downstream_commit(*edit, record=False)
        self._push_job(due, kind, rec, None)
        return True

    def _downstream_backport(self, kind: str) -> bool:
        """Stream a downstream backport of a not yet merged upstream commit."""
        cands = [r for r in self.backport_pool if not r.used]
        for _ in range(12 if cands else 0):
            up = self.rng.choice(cands)
            hunks = self.coder.morph(up.hunks)
            changes = apply_hunks(self.down.state, hunks)
            if changes is not None:
                break
        else:
            return False
        up.used = True
        sha = self.fi.sha(up.mark)
        area = area_of(hunks[0].path)
        subject = self.words.subject(area, BACKPORT_TEMPLATES)
        if kind == "cherry-picked-from":
            trailers = [up.author.sob(), f"(cherry picked from commit {sha})"]
        else:
            trailers = [f"Upstream-commit: {sha}"]
        rec = self._downstream_commit(changes, hunks, record=False, subject=subject,
                                      trailers=trailers)
        rec.used = True
        self.truth["landed_morphed"].append({"downstream": rec.mark, "upstream": up.mark,
                                             "kind": kind})
        return True

    def _downstream_merge(self, final: bool) -> None:
        """Merge the upstream mainline tip into downstream."""
        merged, conflicts = merge_states(self.merge_base, self.down.state, self.main.state)
        ops = tree_delta(self.down.state, merged)
        self.down.state = merged
        self.merge_base = dict(self.main.state)
        self.backport_pool.clear()
        self._tick(60, 1800)
        msg = "Merge branch 'upstream-merge'\n\n* upstream-merge:\n  Merge upstream qemu\n"
        if conflicts:
            msg += "\nConflicts:\n" + "".join(f"\t{p}\n" for p in conflicts)
        committer = self.down_maintainers[0]
        self._emit(self.down, committer, self.clock, committer, msg, ops, merge=self.main.tip)
        self.merges["downstream"] += 1
        self.final_merge_done = final

    # ---- queue ---------------------------------------------------------

    def _queue(self) -> None:
        """Build the queue branch: copies of downstream commits plus new ones."""
        queue = Branch(QUEUE_REF, dict(self.main.state), self.main.tip)
        recent = [r for r in reversed(self.down_recs) if r.after_final_merge and not r.used]
        older = [r for r in self.down_recs if not r.after_final_merge and not r.used]
        self.rng.shuffle(older)
        cands = recent + older
        n_copies = self.n_queue * 3 // 5
        plan = ["copy"] * n_copies + ["new"] * (self.n_queue - n_copies)
        self.rng.shuffle(plan)
        for step in plan:
            self._tick()
            if step == "copy" and self._queue_copy(queue, cands):
                continue
            self._queue_new(queue)

    def _queue_copy(self, queue: Branch, cands: list[CommitRec]) -> bool:
        """Stream a verbatim copy of the first applicable downstream commit."""
        while cands:
            rec = cands.pop(0)
            changes = apply_hunks(queue.state, rec.hunks)
            if changes is None:
                continue
            rec.used = True
            q = self.queue_maintainer
            msg = self._message(rec.subject, rec.body, [rec.author.sob(), q.sob()])
            mark = self._emit(queue, rec.author, rec.author_time, q, msg,
                              self._set_files(queue, changes))
            self.truth["queued"].append({"downstream": rec.mark, "queue": mark})
            return True
        return False

    def _queue_new(self, queue: Branch) -> None:
        """Stream a queue-only commit touching shared files."""
        paths = self.rng.sample([p for p in SHARED_FILES if p in queue.state], self._nfiles())
        changes, _, _ = self._edit(queue.state, paths, stable_only=False)
        author, q = self._down_author(), self.queue_maintainer
        area = area_of(paths[0])
        msg = self._message(self.words.subject(area), self.words.body(area),
                            [author.sob(), q.sob()])
        mark = self._emit(queue, author, self._author_time(), q, msg,
                          self._set_files(queue, changes))
        self.truth["queue_only"].append({"queue": mark})

    # ---- driver --------------------------------------------------------

    def _plan(self) -> None:
        """Lay out the post-fork timeline of upstream, downstream and merge events."""
        slots = ["u"] * (self.n_up - self.fork_at) + ["d"] * self.n_down
        self.rng.shuffle(slots)
        lo, hi = max(10, self.n_down // 25), max(20, self.n_down // 10)
        tail = max(5, self.n_down // 25)
        boundaries: set[int] = set()
        k = self.rng.randint(lo, hi)
        while k <= self.n_down - tail:
            boundaries.add(k)
            k += self.rng.randint(lo, hi)
        self.events: list[str] = []
        seen_d = 0
        for s in slots:
            self.events.append(s)
            if s == "d":
                seen_d += 1
                if seen_d in boundaries:
                    self.events.append("m")
        self.up_events = [i for i, e in enumerate(self.events) if e == "u"]
        self.merge_events = [i for i, e in enumerate(self.events) if e == "m"]
        first = len(DOWNSTREAM_BOOTSTRAP)
        n_exact = round(self.n_down * EXACT_RATE)
        n_morph = round(self.n_down * MORPH_RATE)
        kinds = ["exact"] * n_exact + [MORPH_KINDS[i % len(MORPH_KINDS)] for i in range(n_morph)]
        chosen = self.rng.sample(range(first, self.n_down), min(len(kinds), self.n_down - first))
        order = self.rng.sample(kinds, len(chosen))
        self.designations = dict(zip(sorted(chosen), order, strict=True))

    def run(self) -> None:
        """Generate the whole history."""
        self._initial_import()
        while self.up_count < self.fork_at:
            self._upstream_step(-1)
        self._fork()
        self._plan()
        last_merge = self.merge_events[-1] if self.merge_events else -1
        for ev, kind in enumerate(self.events):
            if kind == "u":
                self._upstream_step(ev)
            elif kind == "d":
                self._downstream_step(ev, self.designations.get(self.down_count))
            else:
                self._downstream_merge(final=ev == last_merge)
        if self.topic is not None:
            self._merge_topic(self.topic)
        self.failed_twins += len(self.jobs)
        self._queue()


def _cumulative(weights: Iterable[float]) -> Iterable[float]:
    """Yield running sums of weights."""
    total = 0.0
    for w in weights:
        total += w
        yield total


# --------------------------------------------------------------------------
# Checks, truth file and command line
# --------------------------------------------------------------------------

def git(git_dir: Path, *args: str, data: bytes | None = None) -> str:
    """Run a git command in the generated repository and return its stdout."""
    res = subprocess.run(["git", f"--git-dir={git_dir}", *args], input=data,
                         capture_output=True, check=True)
    return res.stdout.decode()


def patch_ids(git_dir: Path, shas: Sequence[str]) -> dict[str, str]:
    """Return commit id -> stable patch-id for the given non-merge commits."""
    diffs = subprocess.run(["git", f"--git-dir={git_dir}", "diff-tree", "--stdin", "-p"],
                           input="\n".join(shas).encode() + b"\n", capture_output=True,
                           check=True).stdout
    out = subprocess.run(["git", f"--git-dir={git_dir}", "patch-id", "--stable"], input=diffs,
                         capture_output=True, check=True).stdout.decode()
    return {commit: pid for pid, commit in (line.split() for line in out.splitlines())}


def show_patch_id(git_dir: Path, sha: str) -> str:
    """Return `git show SHA | git patch-id --stable` for one commit."""
    show = subprocess.run(["git", f"--git-dir={git_dir}", "show", sha], capture_output=True,
                          check=True).stdout
    return git(git_dir, "patch-id", "--stable", data=show).split()[0]


def resolve_truth(gen: Generator, marks: dict[int, str]) -> dict[str, list[dict[str, object]]]:
    """Replace marks by commit ids in the generator's truth records."""
    out: dict[str, list[dict[str, object]]] = {}
    for key, items in gen.truth.items():
        out[key] = [{k: (marks[v] if isinstance(v, int) else v) for k, v in item.items()}
                    for item in items]
    return out


def verify(git_dir: Path, truth: dict[str, list[dict[str, object]]]) -> dict[str, object]:
    """Check the repository against the truth; return measured counts."""
    counts: dict[str, object] = {
        "upstream_non_merge": int(git(git_dir, "rev-list", "--count", "--no-merges", UPSTREAM_REF)),
        "upstream_merges": int(git(git_dir, "rev-list", "--count", "--merges", UPSTREAM_REF)),
        "downstream_only_non_merge": int(git(git_dir, "rev-list", "--count", "--no-merges",
                                             DOWNSTREAM_REF, "^" + UPSTREAM_REF)),
        "downstream_merges": int(git(git_dir, "rev-list", "--count", "--merges", DOWNSTREAM_REF,
                                     "^" + UPSTREAM_REF)),
        "upstream_not_in_downstream": int(git(git_dir, "rev-list", "--count", "--no-merges",
                                              UPSTREAM_REF, "^" + DOWNSTREAM_REF)),
        "queue": int(git(git_dir, "rev-list", "--count", QUEUE_REF, "^" + UPSTREAM_REF)),
    }
    in_down = set(git(git_dir, "rev-list", DOWNSTREAM_REF).split())
    landed = truth["landed_exact"] + truth["landed_morphed"]
    pairs = [(e["downstream"], e["upstream"]) for e in landed]
    pairs += [(e["downstream"], e["queue"]) for e in truth["queued"]]
    pids = patch_ids(git_dir, sorted({str(s) for pair in pairs for s in pair}))
    problems = []
    for key in ("landed_exact", "landed_morphed"):
        for e in truth[key]:
            e["upstream_in_downstream_history"] = e["upstream"] in in_down
            same = pids[str(e["downstream"])] == pids[str(e["upstream"])]
            if same != (key == "landed_exact"):
                problems.append(f"{key} {e['downstream']} {e['upstream']}: patch-id same={same}")
    for e in truth["queued"]:
        if pids[str(e["downstream"])] != pids[str(e["queue"])]:
            problems.append(f"queued {e['downstream']} {e['queue']}: patch-id differs")
    for e in truth["landed_exact"][:3]:
        down, up = str(e["downstream"]), str(e["upstream"])
        if show_patch_id(git_dir, down) != show_patch_id(git_dir, up):
            problems.append(f"git show | patch-id differs for {e['downstream']}")
    if problems:
        raise SystemExit("verification failed:\n  " + "\n  ".join(problems))
    return counts


def finish_repo(git_dir: Path) -> None:
    """Drop scratch refs, point HEAD at the queue and write the uq profile config."""
    if git(git_dir, "for-each-ref", TOPIC_REF).strip():
        git(git_dir, "update-ref", "-d", TOPIC_REF)
    git(git_dir, "symbolic-ref", "HEAD", QUEUE_REF)
    for key, value in (("downstream", DOWNSTREAM_REF), ("upstream", UPSTREAM_REF),
                       ("branch", QUEUE_REF)):
        git(git_dir, "config", f"uq.{PROFILE}.{key}", value)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; --small changes the defaults only."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("outdir", type=Path,
                   help="bare repository to create (must not exist, or be empty)")
    p.add_argument("--upstream", type=int, help="upstream non-merge commits (default 80000)")
    p.add_argument("--downstream", type=int,
                   help="downstream-only non-merge commits (default 4000)")
    p.add_argument("--queue", type=int, default=20, help="queue commits (default 20)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--repack", action="store_true",
                   help="delta-compress the result with `git repack -adf` (about a minute)")
    p.add_argument("--small", action="store_true",
                   help=f"quick preset: --upstream {SMALL_PRESET['upstream']} "
                        f"--downstream {SMALL_PRESET['downstream']}")
    args = p.parse_args(argv)
    preset = SMALL_PRESET if args.small else {"upstream": 80000, "downstream": 4000}
    args.upstream = args.upstream if args.upstream is not None else preset["upstream"]
    args.downstream = args.downstream if args.downstream is not None else preset["downstream"]
    if args.upstream < 200 or args.downstream < 50 or args.queue < 1:
        p.error("need --upstream >= 200, --downstream >= 50 and --queue >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Generate, check and describe the benchmark repository."""
    args = parse_args(argv)
    out: Path = args.outdir
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"error: {out} exists and is not an empty directory; refusing to overwrite it",
              file=sys.stderr)
        return 2
    t0 = time.monotonic()
    subprocess.run(["git", "init", "--quiet", "--bare", str(out)], check=True)
    with tempfile.TemporaryDirectory(prefix="uqgen-") as tmp:
        fi = FastImport(out, Path(tmp) / "marks")
        gen = Generator(fi, args.upstream, args.downstream, args.queue, args.seed)
        gen.run()
        marks = fi.close()
    t_gen = time.monotonic() - t0
    finish_repo(out)
    if args.repack:
        git(out, "repack", "-adfq")
    truth = resolve_truth(gen, marks)
    counts = verify(out, truth)
    t_all = time.monotonic() - t0
    counts.update({
        "landed_exact": len(truth["landed_exact"]),
        "landed_exact_in_downstream_history": sum(
            bool(e["upstream_in_downstream_history"]) for e in truth["landed_exact"]),
        "landed_morphed": len(truth["landed_morphed"]),
        "landed_morphed_by_kind": dict(collections.Counter(
            str(e["kind"]) for e in truth["landed_morphed"])),
        "queued": len(truth["queued"]),
        "queue_only": len(truth["queue_only"]),
        "twins_dropped": gen.failed_twins,
    })
    doc = {
        "version": 1,
        "repository": str(out.resolve()),
        "params": {"upstream": args.upstream, "downstream": args.downstream,
                   "queue": args.queue, "seed": args.seed},
        "profile": PROFILE,
        "refs": {"upstream": UPSTREAM_REF, "downstream": DOWNSTREAM_REF, "queue": QUEUE_REF},
        "counts": counts,
        **truth,
    }
    truth_path = out.parent / (out.name + ".truth.json")
    truth_path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"generated {out} in {t_gen:.1f}s (fast-import stream {fi.bytes_sent / 2**20:.0f} MiB), "
          f"{'repacked and ' if args.repack else ''}verified in {t_all - t_gen:.1f}s")
    for key, value in counts.items():
        print(f"  {key}: {value}")
    print(f"truth: {truth_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
