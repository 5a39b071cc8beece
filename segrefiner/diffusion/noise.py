"""The one source of randomness of every mask process, and the callable types they share.

A :class:`NoiseSource` returns U(0, 1) draws of a given shape. :class:`TorchNoise` draws
them from a ``torch.Generator``; :class:`ReplayNoise` replays recorded draws (the
reference bundles record the official code's draws in its order). Gaussian processes
turn pairs of uniform draws into normal ones (:func:`normal_draws`), so one seed or one
recording still fixes everything.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import torch

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
StepCallback = Callable[[int, torch.Tensor], None]


class NoiseSource(Protocol):
    """Returns a tensor of U(0, 1) draws of ``shape`` on ``device``."""

    def __call__(self, shape: Sequence[int], device: torch.device) -> torch.Tensor: ...


class TorchNoise:
    """U(0, 1) draws from ``torch.rand`` with an optional generator (``seed`` makes one)."""

    def __init__(self, generator: torch.Generator | None = None, seed: int | None = None,
                 device: str | torch.device = "cpu") -> None:
        if generator is None and seed is not None:
            generator = torch.Generator(device=device).manual_seed(seed)
        self.generator = generator

    def __call__(self, shape: Sequence[int], device: torch.device) -> torch.Tensor:
        if self.generator is None:
            return torch.rand(tuple(shape), device=device)
        out = torch.rand(tuple(shape), generator=self.generator, device=self.generator.device)
        return out.to(device)


class ReplayNoise:
    """Replays recorded draws in order; fails loudly on a shape mismatch or exhaustion."""

    def __init__(self, draws: Iterable[torch.Tensor]) -> None:
        self._draws = list(draws)
        self._next = 0

    @property
    def remaining(self) -> int:
        return len(self._draws) - self._next

    def __call__(self, shape: Sequence[int], device: torch.device) -> torch.Tensor:
        if self._next >= len(self._draws):
            raise RuntimeError(f"ReplayNoise exhausted after {len(self._draws)} draws")
        draw = self._draws[self._next]
        if tuple(draw.shape) != tuple(shape):
            raise RuntimeError(
                f"ReplayNoise draw {self._next} has shape {tuple(draw.shape)}, "
                f"the sampler asked for {tuple(shape)}")
        self._next += 1
        return draw.to(device)


def normal_draws(noise: NoiseSource, shape: Sequence[int], device: torch.device) -> torch.Tensor:
    """N(0, 1) draws of ``shape`` from two U(0, 1) draws of ``noise`` (Box-Muller:
    ``sqrt(-2 ln(1 - u1)) cos(2 pi u2)``; ``1 - u1`` is in (0, 1], so the log is finite)."""
    u1 = noise(shape, device).double()
    u2 = noise(shape, device).double()
    return (torch.sqrt(-2 * torch.log1p(-u1)) * torch.cos(2 * math.pi * u2)).float()
