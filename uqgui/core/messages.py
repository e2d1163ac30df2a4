"""Commit message edits: provenance and sign-off lines added exactly the way git adds them.

This follows git's own rules (trailer.c `find_trailer_start`, commit.c `ignore_non_trailer`,
sequencer.c `has_conforming_footer` / `append_signoff`), so a pick gets the same bytes as
`git cherry-pick -x -s --cleanup=verbatim` would give, with two deliberate differences: the
message is never re-encoded or cleaned up (it keeps its bytes), and a sign-off already
present anywhere in the trailer block is not added again (`git am -s` behaves this way).
Everything works on bytes: git's rules are ASCII, and the message's own encoding is kept.
"""

from __future__ import annotations

SIGNOFF_PREFIX = b"Signed-off-by: "
CHERRY_PICKED_PREFIX = b"(cherry picked from commit "
_GIT_GENERATED = (SIGNOFF_PREFIX, CHERRY_PICKED_PREFIX)
_SCISSORS = b"# ------------------------ >8 ------------------------\n"
_SPACE = b" \t\n\v\f\r"

NO_FOOTER, FOOTER, FOOTER_WITH_LINE, FOOTER_ENDS_WITH_LINE = 0, 1, 2, 3


def _lines(buf: bytes) -> list[tuple[int, bytes]]:
    """(offset, line without its newline) for each line of BUF."""
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(buf):
        end = buf.find(b"\n", pos)
        end = len(buf) if end < 0 else end
        out.append((pos, buf[pos:end]))
        pos = end + 1
    return out


def _is_blank(line: bytes) -> bool:
    return all(ch in _SPACE for ch in line)


def _separator_position(line: bytes) -> int:
    """Where the ':' of a `Token: value` line is, or -1 (git's find_separator with ':')."""
    whitespace = False
    for i, ch in enumerate(line):
        if ch == b":"[0]:
            return i
        if not whitespace and (chr(ch).isascii() and (chr(ch).isalnum() or ch == b"-"[0])):
            continue
        if i and ch in b" \t":
            whitespace = True
            continue
        break
    return -1


def _end_of_trailers(buf: bytes) -> int:
    """BUF's length without trailing comment lines, blank lines and old `Conflicts:` blocks."""
    cutoff = len(buf)
    if buf.startswith(_SCISSORS):
        cutoff = 0
    else:
        at = buf.find(b"\n" + _SCISSORS)
        if at >= 0:
            cutoff = at + 1
    boc = 0
    in_conflicts = False
    for bol, line in _lines(buf[:cutoff]):
        if line[:1] == b"#" or line == b"":
            if not boc:
                boc = bol  # git's quirk: a run starting at offset 0 is not seen as trailing
        elif line == b"Conflicts:" and buf[bol + len(line):bol + len(line) + 1] == b"\n":
            in_conflicts = True
            if not boc:
                boc = bol
        elif in_conflicts and line[:1] == b"\t":
            pass
        elif boc:
            boc = 0
            in_conflicts = False
    return boc if boc else cutoff


def trailer_block(message: bytes) -> tuple[int, int]:
    """Start and end offsets of MESSAGE's trailer block (equal when it has none), as git finds it."""
    end = _end_of_trailers(message)
    buf = message[:end]
    lines = _lines(buf)
    # The first paragraph is the title and cannot hold trailers.
    end_of_title = len(buf)
    for bol, line in lines:
        if line[:1] == b"#":
            continue
        if _is_blank(line):
            end_of_title = bol
            break
    only_spaces = True
    recognized = False
    trailer_lines = non_trailer_lines = continuation = 0
    for bol, line in reversed(lines):
        if bol < end_of_title:
            break
        if line[:1] == b"#":
            non_trailer_lines += continuation
            continuation = 0
            continue
        if _is_blank(line):
            if only_spaces:
                continue
            non_trailer_lines += continuation
            start = bol + len(line) + 1
            if recognized and trailer_lines * 3 >= non_trailer_lines:
                return start, end
            if trailer_lines and not non_trailer_lines:
                return start, end
            return end, end
        only_spaces = False
        if line.startswith(_GIT_GENERATED):
            trailer_lines += 1
            continuation = 0
            recognized = True
            continue
        if _separator_position(line) >= 1 and line[:1] not in (b" ", b"\t"):
            trailer_lines += 1
            continuation = 0
        elif line[:1] and line[0] in _SPACE:
            continuation += 1
        else:
            non_trailer_lines += 1 + continuation
            continuation = 0
    return end, end


def trailers(message: bytes) -> list[bytes]:
    """The trailers of MESSAGE with their newlines, continuation lines joined to their trailer."""
    start, end = trailer_block(message)
    items: list[bytes] = []
    last_is_trailer = False
    for _, line in _lines(message[start:end]):
        if last_is_trailer and line[:1] and line[0] in _SPACE:
            items[-1] += line + b"\n"
            continue
        items.append(line + b"\n")
        last_is_trailer = _separator_position(line) >= 1
    return items


def footer_state(message: bytes, line: bytes | None = None) -> int:
    """git's has_conforming_footer: NO_FOOTER, FOOTER, or whether LINE is in it (anywhere / last)."""
    start, end = trailer_block(message)
    if start == end:
        return NO_FOOTER
    if line is None:
        return FOOTER
    items = trailers(message)
    matches = [i for i, item in enumerate(items) if item.startswith(line)]
    if not matches:
        return FOOTER
    return FOOTER_ENDS_WITH_LINE if matches[-1] == len(items) - 1 else FOOTER_WITH_LINE


def _complete_line(message: bytes) -> bytes:
    return message + b"\n" if message and not message.endswith(b"\n") else message


def append_cherry_picked(message: bytes, commit_id: str) -> bytes:
    """Add git's `(cherry picked from commit ID)` line as `git cherry-pick -x` does."""
    message = _complete_line(message)
    if footer_state(message) == NO_FOOTER:
        message += b"\n"
    return message + CHERRY_PICKED_PREFIX + commit_id.encode("ascii") + b")\n"


def append_trailer(message: bytes, line: bytes) -> bytes:
    """Add the trailer LINE (no newline) as `git am -s` adds a sign-off: not when already there."""
    message = _complete_line(message)
    whole = line + b"\n"
    state = FOOTER_ENDS_WITH_LINE if message == whole else footer_state(message, whole)
    if state == NO_FOOTER:
        if not message:
            message = b"\n\n"  # room for the (empty) title and the blank line after it
        elif len(message) == 1 or message[-2:-1] != b"\n":
            message += b"\n"
    if state in (FOOTER_WITH_LINE, FOOTER_ENDS_WITH_LINE):
        return message
    return message + whole


def pick_message(message: bytes, commit_id: str, signoff: bytes | None, provenance: str) -> bytes:
    """MESSAGE with the lines a pick adds: provenance (git's -x line or a trailer), then sign-off."""
    if provenance == "cherry-pick":
        message = append_cherry_picked(message, commit_id)
    elif provenance == "trailer":
        message = append_trailer(message, b"Downstream-commit: " + commit_id.encode("ascii"))
    if signoff is not None:
        message = append_trailer(message, SIGNOFF_PREFIX + signoff)
    return message
