"""Replaying ``segrefiner-reference/1`` behaviour bundles through the project's code.

A bundle (``torch.load(weights_only=True)``) holds a denoiser config, the schedule, a
state_dict with official key names and recorded cases with the official outputs and
the random draws the official code made. Each case is replayed through the same
functions users call (``SegRefiner.refine_instances`` etc.) with those draws.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from segrefiner.conformance.common import (
    RELATIVE_TOL,
    CaseResult,
    flipped_fraction,
    scaled_deviation,
)
from segrefiner.diffusion import ReplayNoise
from segrefiner.models.segrefiner import SegRefiner
from segrefiner.modes import INSTANCE, SEMANTIC
from segrefiner.utils.checkpoint import extract_state_dict

BUNDLE_FORMAT = "segrefiner-reference/1"


def build_model(bundle: Mapping[str, Any]) -> SegRefiner:
    """A SegRefiner with the bundle's denoiser and schedule, its weights loaded strictly."""
    betas = list(bundle["diffusion"]["betas_cumprod"])
    model = SegRefiner(
        denoise_model=dict(type="DenoiseUNet", **bundle["denoiser_cfg"]),
        diffusion_cfg=dict(betas_cumprod_start=betas[0], betas_cumprod_end=betas[-1],
                           num_timesteps=len(betas)))
    if [round(b, 12) for b in model.diffusion.betas_cumprod] != [round(b, 12) for b in betas]:
        raise ValueError(f"bundle schedule {betas} is not linear; not supported")
    model.load_state_dict(extract_state_dict(bundle["state_dict"], "bundle"), strict=True)
    return model.prepare_for_refinement()


class BundleReplayer:
    """Replays the cases of one bundle; ``max_flipped`` is the binary tolerance."""

    def __init__(self, bundle: Mapping[str, Any], max_flipped: float = 1e-4) -> None:
        if bundle.get("format") != BUNDLE_FORMAT:
            raise ValueError(f"not a {BUNDLE_FORMAT} bundle (format={bundle.get('format')!r})")
        self.bundle = bundle
        self.model = build_model(bundle)
        self.max_flipped = max_flipped
        self.handlers: dict[str, Callable[[dict], tuple[float, float, str]]] = {
            "unet": self._unet, "loop": self._loop, "train_loss": self._train_loss,
            "instance": self._instance, "semantic": self._semantic}

    def run(self) -> list[CaseResult]:
        results = []
        for index, case in enumerate(self.bundle["cases"]):
            kind = case.get("kind", "?")
            handler = self.handlers.get(kind)
            if handler is None:
                results.append(CaseResult(index, kind, float("inf"), 1.0, False, "unknown kind"))
                continue
            with torch.no_grad():
                deviation, flipped, detail = handler(case)
            agrees = deviation <= RELATIVE_TOL and flipped <= self.max_flipped
            results.append(CaseResult(index, kind, deviation, flipped, agrees, detail))
        return results

    # ------------------------------------------------------------- the kinds
    def _unet(self, case: dict) -> tuple[float, float, str]:
        logits = self.model.denoise_model(case["x"], case["t"])
        return scaled_deviation(logits, case["logits"]), 0.0, ""

    def _loop(self, case: dict) -> tuple[float, float, str]:
        noise = ReplayNoise(case["noise"])
        out, fine = self.model.diffusion.sample(
            self.model.denoise_model, case["img"], case["coarse"], case["steps"], noise)
        deviation = max(scaled_deviation(out, case["out"]),
                        scaled_deviation(fine, case["fine_probs"]))
        return deviation, 0.0, _unused(noise)

    def _train_loss(self, case: dict) -> tuple[float, float, str]:
        x_t = self.model.diffusion.q_sample(case["gt"], case["coarse"], case["t"],
                                            ReplayNoise([case["noise"]]))
        losses = self.model.loss_from_masks(case["img"], case["gt"], case["coarse"], case["t"],
                                            ReplayNoise([case["noise"]]))
        deviation = max(scaled_deviation(losses["loss_mask"], case["loss_mask"]),
                        scaled_deviation(losses["loss_texture"], case["loss_texture"]))
        return deviation, flipped_fraction(x_t, case["x_t"]), ""

    def _instance(self, case: dict) -> tuple[float, float, str]:
        self.model.test_cfg = dict(case["test_cfg"], mode=INSTANCE)
        noise = ReplayNoise(case["noise"])
        out = self.model.refine_instances(case["img"], case["coarse_masks"],
                                          steps=list(case["steps"]), noise=noise)
        return 0.0, flipped_fraction(out, case["out_masks"]), _unused(noise)

    def _semantic(self, case: dict) -> tuple[float, float, str]:
        self.model.test_cfg = dict(case["test_cfg"], mode=SEMANTIC)
        noise = ReplayNoise(case["noise"])
        out = self.model.refine_semantic(case["img"], case["coarse_mask"], noise=noise)
        return 0.0, flipped_fraction(out, case["out_mask"]), _unused(noise)


def _unused(noise: ReplayNoise) -> str:
    return f"{noise.remaining} recorded draws unused" if noise.remaining else ""
