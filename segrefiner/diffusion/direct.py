"""The paper's two ablations without diffusion (SegRefiner, Table 5a).

- :class:`NoDiffusion` ("none"): one denoiser pass, coarse mask in, fine mask out.
- :class:`IterativeRefinement` ("w/o diffusion"): the denoiser runs the same steps as
  DiscreteDiffusion, but each step's thresholded prediction is the next step's whole
  input: no transition sampling, no pixel kept coarse.

Neither has a transition probability, so their configs patch the semantic path's local
pass along the whole boundary of the global result (sliding windows, as CascadePSP does:
``cover_boundary=True, unsure_patches=False``); their ``confidence`` is the last
prediction's ``2 |p - 0.5|``.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from segrefiner.diffusion.discrete import DiscreteDiffusion
from segrefiner.diffusion.noise import Denoiser, NoiseSource, StepCallback
from segrefiner.diffusion.process import (
    MaskProcess,
    denoise,
    prediction_confidence,
    step_batch,
)
from segrefiner.registry import DIFFUSION_PROCESSES


@DIFFUSION_PROCESSES.register_module()
class NoDiffusion(MaskProcess):
    """One pass: ``sigmoid(denoiser([image, coarse mask], step))``.

    Trained on (coarse, fine) pairs at one fixed ``step`` (a row of the denoiser's step
    embedding, which then acts as a learned bias; default 0).
    """

    def __init__(self, step: int = 0) -> None:
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        self.step = step
        self.num_timesteps = step + 1

    @property
    def default_steps(self) -> list[int]:
        return [self.step]

    def check_schedule(self, steps: Sequence[int]) -> list[int]:
        steps = [int(t) for t in steps]
        if steps != [self.step]:
            raise ValueError(f"NoDiffusion runs one pass at step {self.step}, got {steps}")
        return steps

    @property
    def coarse_end_step(self) -> int:
        return self.step

    def training_steps(self, batch: int, device: torch.device,
                       coarse_end_prob: float = 0.0) -> torch.Tensor:
        return step_batch(self.step, batch, device)

    def training_input(self, fine_mask: torch.Tensor, coarse_mask: torch.Tensor,
                       t: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        """The coarse mask itself."""
        return coarse_mask

    def sample(self, denoiser: Denoiser, img: torch.Tensor, coarse_mask: torch.Tensor,
               steps: Sequence[int] | None = None, noise: NoiseSource | None = None,
               on_step: StepCallback | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        (t,) = self.check_schedule(self.default_steps if steps is None else steps)
        prob = torch.sigmoid(denoise(denoiser, img, coarse_mask, t))
        if on_step is not None:
            on_step(t, prob)
        return prob, prediction_confidence(prob)


@DIFFUSION_PROCESSES.register_module()
class IterativeRefinement(DiscreteDiffusion):
    """DiscreteDiffusion's schedule and training, sampled without transitions: the
    input of each step is the previous step's prediction thresholded at 0.5 (the first
    step's is the coarse mask); the last step returns its probability. Deterministic:
    ``noise`` is not drawn from."""

    def sample(self, denoiser: Denoiser, img: torch.Tensor, coarse_mask: torch.Tensor,
               steps: Sequence[int] | None = None, noise: NoiseSource | None = None,
               fine_prob: torch.Tensor | None = None,
               on_step: StepCallback | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        steps = self.default_steps if steps is None else self.check_schedule(steps)
        x = coarse_mask
        for i, t in enumerate(steps):
            logits = denoise(denoiser, img, x, t)
            prob = torch.sigmoid(logits)
            x = prob if i == len(steps) - 1 else (logits >= 0).to(coarse_mask.dtype)
            if on_step is not None:
                on_step(t, x)
        return x, prediction_confidence(x)
