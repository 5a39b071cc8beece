"""GaussianMaskDiffusion: DFormer's Gaussian mask diffusion applied to refinement.

The mask is a continuous signal ``x0 = (2 m - 1) * scale`` (``m`` in {0, 1}, scale 0.1)
noised by a cosine schedule over T = 1000 steps, ``x_t = sqrt(abar_t) x0 +
sqrt(1 - abar_t) eps``. The denoiser sees ``x_t`` clamped to ``[-scale, scale]`` and
rescaled to [0, 1] beside the image, and predicts x0 as logits (``x0_hat = (2 sigmoid - 1)
* scale``); it is trained with SegRefiner's losses on those logits. Sampling is DDIM
(``eta`` 0: deterministic; 1: the DDPM posterior on consecutive steps).

Two ways to condition on the coarse mask:
- ``coarse_channel=False`` (default): the coarse mask is the start. Sampling begins at
  ``start_step`` from the coarse mask noised there (as SDEdit does); training sees the
  accurate mask noised at uniform steps and never the coarse one.
- ``coarse_channel=True``: the coarse mask is an extra input channel at every step
  (``in_channels=5``); sampling begins from pure noise at step T-1.

Steps index ``alphas_cumprod``: step t in ``0 .. T-1`` has ``abar_t``; the step after the
last is ``-1`` (abar = 1: the prediction itself).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from segrefiner.diffusion.noise import (
    Denoiser,
    NoiseSource,
    StepCallback,
    TorchNoise,
    normal_draws,
)
from segrefiner.diffusion.process import (
    MaskProcess,
    denoise,
    prediction_confidence,
    step_batch,
)
from segrefiner.registry import DIFFUSION_PROCESSES

COSINE_OFFSET = 0.008  # the cosine schedule's s (Nichol & Dhariwal, 2021)
MAX_BETA = 0.999


def cosine_alphas_cumprod(num_timesteps: int) -> np.ndarray:
    """(T,) float64 abar_t of the cosine schedule: ``f(t) = cos((t / T + s) / (1 + s) *
    pi / 2) ** 2``, betas ``1 - f(t + 1) / f(t)`` clipped to ``MAX_BETA``, abar their
    cumulative product of ``1 - beta``."""
    t = np.arange(num_timesteps + 1, dtype=np.float64)
    f = np.cos((t / num_timesteps + COSINE_OFFSET) / (1 + COSINE_OFFSET) * math.pi / 2) ** 2
    betas = np.clip(1 - f[1:] / f[:-1], 0, MAX_BETA)
    return np.cumprod(1 - betas)


def ddim_times(num_steps: int, start_step: int) -> list[int]:
    """``num_steps`` strictly descending steps from ``start_step``, spread evenly over
    ``[-1, start_step]`` (the -1 end is left out: it is where sampling ends)."""
    if not 1 <= num_steps <= start_step + 1:
        raise ValueError(f"steps must be in 1..{start_step + 1}, got {num_steps}")
    times = np.linspace(-1, start_step, num_steps + 1)
    return [round(float(v)) for v in times[::-1][:-1]]


@DIFFUSION_PROCESSES.register_module()
class GaussianMaskDiffusion(MaskProcess):
    """Gaussian mask diffusion with DDIM sampling.

    Args:
        num_timesteps: T of the training schedule (1000).
        scale: signal scale s: masks are ``+-s`` before the noise (0.1).
        sampling_steps: DDIM steps of the default schedule.
        start_step: where sampling starts; None: T-1 (pure noise). With
            ``coarse_channel=False`` the coarse mask noised to this step is the start.
        eta: DDIM's eta (0 deterministic, 1 DDPM-like).
        coarse_channel: give the coarse mask as an extra input channel (then
            ``mask_channels`` is 2).
        local_sampling_steps, local_start_step: the semantic path's local pass
            (default: one step from ``start_step``).
    """

    def __init__(self, num_timesteps: int = 1000, scale: float = 0.1, sampling_steps: int = 5,
                 start_step: int | None = None, eta: float = 0.0, coarse_channel: bool = False,
                 local_sampling_steps: int = 1, local_start_step: int | None = None) -> None:
        if num_timesteps < 2:
            raise ValueError("num_timesteps must be >= 2")
        if scale <= 0:
            raise ValueError(f"scale must be > 0, got {scale}")
        if not 0 <= eta <= 1:
            raise ValueError(f"eta must be in [0, 1], got {eta}")
        self.num_timesteps = num_timesteps
        self.scale = scale
        self.eta = eta
        self.coarse_channel = coarse_channel
        self.mask_channels = 2 if coarse_channel else 1
        self.start_step = num_timesteps - 1 if start_step is None else int(start_step)
        self.local_start_step = (self.start_step if local_start_step is None
                                 else int(local_start_step))
        for name, value in (("start_step", self.start_step),
                            ("local_start_step", self.local_start_step)):
            if not 0 <= value < num_timesteps:
                raise ValueError(f"{name} must be in 0..{num_timesteps - 1}, got {value}")
        self.alphas_cumprod = cosine_alphas_cumprod(num_timesteps)
        self.sampling_steps = sampling_steps
        self.local_sampling_steps = local_sampling_steps
        ddim_times(sampling_steps, self.start_step)  # checks the step counts
        ddim_times(local_sampling_steps, self.local_start_step)

    # ------------------------------------------------------------- schedules
    @property
    def default_steps(self) -> list[int]:
        return ddim_times(self.sampling_steps, self.start_step)

    @property
    def max_steps(self) -> int:
        return self.start_step + 1

    def steps_for(self, num_steps: int | None) -> list[int]:
        """``num_steps`` DDIM steps from ``start_step`` (None: ``sampling_steps``)."""
        return ddim_times(self.sampling_steps if num_steps is None else num_steps,
                          self.start_step)

    def global_steps(self) -> list[int]:
        return self.default_steps

    def local_steps(self) -> list[int]:
        return ddim_times(self.local_sampling_steps, self.local_start_step)

    @property
    def coarse_end_step(self) -> int:
        return self.start_step

    def abar(self, t: int) -> float:
        """abar_t; 1 at t = -1 (after the last step)."""
        return 1.0 if t < 0 else float(self.alphas_cumprod[t])

    # ------------------------------------------------------- signal <-> mask
    def mask_signal(self, mask: torch.Tensor) -> torch.Tensor:
        """{0, 1} (or [0, 1]) mask -> ``(2 m - 1) * scale``."""
        return (2 * mask - 1) * self.scale

    def network_mask(self, x: torch.Tensor) -> torch.Tensor:
        """x_t clamped to ``[-scale, scale]`` and rescaled to [0, 1]: what the denoiser sees."""
        return (x.clamp(-self.scale, self.scale) / self.scale + 1) / 2

    def signal_from_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """The predicted x0 ``(2 sigmoid(logits) - 1) * scale``."""
        return self.mask_signal(torch.sigmoid(logits))

    # ----------------------------------------------------------------- forward
    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """``sqrt(abar_t) x0 + sqrt(1 - abar_t) eps`` (not clamped); x0, eps (B, 1, H, W),
        t (B,) int64."""
        abar = torch.as_tensor(self.alphas_cumprod, device=x0.device)[t].view(-1, 1, 1, 1)
        # sqrt(1 - abar) in float64: near t = 0, 1 - abar cancels badly in float32.
        return (abar.sqrt().to(x0.dtype) * x0 + (1 - abar).sqrt().to(x0.dtype) * eps)

    def network_input(self, x: torch.Tensor, coarse_mask: torch.Tensor) -> torch.Tensor:
        """The process's input channels: the rescaled x_t, and the coarse mask with
        ``coarse_channel``. (B, mask_channels, H, W)."""
        channels = [self.network_mask(x)]
        if self.coarse_channel:
            channels.append(coarse_mask.to(x.dtype))
        return torch.cat(channels, dim=1)

    def training_input(self, fine_mask: torch.Tensor, coarse_mask: torch.Tensor,
                       t: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        """The accurate mask noised to step t (rescaled), with the coarse mask as a
        channel when ``coarse_channel``."""
        eps = normal_draws(noise, fine_mask.shape, fine_mask.device).to(fine_mask.dtype)
        return self.network_input(self.q_sample(self.mask_signal(fine_mask), t, eps),
                                  coarse_mask)

    # ---------------------------------------------------------------- reverse
    def ddim_coefficients(self, t: int, t_next: int) -> tuple[float, float, float, float]:
        """``(sqrt(abar_next), c, sigma, sqrt(abar_t))`` of the DDIM step t -> t_next:
        ``x_next = sqrt(abar_next) x0_hat + c eps_hat + sigma z`` with ``eps_hat =
        (x_t - sqrt(abar_t) x0_hat) / sqrt(1 - abar_t)``, ``sigma = eta sqrt((1 -
        abar_next) / (1 - abar_t) (1 - abar_t / abar_next))``, ``c = sqrt(1 - abar_next -
        sigma^2)``."""
        a_t, a_next = self.abar(t), self.abar(t_next)
        sigma = self.eta * math.sqrt((1 - a_next) / (1 - a_t) * (1 - a_t / a_next))
        c = math.sqrt(max(1 - a_next - sigma ** 2, 0.0))
        return math.sqrt(a_next), c, sigma, math.sqrt(a_t)

    def ddim_step(self, x_t: torch.Tensor, x0_hat: torch.Tensor, t: int, t_next: int,
                  z: torch.Tensor | None) -> torch.Tensor:
        """One DDIM step from x_t (step t) to step ``t_next`` given the predicted x0;
        ``z``: N(0, 1) draws (needed when eta > 0 and t_next >= 0)."""
        root_next, c, sigma, root_t = self.ddim_coefficients(t, t_next)
        eps_hat = (x_t - root_t * x0_hat) / math.sqrt(1 - root_t ** 2)
        x_next = root_next * x0_hat + c * eps_hat
        if sigma > 0:
            x_next = x_next + sigma * z
        return x_next

    def sample(self, denoiser: Denoiser, img: torch.Tensor, coarse_mask: torch.Tensor,
               steps: Sequence[int] | None = None, noise: NoiseSource | None = None,
               on_step: StepCallback | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """DDIM from the first of ``steps`` (the coarse mask noised there, or pure noise
        with ``coarse_channel``) through each of them to -1. Draws: one normal field for
        the start, one per step with eta > 0 but the last. Returns the last
        prediction's probability and its ``2 |p - 0.5|``."""
        steps = self.default_steps if steps is None else self.check_schedule(steps)
        noise = noise if noise is not None else TorchNoise()
        shape, device = coarse_mask.shape, coarse_mask.device
        eps = normal_draws(noise, shape, device)
        if self.coarse_channel:
            x = eps
        else:
            t0 = step_batch(steps[0], shape[0], device)
            x = self.q_sample(self.mask_signal(coarse_mask.float()), t0, eps)
        for i, t in enumerate(steps):
            t_next = steps[i + 1] if i + 1 < len(steps) else -1
            prob = torch.sigmoid(denoise(denoiser, img, self.network_input(x, coarse_mask), t))
            needs_z = self.eta > 0 and t_next >= 0
            z = normal_draws(noise, shape, device) if needs_z else None
            x = self.ddim_step(x, self.mask_signal(prob), t, t_next, z)
            if on_step is not None:
                on_step(t, prob)
        return prob, prediction_confidence(prob)
