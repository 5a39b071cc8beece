"""User-facing errors: one line naming the file and the problem, no traceback."""
from __future__ import annotations

import sys
from collections.abc import Callable


class UserError(Exception):
    """A problem with the user's input; its message is shown as is."""


class CheckpointError(UserError, ValueError):
    """A checkpoint file that cannot be used; the message names the file and the problem."""


def run_cli(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    """Run ``main``; turn expected errors into ``error: <message>`` and exit status 2.

    ``--debug`` anywhere in argv shows the full traceback instead.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        return main([a for a in args if a != "--debug"])
    except (UserError, FileNotFoundError) as err:
        if debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
