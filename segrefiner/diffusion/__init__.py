"""Mask processes (config ``model.diffusion=dict(type=...)``, registry
``DIFFUSION_PROCESSES``) and the one source of randomness they share."""
from segrefiner.diffusion.direct import IterativeRefinement, NoDiffusion
from segrefiner.diffusion.discrete import DiscreteDiffusion
from segrefiner.diffusion.gaussian import GaussianMaskDiffusion
from segrefiner.diffusion.noise import (
    Denoiser,
    NoiseSource,
    ReplayNoise,
    StepCallback,
    TorchNoise,
    normal_draws,
)
from segrefiner.diffusion.process import MaskProcess

__all__ = [
    "Denoiser", "DiscreteDiffusion", "GaussianMaskDiffusion", "IterativeRefinement",
    "MaskProcess", "NoDiffusion", "NoiseSource", "ReplayNoise", "StepCallback", "TorchNoise",
    "build_process", "normal_draws",
]


def build_process(diffusion: dict | None = None, diffusion_cfg: dict | None = None) -> MaskProcess:
    """The model's mask process from ``model.diffusion`` (a registry config) or the
    official ``model.diffusion_cfg`` (DiscreteDiffusion's arguments); default
    DiscreteDiffusion(). ValueError when both are given."""
    from segrefiner.registry import DIFFUSION_PROCESSES

    if diffusion is not None and diffusion_cfg is not None:
        raise ValueError("model: give diffusion=dict(type=...) or diffusion_cfg, not both")
    if diffusion is not None:
        return DIFFUSION_PROCESSES.build(dict(diffusion))
    return DiscreteDiffusion(**(diffusion_cfg or {}))
