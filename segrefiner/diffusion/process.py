"""MaskProcess: what training and refinement ask of a mask process (diffusion or not).

A process is chosen in a config (``model.diffusion=dict(type=...)``, registry
``DIFFUSION_PROCESSES``); the denoiser, the data pipeline and the refinement paths stay
the same. Steps are integers in ``0 .. num_timesteps - 1`` that index the denoiser's step
embedding; a sampling schedule is a strictly descending list of them, run in order.
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch

from segrefiner.diffusion.noise import Denoiser, NoiseSource, StepCallback


class MaskProcess:
    """Base of the mask processes (DiscreteDiffusion, GaussianMaskDiffusion, NoDiffusion,
    IterativeRefinement).

    Subclasses set ``num_timesteps`` and give ``default_steps``, ``training_input`` and
    ``sample``; the rest has defaults.
    """

    num_timesteps: int
    mask_channels: int = 1  # channels the process adds to the 3 image channels

    # ------------------------------------------------------------- schedules
    @property
    def default_steps(self) -> list[int]:
        """The full sampling schedule, in running order."""
        raise NotImplementedError

    @property
    def max_steps(self) -> int:
        """The most steps ``steps_for`` takes."""
        return len(self.default_steps)

    def steps_for(self, num_steps: int | None) -> list[int]:
        """The first ``num_steps`` of ``default_steps`` (the official ``--step N``)."""
        steps = self.default_steps
        if num_steps is None:
            return steps
        if not 1 <= num_steps <= len(steps):
            raise ValueError(f"steps must be in 1..{len(steps)}, got {num_steps}")
        return steps[:num_steps]

    def check_schedule(self, steps: Sequence[int]) -> list[int]:
        """``steps`` as a list after checking it is a strided schedule: non-empty, strictly
        descending, each in ``0 .. T-1`` (e.g. ``[5, 2, 0]``); ValueError otherwise."""
        steps = [int(t) for t in steps]
        ok = bool(steps) and all(0 <= t < self.num_timesteps for t in steps) and all(
            a > b for a, b in pairwise(steps))
        if not ok:
            raise ValueError(f"steps must be strictly descending within 0..{self.num_timesteps - 1}"
                             f", got {steps}")
        return steps

    def global_steps(self) -> list[int]:
        """The semantic path's global pass: all steps but the last (official)."""
        steps = self.default_steps
        return steps[:-1] if len(steps) > 1 else steps

    def local_steps(self) -> list[int]:
        """The semantic path's local pass: the last step (official)."""
        return self.default_steps[-1:]

    # --------------------------------------------------------------- training
    @property
    def coarse_end_step(self) -> int:
        """The step ``train_cfg.coarse_end_prob`` trains at: the coarse end, T-1."""
        return self.num_timesteps - 1

    def training_steps(self, batch: int, device: torch.device,
                       coarse_end_prob: float = 0.0) -> torch.Tensor:
        """(B,) int64 steps to train at: uniform over ``0 .. T-1``; each is
        ``coarse_end_step`` instead with probability ``coarse_end_prob``."""
        t = torch.randint(0, self.num_timesteps, (batch,), device=device)
        if coarse_end_prob > 0:
            at_end = torch.rand(batch, device=device) < coarse_end_prob
            t = torch.where(at_end, self.coarse_end_step, t)
        return t

    def training_input(self, fine_mask: torch.Tensor, coarse_mask: torch.Tensor,
                       t: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        """The mask channels the denoiser sees at step t in training.

        fine_mask, coarse_mask: (B, 1, H, W) float in {0, 1}; t: (B,) int64.
        Returns (B, mask_channels, H, W) float.
        """
        raise NotImplementedError

    # -------------------------------------------------------------- sampling
    def sample(self, denoiser: Denoiser, img: torch.Tensor, coarse_mask: torch.Tensor,
               steps: Sequence[int] | None = None, noise: NoiseSource | None = None,
               on_step: StepCallback | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Refine ``coarse_mask`` by running ``steps`` (default ``default_steps``).

        denoiser: ``(x (B, 3 + mask_channels, S, S), t (B,) int64) -> logits (B, 1, S, S)``;
        img: (B, 3, S, S) normalised; coarse_mask: (B, 1, S, S) float in {0, 1};
        on_step: ``on_step(t, mask)`` after each step with the current (B, 1, S, S) mask.
        Returns ``(mask_prob, confidence)``, both (B, 1, S, S) in [0, 1]: the fine-mask
        probability after the last step and how sure the process is of each pixel
        (the semantic path patches where it is low).
        """
        raise NotImplementedError


def step_batch(t: int, batch: int, device: torch.device) -> torch.Tensor:
    """(batch,) int64 filled with step t."""
    return torch.full((batch,), t, dtype=torch.long, device=device)


def denoise(denoiser: Denoiser, img: torch.Tensor, mask_channels: torch.Tensor,
            t: int) -> torch.Tensor:
    """(B, 1, S, S) float32 logits of ``denoiser`` on the image (B, 3, S, S) and the
    process's (B, C, S, S) mask channels at step t."""
    x = torch.cat([img, mask_channels.to(img.dtype)], dim=1)
    return denoiser(x, step_batch(t, img.shape[0], img.device)).float()


def prediction_confidence(prob: torch.Tensor) -> torch.Tensor:
    """``2 |p - 0.5|``: 0 where the (B, 1, S, S) probability is 0.5, 1 where it is 0 or 1."""
    return (prob - 0.5).abs() * 2
