"""Paths shared by the tests."""
from pathlib import Path

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
REPO = TESTS.parent
