"""Workarounds for bugs in the Qt binding, each with the measurement that justifies it."""

from __future__ import annotations

import sys

HEADROOM = 1 << 40
_protected = False


def protect_singletons() -> bool:
    """Keep None/True/False alive under PySide6 6.12 on CPython < 3.12; True when it was needed.

    Measured here (PySide6-Essentials 6.12.0, CPython 3.11.7): every call of a void method such as
    QObject.setObjectName() or QCoreApplication.processEvents() drops one reference to None
    (signals carrying bools drop references to True/False), so a qasync app aborts with
    "Fatal Python error: none_dealloc" after a few thousand event-loop turns. 6.11.3 does not,
    and CPython 3.12 made these objects immortal (PEP 683). Raising their reference counts by
    2**40 gives them the same immortality here; the real fix is a PySide6 release without the bug.
    """
    global _protected
    if sys.version_info >= (3, 12):
        return False
    import PySide6

    if tuple(PySide6.__version_info__[:2]) < (6, 12):
        return False
    if _protected:
        return True
    _protected = True
    import ctypes  # only here: the module costs the first paint ~3 ms, and the fix is rarely needed

    for obj in (None, True, False, Ellipsis, NotImplemented):
        # ob_refcnt is the first field of every object in CPython's release builds.
        ctypes.c_ssize_t.from_address(id(obj)).value += HEADROOM
    return True
