"""Runtime hook: give child processes (git, the test command, editors) the caller's environment.

The PyInstaller bootloader prepends the bundle's _internal/ folder to LD_LIBRARY_PATH and keeps
the original value in LD_LIBRARY_PATH_ORIG. uqgui runs the system `git` many times; it must
load the system's libz, libpcre2 and libssl, not the copies inside the bundle. The frozen
process itself is not affected: the dynamic loader read LD_LIBRARY_PATH when it started.
"""

import os


def _restore(name: str) -> None:
    original = os.environ.pop(f"{name}_ORIG", None)
    if original is not None:
        os.environ[name] = original
    else:
        os.environ.pop(name, None)


_restore("LD_LIBRARY_PATH")
