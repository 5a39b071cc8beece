"""Paths shared by the tests."""
from pathlib import Path

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
REPO = TESTS.parent


def metric_lines(stdout: str) -> dict[str, float]:
    """The ``name: value`` lines of a tool's output whose value is a number."""
    out = {}
    for line in stdout.splitlines():
        name, sep, value = line.partition(": ")
        if not sep or " " in name:
            continue
        try:
            out[name] = float(value)
        except ValueError:
            continue
    return out
