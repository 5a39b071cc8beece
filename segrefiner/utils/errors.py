"""User-facing errors: one line naming the file and the problem, no traceback."""
from __future__ import annotations

import sys
from collections.abc import Callable


class UserError(Exception):
    """A problem with the user's input; its message is shown as is."""


class CheckpointError(UserError, ValueError):
    """A checkpoint file that cannot be used; the message names the file and the problem."""


def is_whole(value: object) -> bool:
    """True for an int >= 1 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def check_whole(name: str, value: object, maximum: int | None = None) -> None:
    """UserError unless ``value`` is a whole number (not a bool) in ``1 .. maximum``."""
    if not is_whole(value) or (maximum is not None and value > maximum):
        allowed = f"in 1..{maximum}" if maximum is not None else ">= 1"
        raise UserError(f"{name} must be a whole number {allowed}, got {value!r}")


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
