"""Running the denoiser in micro-batches without changing what is computed.

The official code sends a whole chunk of up to ``batch_size`` crops through the
denoiser at once, and draws its random numbers per chunk. On a CPU, large batches are
slower per sample and small inputs run faster a few at a time (:func:`cpu_forward_batch`),
so the forward pass may be split into micro-batches while the chunk, and therefore the
random draws, stay the official ones (the outputs change by float rounding only).
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from segrefiner.diffusion import Denoiser

# A micro-batch on CPU holds at most this much of one full-resolution activation.
CPU_ACTIVATION_BYTES = 8 * 2**20


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
    """Micro-batch per device kind where the denoiser's width is unknown: 1 on CPU (else
    :func:`cpu_forward_batch`), the whole chunk (0) elsewhere."""
    return 1 if device.type == "cpu" else 0


def cpu_forward_batch(width: int, itemsize: int) -> Callable[[torch.Tensor], int]:
    """The micro-batch of forwards on CPU for a denoiser whose full-resolution activations
    are ``width`` channels of ``itemsize`` bytes (4: float32, 2: bf16): as many samples of
    the input (B, C, H, W) as keep one such activation (H x W x width values) within
    8 MiB, at least one.

    On a 2-core Intel Xeon with AMX the bundled model's 128 px passes (width 32) took, per
    sample, in bf16 37 ms one at a time, 22.6 ms eight at a time (1 MiB each) and 36 ms at
    32; in float32 46.3, 43.5, 42.8, 48.8 and 64.0 ms at 1, 2, 4 (2 MiB each), 8 and 16
    (torch and oneDNN limited to AVX2: 67.0, 60.6, 58.1, 62.4, 80.5 ms). The LR model's
    256 px passes (width 128) were fastest one at a time: 658 ms against 782-863 ms at 2-8
    in bf16 (16 MiB each), 3.2 s against 3.8 s at 8 in float32.
    """
    def size(x: torch.Tensor) -> int:
        return max(1, CPU_ACTIVATION_BYTES // (x.shape[-2] * x.shape[-1] * width * itemsize))
    return size
