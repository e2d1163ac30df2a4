"""The identity helpers: subject normalisation, generic subjects, provenance trailers, similarity."""

from __future__ import annotations

from collections import Counter

import pytest

from uqgui.core.identity import (
    author_key,
    changed_lines,
    is_generic_subject,
    multiset_similarity,
    normalize_subject,
    paths_key,
    provenance_ids,
    set_similarity,
    subject_key,
)

FULL = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("kvm: Fix the irqchip reset", "kvm: fix the irqchip reset"),
        ("[PATCH] kvm: Fix the irqchip reset.", "kvm: fix the irqchip reset"),
        ("[PATCH v3 07/12] kvm: Fix the irqchip reset", "kvm: fix the irqchip reset"),
        ("[RFC][PATCH 1/2]   kvm:   Fix  the\tirqchip reset ...", "kvm: fix the irqchip reset"),
        ("  KVM: FIX the irqchip reset  ", "kvm: fix the irqchip reset"),
        ("[uq/master PATCH] kvm: Fix the irqchip reset", "kvm: fix the irqchip reset"),
    ],
)
def test_normalize_subject(subject: str, expected: str) -> None:
    assert normalize_subject(subject) == expected


def test_normalized_versions_of_one_patch_share_a_key() -> None:
    keys = {subject_key(s) for s in ("kvm: Add PIT support", "[PATCH v2 1/3] kvm: add PIT support.",
                                     "[PATCH]  KVM: Add  PIT support")}
    assert keys == {"kvm: add pit support"}


@pytest.mark.parametrize(
    "subject",
    [
        "Update",
        "update",
        "Updates.",
        "Merge branch 'upstream-merge'",
        "Merge remote branch 'qemu-kvm/uq/master'",
        "Merge commit 'v0.12.0' into next",
        "Revert \"Merge branch 'x'\"",
        "Fix",
        "fix build",
        "Fix typo",
        "kvm: fix",
        "hw: cleanup",
        "0.12.0",
        "qemu-kvm 0.12.0-rc1",
        "qemu-kvm-0.12.1",
        "kvm-88",
        "v0.13.0-rc1",
        "Bump version to 0.12.2",
        "Update version for 0.12.3 release",
        "Initial import",
        "",
        "   ",
        "wip",
        "short",  # under 8 characters: too little to identify anything
        "[PATCH] Update",
    ],
)
def test_generic_subjects_have_no_key(subject: str) -> None:
    assert subject_key(subject) is None
    assert is_generic_subject(normalize_subject(subject))


@pytest.mark.parametrize(
    "subject",
    [
        "kvm: Add in-kernel PIT support",
        "Update the vapic option rom to handle SMP guests",
        "Merging of ioapic state on migration",  # starts with "merg", but is not a merge
        "fix build on ia64 with newer kernels",
        "qemu-kvm: Use upstream irqfd",
        "x86: support 64 vcpus",
        "kvm-88 regression: restore the old pit",
    ],
)
def test_specific_subjects_have_a_key(subject: str) -> None:
    assert subject_key(subject) == normalize_subject(subject)


def test_provenance_cherry_picked() -> None:
    message = f"kvm: fix it\n\nBody.\n\nSigned-off-by: A <a@b>\n(cherry picked from commit {FULL})\n"
    assert provenance_ids(message) == [FULL]


def test_provenance_cherry_picked_abbreviated_and_upper_case() -> None:
    message = "x: y\n\n(cherry picked from commit 0123ABCD)\n"
    assert provenance_ids(message) == ["0123abcd"]


def test_provenance_upstream_commit_trailer() -> None:
    message = f"x: y\n\nUpstream-commit: {FULL}\nSigned-off-by: A <a@b>\n"
    assert provenance_ids(message) == [FULL]


def test_provenance_stable_tree_style() -> None:
    message = f"x: y\n\ncommit {FULL} upstream.\n\nThe body.\n"
    assert provenance_ids(message) == [FULL]
    bracketed = f"x: y\n\n[ Upstream commit {FULL[:12]} ]\n"
    assert provenance_ids(bracketed) == [FULL[:12]]


def test_provenance_downstream_commit_trailer_written_by_pick() -> None:
    """`uq pick --provenance trailer` writes `Downstream-commit: X`; it must be read back."""
    message = f"x: y\n\nDownstream-commit: {FULL}\nSigned-off-by: Queue Maintainer <m@example.org>\n"
    assert provenance_ids(message) == [FULL]


def test_provenance_several_ids_deduplicated_in_order() -> None:
    other = "fedcba9876543210fedcba9876543210fedcba98"
    message = (f"x: y\n\n(cherry picked from commit {FULL})\n(cherry picked from commit {other})\n"
               f"Upstream-commit: {FULL}\n")
    assert provenance_ids(message) == [FULL, other]


@pytest.mark.parametrize(
    "message",
    [
        "x: y\n\nThis fixes commit 0123456789abcdef, which broke ia64.\n",  # prose, not a trailer
        "x: y\n\n(cherry picked from commit 012345)\n",  # too short to be an id
        f"x: y\n\ncommit {FULL[:12]} upstream.\n",  # stable style needs the full id
        "x: y\n\nUpstream-commit: not-a-hash\n",
        "",
    ],
)
def test_provenance_rejects_non_trailers(message: str) -> None:
    assert provenance_ids(message) == []


def test_author_key_ignores_case_and_spaces_of_email() -> None:
    assert author_key(" Avi@Redhat.COM ", 1262304060) == author_key("avi@redhat.com", 1262304060)
    assert author_key("avi@redhat.com", 1262304060) != author_key("avi@redhat.com", 1262304061)
    assert author_key("avi", 5) == "avi 5"  # old CVS ids without '@'


def test_paths_key_is_a_set_digest() -> None:
    assert paths_key(["b", "a", "a"]) == paths_key(["a", "b"])
    assert paths_key(["a"]) != paths_key(["a", "b"])
    assert paths_key(["h\udce9.c"]) != paths_key(["h.c"])  # undecodable bytes survive (surrogateescape)


def test_changed_lines_ignores_headers_and_whitespace() -> None:
    patch = ("diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n context\n-int  x = 1;\n"
             "+int x = 2;\n+\tint y;\n")
    assert changed_lines(patch) == Counter({"-intx=1;": 1, "+intx=2;": 1, "+inty;": 1})


def test_similarity_measures() -> None:
    a = Counter({"+x": 2, "-y": 1})
    assert multiset_similarity(a, a) == 1.0
    assert multiset_similarity(a, Counter({"+z": 1})) == 0.0
    assert multiset_similarity(a, Counter({"+x": 1, "-y": 1})) == pytest.approx(2 / 3)
    assert multiset_similarity(Counter(), Counter()) == 0.0  # nothing to compare is no evidence
    assert set_similarity(["a", "b"], ["b", "c"]) == pytest.approx(1 / 3)
    assert set_similarity([], []) == 1.0
