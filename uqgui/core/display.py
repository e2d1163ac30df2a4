"""Text from others' commits as uq and the window show it: invisible controls shown as escapes, never obeyed.

A subject is written by whoever wrote the commit. Shown raw, U+202E (right-to-left override)
makes "rtl: \\u202eevil\\u202c" read "rtl: live", ESC and BEL draw as boxes and a tab as a wide gap:
the list would say something other than what the commit says. Every place that shows commit text
(subjects, names, emails, message text, file names) passes it through shown() or shown_message()
at display time (uq prints it through shown_message()); the data itself (filters, drag data, ids,
JSON) keeps the real text.
"""

from __future__ import annotations

import re

__all__ = ["hides_controls", "shown", "shown_message"]

# C0 controls, DEL, C1 controls (the CLI escapes these too, as \xNN); the Unicode bidi controls
# (ALM, LRM, RLM, the embeddings and overrides U+202A-U+202E, the isolates U+2066-U+2069); the
# line and paragraph separators, which Qt breaks a line at; lone surrogates, which are bytes that
# were not UTF-8 (surrogateescape) and which Qt cannot take at all.
# (and the zero-width space; not the joiners U+200C/U+200D, which names in many scripts need)
_BIDI = "\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029\ud800-\udfff]")
# A message keeps its newlines; its tabs are expanded before this runs (see shown_message()).
_MULTI_LINE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_BIDI}\u2028\u2029\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x09:
        return "\\t"
    if code < 0x100:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8: show the byte, as the core's escaped_bytes() does
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def shown(text: str) -> str:
    """TEXT for one line of a list, tooltip line or label: controls and bidi controls as \\xNN / \\uNNNN."""
    # search() first: nearly every subject is clean, and a search costs less than a sub() that finds nothing.
    if _ONE_LINE.search(text) is None:
        return text
    return _ONE_LINE.sub(_escape, text)


def shown_message(text: str) -> str:
    """A multi-line commit message as shown: newlines kept, tabs to 8-column stops as git log does, controls escaped."""
    if "\t" in text:
        text = text.expandtabs(8)  # the column restarts at each newline
    if _MULTI_LINE.search(text) is None:
        return text
    return _MULTI_LINE.sub(_escape, text)


# What a diff may hold that changes how code reads without showing itself (bidi controls, escape
# sequences): tab, newline, CR, form and vertical feed are ordinary in source files.
_HIDDEN_IN_CODE = re.compile(f"[\x00-\x08\x0e-\x1f\x7f-\x9f{_BIDI}\u2028\u2029]")


def hides_controls(text: str) -> bool:
    """True when TEXT (a diff, shown as it is) holds bidi or control characters that would not show."""
    return _HIDDEN_IN_CODE.search(text) is not None
