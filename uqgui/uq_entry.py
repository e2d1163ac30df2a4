"""The `uq` console script: a thin door so that Ctrl+C while the core is still loading exits quietly."""

from __future__ import annotations

import signal
import sys


def main() -> int:
    """Import the CLI and run it; an interrupt during the imports is an ordinary Ctrl+C, not a traceback."""
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        print("uq: interrupted; nothing was changed.", file=sys.stderr)
        return 130
    code = run()
    # The work is done and said: a Ctrl+C while Python shuts down (joining threads) changes nothing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return code


if __name__ == "__main__":
    sys.exit(main())
