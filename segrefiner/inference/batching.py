"""Running the denoiser in micro-batches without changing what is computed.

The official code sends a whole chunk of up to ``batch_size`` crops through the
denoiser at once, and draws its random numbers per chunk. On a CPU, large batches are
mostly slower per sample (2 cores, the LR model in fp32 at 256x256: 3.2 s per sample at
batch 1, 3.8 s at batch 8, channels_last; small bf16 inputs are the exception,
:func:`cpu_bf16_forward_batch`), so the forward pass may be split into micro-batches
while the chunk, and therefore the random draws, stay the official ones (the outputs
change by float rounding only).
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from segrefiner.diffusion import Denoiser

# A bf16 micro-batch on CPU holds at most this much of one full-resolution activation.
CPU_BF16_ACTIVATION_BYTES = 8 * 2**20


class MicroBatchDenoiser:
    """Calls ``denoiser`` on at most ``size`` samples at a time (``size <= 0``: all at once;
    a callable: the size for the input ``x`` it is given)."""

    def __init__(self, denoiser: Denoiser, size: int | Callable[[torch.Tensor], int]) -> None:
        self.denoiser, self.size = denoiser, size

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        size = self.size(x) if callable(self.size) else self.size
        if size <= 0 or x.shape[0] <= size:
            return self.denoiser(x, t)
        return torch.cat([self.denoiser(xs, ts)
                          for xs, ts in zip(x.split(size), t.split(size), strict=True)])


def default_forward_batch(device: torch.device) -> int:
    """Fastest micro-batch per device kind: 1 on CPU, the whole chunk (0) elsewhere."""
    return 1 if device.type == "cpu" else 0


def cpu_bf16_forward_batch(width: int) -> Callable[[torch.Tensor], int]:
    """The micro-batch of bf16 forwards on CPU for a denoiser whose full-resolution
    activations are ``width`` channels wide: as many samples of the input (B, C, H, W) as
    keep one such activation (H x W x width bf16 values) within 8 MiB, at least one.

    On a 2-core Intel Xeon with AMX the bundled model's 128 px passes (width 32) took 37 ms
    a sample one at a time, 22.6 ms eight at a time (8: 1 MiB each) and 36 ms at 32; the LR
    model's 256 px passes (width 128, 16 MiB) were fastest one at a time (658 ms against
    782-863 ms at 2-8).
    """
    def size(x: torch.Tensor) -> int:
        return max(1, CPU_BF16_ACTIVATION_BYTES // (x.shape[-2] * x.shape[-1] * width * 2))
    return size
