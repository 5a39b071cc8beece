"""Compatibility with third-party packages, applied only around the calls that need it.

lvis 0.5.3 uses ``np.float`` (removed in numpy 1.24) in ``LVISEval.accumulate``;
:func:`numpy_float_alias` provides it (the builtin ``float``, which is what it always
meant) for the duration of a ``with`` block and removes it afterwards.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


@contextmanager
def numpy_float_alias() -> Iterator[None]:
    """``np.float = float`` inside the block only (left alone where numpy has it)."""
    added = not hasattr(np, "float")
    if added:
        np.float = float  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if added:
            del np.float
