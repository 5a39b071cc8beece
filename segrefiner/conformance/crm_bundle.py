"""Replaying ``segrefiner-crm-reference/1`` bundles (CRM's recorded behaviour).

A bundle holds a state_dict under the released key names (``module.`` prefix; float16 in
the public bundle, exact values) and cases: ``features`` (normalisation, backbone and head
outputs), ``query`` (the implicit decoder's logits at given coordinates), ``train_loss``
(the four losses and the Sobel magnitudes) and ``refine`` (the padded probability after
each scale, the 8-bit output and the final binary mask of a whole image). Each is replayed
through the functions users call.
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
from segrefiner.inference.continuous import ContinuousTestCfg, mask_png, refine_continuous
from segrefiner.models.crm import CRM, crm_losses
from segrefiner.utils.checkpoint import extract_state_dict

CRM_BUNDLE_FORMAT = "segrefiner-crm-reference/1"
BACKENDS = {"resnet50": dict(base_width=64, blocks=(3, 4, 6, 3))}
PNG_TIE = 0.03  # 8-bit outputs may differ where 255 p is this close to an integer
MASK_TIE = 1e-4  # binary outputs may differ where p is this close to 129 / 255


def build_crm(bundle: Mapping[str, Any]) -> CRM:
    """A CRM of the bundle's backend and normalisation, its weights (cast to float32)
    loaded strictly."""
    hyper = bundle.get("hyper", {})
    backend = hyper.get("backend", "resnet50")
    if backend not in BACKENDS:
        raise ValueError(f"backend {backend!r} not supported (have {sorted(BACKENDS)})")
    preprocessor = dict(type="RefinerDataPreprocessor", scale=255.0,
                        mean=hyper.get("im_mean", (0.485, 0.456, 0.406)),
                        std=hyper.get("im_std", (0.229, 0.224, 0.225)))
    model = CRM(**BACKENDS[backend], data_preprocessor=preprocessor)
    state_dict = {k: v.float() if v.is_floating_point() else v
                  for k, v in extract_state_dict(bundle["state_dict"], "bundle").items()}
    model.load_state_dict(state_dict, strict=True)
    return model.prepare_for_refinement()


def recorded_threads(bundle: Mapping[str, Any]) -> int | None:
    """The CPU threads of the recorded run, where a case says."""
    for case in bundle["cases"]:
        if "threads" in case:
            return int(case["threads"])
    return None


class CRMBundleReplayer:
    """Replays the cases of one CRM bundle; ``max_flipped`` bounds the share of binary
    pixels that may differ away from ties."""

    def __init__(self, bundle: Mapping[str, Any], max_flipped: float = 1e-4) -> None:
        if bundle.get("format") != CRM_BUNDLE_FORMAT:
            raise ValueError(f"not a {CRM_BUNDLE_FORMAT} bundle (format={bundle.get('format')!r})")
        self.bundle = bundle
        self.model = build_crm(bundle)
        self.max_flipped = max_flipped
        # A handler returns (max deviation, share of differing binary pixels, detail,
        # whether the binary outputs agree: differences only at ties, few enough).
        self.handlers: dict[str, Callable[[dict], tuple[float, float, str, bool]]] = {
            "features": self._features, "query": self._query,
            "train_loss": self._train_loss, "refine": self._refine}

    def run(self) -> list[CaseResult]:
        """Replay every case, with torch on the recorded run's thread count (oneDNN
        splits convolutions by thread, and random weights amplify the rounding)."""
        threads, saved = recorded_threads(self.bundle), torch.get_num_threads()
        if threads:
            torch.set_num_threads(threads)
        try:
            return [self._case(index, case) for index, case in enumerate(self.bundle["cases"])]
        finally:
            torch.set_num_threads(saved)

    def _case(self, index: int, case: dict) -> CaseResult:
        kind = case.get("kind", "?")
        handler = self.handlers.get(kind)
        if handler is None:
            return CaseResult(index, kind, float("inf"), 1.0, False, "unknown kind")
        with torch.no_grad():
            deviation, flipped, detail, binary_agrees = handler(case)
        agrees = deviation <= RELATIVE_TOL and binary_agrees
        return CaseResult(index, kind, deviation, flipped, agrees, detail)

    # ------------------------------------------------------------- the kinds
    def _features(self, case: dict) -> tuple[float, float, str]:
        preprocessor = self.model.data_preprocessor
        deviations = []
        if "image_u8" in case:
            deviations.append(scaled_deviation(
                preprocessor.image_tensor(case["image_u8"].numpy()), case["img"]))
        if "mask_u8" in case:
            seg = (case["mask_u8"].float() / 255 - 0.5) / 0.5
            deviations.append(scaled_deviation(seg[None, None], case["seg"]))
        x1, x2, x3 = self.model.feats(torch.cat([case["img"], case["seg"]], dim=1))
        feat = self.model.aspp_(x1, x2, x3)
        for name, ours in (("x1", x1), ("x2", x2), ("x3", x3), ("feat", feat)):
            deviations.append(scaled_deviation(ours, case[name]))
        return max(deviations), 0.0, "", True

    def _query(self, case: dict) -> tuple[float, float, str]:
        logits = self.model.query(case["feat"], case["coord"], case["cell"])
        return scaled_deviation(logits, case["logits"]), 0.0, case.get("tag", ""), True

    def _train_loss(self, case: dict) -> tuple[float, float, str]:
        weights = {k.removesuffix("_weight"): float(v) for k, v in case["weights"].items()}
        losses = crm_losses(case["logits"], case["gt"], weights)
        names = ("gt_sobel", "pred_sobel", "ce_loss", "l1_loss", "l2_loss", "grad_loss", "loss")
        deviation = max(scaled_deviation(losses[n], case[n]) for n in names if n in case)
        return deviation, 0.0, "", True

    def _refine(self, case: dict) -> tuple[float, float, str, bool]:
        hyper = {**self.bundle.get("hyper", {}), **case.get("hyper", {})}
        cfg = ContinuousTestCfg(scales=tuple(float(s) for s in hyper["s_list"]),
                                pad=int(hyper["pad"]),
                                query_chunk=int(hyper.get("memory_chunk", 802_816)))
        img = self.model.data_preprocessor.image_tensor(case["image"].numpy())
        probs: list[torch.Tensor] = []
        mask, prob = refine_continuous(self.model, img, case["coarse"] > 127, cfg,
                                       lambda _, p: probs.append(p[0, 0].clone()))
        deviations = [scaled_deviation(prob, case["prob"])]
        deviations += [scaled_deviation(p, r) for p, r in zip(probs, case["probs"], strict=True)]
        # 8-bit output: identical except where 255 p is within PNG_TIE of an integer;
        # binary mask: identical except where p is within MASK_TIE of 129 / 255.
        ref = case["prob"].double()
        png_tie = ((ref * 255) - (ref * 255).round()).abs() <= PNG_TIE
        mask_tie = (ref - 129 / 255).abs() <= MASK_TIE
        png_diff = mask_png(prob) != case["mask_png"]
        mask_diff = mask != case["out_mask"].to(mask.dtype)
        off_tie = int((png_diff & ~png_tie).sum()) + int((mask_diff & ~mask_tie).sum())
        tied = float((mask_diff & mask_tie).double().mean())
        detail = (f"{case.get('name', '')}: {int(png_diff.sum())} 8-bit and "
                  f"{int(mask_diff.sum())} mask pixels differ, {off_tie} away from ties")
        return max(deviations), flipped_fraction(mask, case["out_mask"]), detail, (
            off_tie == 0 and tied <= self.max_flipped)
