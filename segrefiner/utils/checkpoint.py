"""Reading checkpoints safely: released bare state_dicts and the project's own files.

Files are read with ``torch.load(weights_only=True)``, which builds tensors and plain
containers but never runs code from the file. The project's mmengine checkpoints also
hold a few harmless mmengine / numpy objects (the training log's ``HistoryBuffer``, numpy
scalars); these are allow-listed. A file that needs anything else is refused unless the
caller trusts it (``trust=True``, the ``--trust-checkpoint`` flag).
"""
from __future__ import annotations

import pickle
import re
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


DEFAULT_STATISTICS = ("min", "max", "current", "mean")


class PicklableHistoryBuffer(HistoryBuffer):
    """A HistoryBuffer whose pickle holds only data (no default statistics methods)."""

    @classmethod
    def from_buffer(cls, buffer: HistoryBuffer) -> PicklableHistoryBuffer:
        new = cls.__new__(cls)
        new.__dict__.update({k: v for k, v in buffer.__dict__.items()
                             if k != "statistics_methods"})
        return new

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("statistics_methods", None)
        custom = {k: v for k, v in self._statistics_methods.items()
                  if k not in DEFAULT_STATISTICS}
        if custom:
            state["statistics_methods"] = custom
        return state


TORCH_MAGIC = (b"PK\x03\x04", b"\x80")  # torch.save: zip archive; legacy: pickle

SAFE_GLOBALS = [HistoryBuffer, PicklableHistoryBuffer, *_numpy_safe_globals()]


def allow_safe_globals() -> None:
    """Add :data:`SAFE_GLOBALS` to torch's process-wide allow-list (idempotent).

    Not ``torch.serialization.safe_globals(...)``: leaving that context manager resets the
    allow-list, which would make mmengine's own ``torch.load`` (``--resume CKPT``) fail later.
    """
    allowed = torch.serialization.get_safe_globals()
    missing = [g for g in SAFE_GLOBALS if g not in allowed]
    if missing:
        torch.serialization.add_safe_globals(missing)


def check_checkpoint_file(path: str | Path) -> Path:
    """``path`` as a Path; CheckpointError unless it is a file that starts as torch.save
    files do (a zip archive, or a pickle for the legacy format)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    with path.open("rb") as f:
        head = f.read(4)
    if not head.startswith(TORCH_MAGIC):
        raise CheckpointError(f"{path}: not a PyTorch checkpoint (neither a zip archive nor "
                              "a pickle, as torch.save writes them)")
    return path


def read_checkpoint(path: str | Path, trust: bool = False) -> Any:
    """Load a checkpoint file onto the CPU without executing code from it.

    Raises :class:`CheckpointError` for a missing or unreadable file, or for one that
    needs pickle to rebuild arbitrary objects while ``trust`` is False.
    """
    path = check_checkpoint_file(path)
    allow_safe_globals()
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if not trust:
            found = re.search(r"GLOBAL ([\w.]+)", str(err))
            holds = f"it holds {found.group(1)}" if found else "it holds objects"
            raise CheckpointError(
                f"{path}: refused: {holds}, beyond plain weights, which only pickle can rebuild; "
                "pass --trust-checkpoint (trust=True) only if you trust its source") from None
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint "
                              f"({' '.join(str(err).split())[:200]})") from None
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint "
                              f"({' '.join(str(err).split())[:200]})") from None


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
    mismatch = first_mismatch(model.state_dict(), state_dict, strict)
    if mismatch:
        raise CheckpointError(f"{path}: weights do not fit the model: {mismatch}")
    model.load_state_dict(state_dict, strict=strict)


def first_mismatch(expected: Mapping[str, torch.Tensor], given: Mapping[str, torch.Tensor],
                   strict: bool = True) -> str | None:
    """The first key (in the model's order) whose tensor is missing from ``given`` or has
    another shape, or (``strict``) the first key of ``given`` the model lacks; None if
    they fit."""
    for key, tensor in expected.items():
        if key not in given:
            if strict:
                return f"the model's key {key!r} is missing from the checkpoint"
        elif given[key].shape != tensor.shape:
            return (f"key {key!r} has shape {tuple(given[key].shape)} in the checkpoint, "
                    f"{tuple(tensor.shape)} in the model (another architecture or config?)")
    if strict:
        extra = next((key for key in given if key not in expected), None)
        if extra is not None:
            return f"the checkpoint's key {extra!r} is not in the model"
    return None
