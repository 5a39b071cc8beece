"""DiscreteDiffusion: SegRefiner's coarse -> fine discrete diffusion (no weights).

Every pixel is in one of two states: "coarse" (its value is the coarse mask's) or "fine"
(its value is the model's prediction). Step ``t`` runs over ``0 .. T-1``; ``t = T-1`` is
the coarse end (all pixels coarse, ``betas_cumprod[T-1] = 0``) and ``betas_cumprod[t]``
is the share of pixels already fine at step ``t``.

Randomness enters through one :class:`NoiseSource` (segrefiner.diffusion.noise): the
reference bundles record the official code's draws in its order, one per non-final
sampling step and one per ``q_sample``.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from segrefiner.diffusion.noise import Denoiser, NoiseSource, StepCallback, TorchNoise
from segrefiner.diffusion.process import MaskProcess, denoise
from segrefiner.registry import DIFFUSION_PROCESSES


@DIFFUSION_PROCESSES.register_module()
class DiscreteDiffusion(MaskProcess):
    """Schedule, forward process (``q_sample``) and reverse process (``sample``).

    Args:
        betas_cumprod_start: share of fine pixels at ``t = 0`` (official 0.8).
        betas_cumprod_end: share at ``t = T-1`` (official 0.0: all coarse).
        num_timesteps: T (official 6).
    """

    def __init__(self, betas_cumprod_start: float = 0.8, betas_cumprod_end: float = 0.0,
                 num_timesteps: int = 6) -> None:
        if num_timesteps < 2:
            raise ValueError("num_timesteps must be >= 2")
        self.num_timesteps = num_timesteps
        step = (betas_cumprod_end - betas_cumprod_start) / (num_timesteps - 1)
        # Same values as numpy.linspace(start, end, T) in float64.
        self.betas_cumprod: list[float] = [
            betas_cumprod_start + i * step for i in range(num_timesteps - 1)] + [betas_cumprod_end]
        self.betas_cumprod_prev: list[float] = [1.0, *self.betas_cumprod[:-1]]

    @property
    def default_steps(self) -> list[int]:
        """All steps from the coarse end down: [T-1, ..., 0]."""
        return list(range(self.num_timesteps - 1, -1, -1))

    # ----------------------------------------------------------------- training
    def q_sample(self, fine_mask: torch.Tensor, coarse_mask: torch.Tensor, t: torch.Tensor,
                 noise: NoiseSource) -> torch.Tensor:
        """Mask at step t: each pixel is the fine (GT) value with prob ``betas_cumprod[t]``.

        fine_mask, coarse_mask: (B, 1, H, W) float in {0, 1}; t: (B,) int64.
        Returns (B, 1, H, W) float in {0, 1}.
        """
        schedule = torch.tensor(self.betas_cumprod, dtype=torch.float64, device=t.device)
        keep_fine = schedule[t].to(fine_mask.dtype).view(-1, 1, 1, 1)
        u = noise(fine_mask.shape, fine_mask.device)
        return torch.where(u < keep_fine, fine_mask, coarse_mask)

    def training_input(self, fine_mask: torch.Tensor, coarse_mask: torch.Tensor,
                       t: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        """The mask at step t (:meth:`q_sample`)."""
        return self.q_sample(fine_mask, coarse_mask, t, noise)

    # ---------------------------------------------------------------- inference
    def fine_transition(self, fine_prob: torch.Tensor, logits: torch.Tensor,
                        t: int, t_next: int | None = None) -> torch.Tensor:
        """Accumulated probability of each pixel being fine after the step at t.

        The official code (not paper Eq. 11 literally): confidence
        ``conf = 2 |sigmoid(logits) - 0.5|`` scales the schedule's transition
        probability ``(bc_prev[t] - bc[t]) / (1 - conf * bc[t])``; a pixel once fine
        stays fine. ``t_next``: the step run next when it is not ``t - 1`` (a strided
        schedule): the share moves on to ``bc[t_next]`` instead of ``bc_prev[t]``
        (the same value when ``t_next = t - 1``). fine_prob, logits: (B, 1, H, W);
        returns (B, 1, H, W) in [0, 1].
        """
        conf = (torch.sigmoid(logits) - 0.5).abs() * 2
        bc = self.betas_cumprod[t]
        bc_prev = self.betas_cumprod_prev[t] if t_next is None else self.betas_cumprod[t_next]
        p = conf * (bc_prev - bc) / (1 - conf * bc)
        return fine_prob + (1 - fine_prob) * p

    def sample(self, denoiser: Denoiser, img: torch.Tensor, coarse_mask: torch.Tensor,
               steps: Sequence[int] | None = None, noise: NoiseSource | None = None,
               fine_prob: torch.Tensor | None = None,
               on_step: StepCallback | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the reverse process from the coarse mask.

        Args:
            denoiser: ``(x (B,4,S,S), t (B,) int64) -> logits (B,1,S,S)``.
            img: (B, 3, S, S) normalised image.
            coarse_mask: (B, 1, S, S) float in {0, 1}.
            steps: step indices in running order (default ``[T-1, ..., 0]``); the last one
                is the final step, whose output is ``sigmoid(logits)``.
            noise: source of the one U(0,1) draw per non-final step (default torch.rand).
            fine_prob: starting fine probability (default all 0).
            on_step: called as ``on_step(t, x)`` after each step with the current mask
                (B, 1, S, S) (binary; the last one is the probability).

        Returns:
            ``(mask_prob, fine_prob)``, both (B, 1, S, S) in [0, 1]: the fine-mask
            probability after the last step and the accumulated fine-state probability.
        """
        steps = self.default_steps if steps is None else list(steps)
        if not steps:
            raise ValueError("steps must not be empty")
        noise = noise if noise is not None else TorchNoise()
        x = coarse_mask
        fine = torch.zeros_like(coarse_mask) if fine_prob is None else fine_prob
        for i, t in enumerate(steps):
            logits = denoise(denoiser, img, x, t)
            last = i == len(steps) - 1
            fine = self.fine_transition(fine, logits, t, None if last else steps[i + 1])
            if last:
                x = torch.sigmoid(logits)
            else:
                take_fine = noise(x.shape, x.device) < fine
                x = torch.where(take_fine, (logits >= 0).to(coarse_mask.dtype), coarse_mask)
            if on_step is not None:
                on_step(t, x)
        return x, fine
