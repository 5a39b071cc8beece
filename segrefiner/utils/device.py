"""Checking a device name before anything is put on it."""
from __future__ import annotations

import torch

from segrefiner.utils.errors import UserError


def resolve_device(device: str | torch.device) -> torch.device:
    """``torch.device`` for 'cpu', 'cuda', 'cuda:N' or 'mps' when this machine has it;
    UserError in one line otherwise."""
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise UserError(f"device {device!r}: not a device name ({err}); use cpu or cuda") from None
    if resolved.type == "cpu":
        return resolved
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"device {device!r}: CUDA is not available on this machine "
                            "(a CPU-only torch, or no GPU); use --device cpu")
        count = torch.cuda.device_count()
        if resolved.index is not None and resolved.index >= count:
            raise UserError(f"device {device!r}: this machine has {count} CUDA device(s)")
        return resolved
    if resolved.type == "mps":
        if not torch.backends.mps.is_available():
            raise UserError(f"device {device!r}: Apple's MPS is not available on this machine; "
                            "use --device cpu")
        return resolved
    raise UserError(f"device {device!r}: segrefiner runs on cpu, cuda or mps")
