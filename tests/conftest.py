"""Shared fixtures: the official behaviour bundle and small models built from it."""
from __future__ import annotations

import pytest
import torch
from helpers import FIXTURES

from segrefiner.conformance import build_model

torch.set_num_threads(2)


@pytest.fixture(scope="session")
def bundle() -> dict:
    """The official small bundle (segrefiner-reference/1; see tests/fixtures/README.md)."""
    return torch.load(FIXTURES / "official_small.pt", weights_only=True)


@pytest.fixture(scope="session")
def small_model(bundle):
    """A SegRefiner with the bundle's small denoiser and official-named weights."""
    return build_model(bundle)


@pytest.fixture(scope="session")
def cases(bundle) -> dict[str, dict]:
    """The first case of each kind."""
    found: dict[str, dict] = {}
    for case in bundle["cases"]:
        found.setdefault(case["kind"], case)
    return found
