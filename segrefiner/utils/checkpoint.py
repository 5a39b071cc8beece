"""Reading checkpoints safely: released bare state_dicts and the project's own files.

Files are read with ``torch.load(weights_only=True)``, which builds tensors and plain
containers but never runs code from the file. The project's mmengine checkpoints also
hold a few harmless mmengine / numpy objects (the training log's ``HistoryBuffer``, numpy
scalars); these are allow-listed. A file that needs anything else is refused unless the
caller trusts it (``trust=True``, the ``--trust-checkpoint`` flag).
"""
from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from torch import nn

from segrefiner.utils.errors import CheckpointError


def _numpy_safe_globals() -> list:
    """numpy objects that mmengine checkpoints hold (arrays and scalars in the log)."""
    found = [np.ndarray, np.dtype, np._core.multiarray._reconstruct, np._core.multiarray.scalar]
    found += [type(np.dtype(name)) for name in
              ("float64", "float32", "int64", "int32", "bool", "uint8")]
    return found


SAFE_GLOBALS = [HistoryBuffer, *_numpy_safe_globals()]


def allow_safe_globals() -> None:
    """Add :data:`SAFE_GLOBALS` to torch's process-wide allow-list (idempotent).

    Not ``torch.serialization.safe_globals(...)``: leaving that context manager resets the
    allow-list, which would make mmengine's own ``torch.load`` (``--resume CKPT``) fail later.
    """
    allowed = torch.serialization.get_safe_globals()
    missing = [g for g in SAFE_GLOBALS if g not in allowed]
    if missing:
        torch.serialization.add_safe_globals(missing)


def read_checkpoint(path: str | Path, trust: bool = False) -> Any:
    """Load a checkpoint file onto the CPU without executing code from it.

    Raises :class:`CheckpointError` for a missing or unreadable file, or for one that
    needs pickle to rebuild arbitrary objects while ``trust`` is False.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    allow_safe_globals()
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if not trust:
            reason = str(err).strip().splitlines()[0] if str(err).strip() else "unsafe pickle"
            raise CheckpointError(
                f"{path}: refused: the file needs pickle to rebuild objects that are not plain "
                f"weights ({reason[:200]}); pass --trust-checkpoint (trust=True) only if you "
                "trust its source") from None
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({err})") from None
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({err})") from None


def extract_state_dict(checkpoint: Any, source: str = "checkpoint") -> dict[str, torch.Tensor]:
    """The model weights of a bare state_dict or ``{'state_dict': ...}``, ``module.`` stripped."""
    if isinstance(checkpoint, Mapping) and isinstance(checkpoint.get("state_dict"), Mapping):
        checkpoint = checkpoint["state_dict"]
    if not isinstance(checkpoint, Mapping) or not checkpoint:
        raise CheckpointError(f"{source}: holds no state_dict")
    state_dict = {}
    for key, value in checkpoint.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{source}: entry {key!r} is not a tensor")
        state_dict[key[len("module."):] if key.startswith("module.") else key] = value
    return state_dict


def load_weights(model: nn.Module, path: str | Path, strict: bool = True,
                 trust: bool = False) -> None:
    """Load the weights of ``path`` into ``model`` (official or own checkpoints)."""
    state_dict = extract_state_dict(read_checkpoint(path, trust=trust), str(path))
    try:
        model.load_state_dict(state_dict, strict=strict)
    except RuntimeError as err:
        first = str(err).strip().splitlines()
        raise CheckpointError(
            f"{path}: weights do not fit the model ({' '.join(first[:3])[:400]})") from None
