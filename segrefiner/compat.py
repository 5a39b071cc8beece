"""Compatibility shims for third-party packages, applied in one place.

lvis 0.5.3 uses ``np.float``, removed in numpy 1.24; importing this module restores the
alias (to the builtin ``float``, which is what it always meant) before lvis is used.
"""
import numpy as np

if not hasattr(np, "float"):
    np.float = float  # type: ignore[attr-defined]
