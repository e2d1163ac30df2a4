"""Patch identity evidence: normalised subjects, provenance trailers, path sets, line similarity."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

_PATCH_PREFIX = re.compile(r"^\s*(\[[^\]]*\]\s*)+")

# Subjects that say nothing about the change: never a match on their own.
# One alternation, so a subject costs one regex search (tens of thousands are keyed per cold run).
_GENERIC = re.compile(
    "|".join(
        f"(?:{p})"
        for p in (
        r"^merge\b",
        r"^revert\b.*\bmerge\b",
        (
            r"^(update|updates|fix|fixes|fixup|cleanup|cleanups|misc|wip|sync|typo|tmp|test|tests|build fix|"
            r"fix build|fix typo|fix compile|fix compilation|compile fix|minor fixes|small fixes|various fixes|"
            r"update changelog|update version|bump version|version bump|release|import|initial import|"
            r"initial commit)$"
        ),
        r"^(kvm|qemu|qemu-kvm|hw|target-[\w-]+)\s*:\s*(update|fix|fixes|cleanup|build fix|fix build)$",
        # version-only subjects: "0.12.0", "qemu-kvm 0.12.1", "qemu-kvm-0.12.1", "kvm-88", "v0.13.0-rc1"
        r"^(?:[a-z][\w.-]*?[\s_-]+)?v?\d+(?:\.\d+)*(?:-rc\d*)?$",
        r"^(?:bump|update|set|change) (?:the )?version\b",
        r"^$",
        )
    )
)

# Provenance lines naming the commit a patch was taken from.
_PROVENANCE_PATTERNS = [
    re.compile(r"\(cherry[ -]picked from commit ([0-9a-f]{7,64})\)", re.IGNORECASE),
    re.compile(r"^\s*(?:upstream[- ]commit|downstream[- ]commit|upstream|commit[- ]id|backport[- ]of)\s*:\s*([0-9a-f]{7,64})\b", re.IGNORECASE | re.MULTILINE),
    re.compile(r"^\s*commit ([0-9a-f]{40,64}) upstream\.?\s*$", re.IGNORECASE | re.MULTILINE),
    re.compile(r"^\s*\[\s*upstream commit ([0-9a-f]{7,64})\s*\]\s*$", re.IGNORECASE | re.MULTILINE),
]


def normalize_subject(subject: str) -> str:
    """Case-fold a subject, strip `[PATCH ...]` prefixes, trailing periods and extra spaces."""
    text = _PATCH_PREFIX.sub("", subject) if subject.lstrip()[:1] == "[" else subject
    return " ".join(text.split()).rstrip(". ").casefold()


def is_generic_subject(normalized: str) -> bool:
    """True for subjects such as 'Merge ...' or 'Update' that cannot identify a change alone."""
    if len(normalized) < 8:
        return True
    return _GENERIC.search(normalized) is not None


def subject_key(subject: str) -> str | None:
    """The key under which subjects are matched, or None for a generic subject."""
    normalized = normalize_subject(subject)
    return None if is_generic_subject(normalized) else normalized


def provenance_ids(message: str) -> list[str]:
    """Commit ids (full or abbreviated, lower-case) named by provenance trailers in a message."""
    found: list[str] = []
    lowered = message.lower()
    if "commit" not in lowered and "upstream" not in lowered and "backport" not in lowered:
        return found  # every pattern needs one of these words: skip the regexes for most messages
    for pattern in _PROVENANCE_PATTERNS:
        for match in pattern.finditer(message):
            value = match.group(1).lower()
            if value not in found:
                found.append(value)
    return found


def author_key(email: str, timestamp: int) -> str:
    """The key matching two versions of a patch by author e-mail and author timestamp."""
    return f"{email.strip().casefold()} {timestamp}"


_GIT_SPACES = " \t\n\v\f\r"
_DROP_GIT_SPACES = str.maketrans("", "", _GIT_SPACES)
_ANY_GIT_SPACE = re.compile(f"[{re.escape(_GIT_SPACES)}]")


def paths_key(paths: Iterable[str]) -> str:
    """A digest of the set of paths a commit touches; equal patch-ids imply equal keys.

    Whitespace is dropped from each path as `git patch-id` drops it (C's isspace) from the
    `diff --git` lines it hashes: files named "sp ace" and "spa ce" given the same change have the
    same patch-id.
    """
    unique = set(paths)
    joined = "\0".join(sorted(unique))
    if _ANY_GIT_SPACE.search(joined):  # rare: most paths have none (one C call: this runs per commit)
        joined = "\0".join(sorted({p.translate(_DROP_GIT_SPACES) for p in unique}))
    return hashlib.sha1(joined.encode("utf-8", "surrogateescape")).hexdigest()


# Header lines that are the change itself for a file without added or removed lines.
_CHANGE_HEADERS = ("old mode ", "new mode ", "new file mode ", "deleted file mode ", "rename from ", "rename to ",
                   "copy from ", "copy to ")


def changed_lines(patch: str) -> Counter[str]:
    """The multiset of added and removed lines of a unified diff, whitespace removed.

    A binary file counts as one line naming the blob it ends as, and mode changes, renames and
    copies as their header lines: two binary updates to different contents, or a mode change
    beside an unrelated rename, are not "alike" merely for having no text lines.
    """
    lines: Counter[str] = Counter()
    new_blob = ""
    for line in patch.splitlines():
        if line.startswith(("+++", "---")):
            continue
        first = line[:1]
        if first in ("+", "-"):
            lines[first + "".join(line[1:].split())] += 1
        elif first == "i" and line.startswith("index "):
            new_blob = line.split()[1].partition("..")[2]
        elif first == "B" and line.startswith("Binary files "):
            lines[f"binary {new_blob}"] += 1
        elif line.startswith(_CHANGE_HEADERS):
            lines[line] += 1
    return lines


_CONTENT = re.compile(r"[^\W_]")  # a letter or a digit


def content_lines(lines: Counter[str]) -> Counter[str]:
    """The changed lines that carry content: those with a letter or digit past the +/- sign.

    Braces, blank lines and lone punctuation turn up in any two changes to C code (each half of
    a split commit adding a function adds a "{", a "}" and a blank line): they tell nothing
    about whether two changes are the same.
    """
    return Counter({line: n for line, n in lines.items() if _CONTENT.search(line, 1)})


def multiset_similarity(a: Counter[str], b: Counter[str]) -> float:
    """Weighted Jaccard similarity of two multisets: 1.0 equal, 0.0 disjoint or both empty (no evidence)."""
    inter = sum((a & b).values())
    union = sum((a | b).values())
    return inter / union if union else 0.0


def set_similarity(a: Iterable[str], b: Iterable[str]) -> float:
    """Jaccard similarity of two sets of paths."""
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)
