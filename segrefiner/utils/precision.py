"""The opt-in lower precision of fast mode (``Refiner(fast=True)``, ``--fast``, ``--amp``).

fp16 autocast on CUDA; bf16 autocast on CPUs whose oneDNN has bf16 kernels (x86 with
AVX-512, e.g. avx512_bf16 / AMX; Arm with bf16). Elsewhere (x86 with AVX2 only) bf16 is
emulated: a training step of the bundled model took 85 s instead of 2.3 s in fp32 on an
AVX2-only AMD EPYC, so fast mode runs fp32 there instead of making things slower.
"""
from __future__ import annotations

import contextlib
import functools

import torch

NO_BF16_KERNELS = ("this CPU has no bf16 kernels (bf16 would be many times slower than fp32 "
                   "here): running in fp32")


@functools.cache
def cpu_has_bf16_kernels() -> bool:
    """True where torch's oneDNN runs bf16 natively on this CPU (True if torch cannot tell)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return True


def fast_dtype(device: torch.device | str) -> torch.dtype | None:
    """The autocast dtype of fast mode on ``device``, or None where it would be slower."""
    device_type = torch.device(device).type
    if device_type == "cuda":
        return torch.float16
    if device_type == "cpu" and not cpu_has_bf16_kernels():
        return None
    return torch.bfloat16


def autocast(device: torch.device | str, dtype: torch.dtype | None):
    """``torch.autocast`` to ``dtype`` on ``device``; no change where ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)
