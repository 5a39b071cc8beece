"""Instance refinement (COCO / LVIS, LR model): one crop per instance, chunked sampling.

Each instance whose coarse area is at least ``area_thr`` is cropped around its tight box
(expanded by ``pad_width``), resized to ``model_size``, refined by the sampler in chunks
of at most ``batch_size`` and pasted back onto the full image. Smaller ones are kept.
Opt-in, as on the semantic path (segrefiner.inference.change_gate): deep regions of
change the model is unsure of dropped (``deep_change``), and a pasted result changing
its input only where the model is as sure as the boundary shift asks
(``change_confidence``, ``accurate_shift``, ``accurate_confidence``). Both are decided
on the crop, at the model's resolution, where resampling does not count as a change.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from segrefiner.diffusion import Denoiser, MaskProcess, NoiseSource
from segrefiner.diffusion.process import prediction_confidence
from segrefiner.inference.change_gate import (
    ChangeGate,
    drop_deep_changes,
    keep_unsure_pixels,
    keeps_unsure_pixels,
    sure_shift,
)
from segrefiner.utils.boxes import tight_boxes


@dataclass(frozen=True)
class InstanceTestCfg(ChangeGate):
    """Test settings of the instance path (official defaults), with the change gate's
    (:class:`ChangeGate`: off by default)."""

    model_size: int = 256
    pad_width: int = 20
    batch_size: int = 32  # crops per sampler chunk (official name: batch_max)
    area_thr: int = 512


def padded_boxes(masks: torch.Tensor, pad_width: int) -> torch.Tensor:
    """Tight boxes of non-empty masks, expanded by ``pad_width`` and clamped to the image.

    masks: (N, H, W) bool, each with at least one pixel. Returns (N, 4) int64
    ``x1, y1, x2, y2`` with exclusive ends (x2 = last column + 1).
    """
    h, w = masks.shape[-2:]
    x1, y1, x2, y2 = tight_boxes(masks).unbind(dim=1)
    boxes = torch.stack([x1 - pad_width, y1 - pad_width, x2 + pad_width, y2 + pad_width], dim=1)
    limits = torch.tensor([w, h, w, h], device=masks.device)
    return boxes.clamp(min=torch.zeros_like(limits), max=limits)


def crop_and_resize(img: torch.Tensor, masks: torch.Tensor, boxes: torch.Tensor,
                    size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Crop the image and each mask at ``boxes`` and resize bilinearly to ``size``.

    img: (1, 3, H, W); masks: (N, H, W) bool; boxes: (N, 4) int64.
    Returns image crops (N, 3, size, size) and binary mask crops (N, 1, size, size)
    (mask thresholded at >= 0.5 after the bilinear resize).
    """
    img_crops, mask_crops = [], []
    for mask, (x1, y1, x2, y2) in zip(masks, boxes.tolist(), strict=True):
        img_crop = img[:, :, y1:y2, x1:x2]
        mask_crop = mask[None, None, y1:y2, x1:x2].to(img.dtype)
        img_crops.append(F.interpolate(img_crop, (size, size), mode="bilinear"))
        mask_crops.append(F.interpolate(mask_crop, (size, size), mode="bilinear") >= 0.5)
    return torch.cat(img_crops), torch.cat(mask_crops).to(img.dtype)


def paste_back(probs: torch.Tensor, boxes: torch.Tensor, height: int, width: int,
               coarse: torch.Tensor | None = None, cfg: InstanceTestCfg | None = None,
               shifts: Sequence[float] | None = None) -> torch.Tensor:
    """Paste (N, 1, S, S) probabilities into (N, H, W) bool masks at ``boxes``.

    Bilinear ``grid_sample`` at full-image pixel centres (align_corners=False), zero
    outside the crop, threshold >= 0.5. Pixels outside a box always sample < 0.5, so only
    the box region is computed. Where ``cfg`` decides pixel by pixel
    (``change_confidence``, ``accurate_shift``: change_gate.keep_unsure_pixels), pixels of
    the box less sure than the result's boundary shift asks keep the (N, H, W) bool
    ``coarse``. ``shifts``: each result's boundary shift measured elsewhere (None: in the
    box, pasted against ``coarse``).
    """
    gate = cfg is not None and coarse is not None and keeps_unsure_pixels(cfg)
    out = torch.zeros((probs.shape[0], height, width), dtype=torch.bool, device=probs.device)
    for i, (x1, y1, x2, y2) in enumerate(boxes.tolist()):
        ys = (torch.arange(y1, y2, device=probs.device, dtype=torch.float32) + 0.5 - y1) / (y2 - y1)
        xs = (torch.arange(x1, x2, device=probs.device, dtype=torch.float32) + 0.5 - x1) / (x2 - x1)
        gy, gx = torch.meshgrid(ys * 2 - 1, xs * 2 - 1, indexing="ij")
        grid = torch.stack([gx, gy], dim=-1)[None]
        pasted = F.grid_sample(probs[i:i + 1].float(), grid, mode="bilinear",
                               padding_mode="zeros", align_corners=False)
        out[i, y1:y2, x1:x2] = pasted[0, 0] >= 0.5
        if gate:  # the coarse mask lies inside its box: the box decides alone
            box = (slice(y1, y2), slice(x1, x2))
            out[i][box] = keep_unsure_pixels(prediction_confidence(pasted[0, 0]), out[i][box],
                                             coarse[i][box], cfg,
                                             None if shifts is None else shifts[i])
    return out


def drop_deep_crop_changes(probs: torch.Tensor, mask_crops: torch.Tensor,
                           cfg: InstanceTestCfg) -> torch.Tensor:
    """(N, 1, S, S) probabilities with each crop's deep changes the model is unsure of
    (:func:`drop_deep_changes`) set to the (N, 1, S, S) {0, 1} input crop's value."""
    out = probs.clone()
    for prob, crop, result in zip(probs[:, 0], mask_crops[:, 0], out[:, 0], strict=True):
        refined, coarse = prob >= 0.5, crop >= 0.5
        kept = drop_deep_changes(refined, coarse, prediction_confidence(prob), cfg)
        dropped = kept != refined
        result[dropped] = crop[dropped].to(result.dtype)
    return out


def refine_instances(denoiser: Denoiser, diffusion: MaskProcess, img: torch.Tensor,
                     coarse_masks: torch.Tensor, cfg: InstanceTestCfg = InstanceTestCfg(),
                     steps: Sequence[int] | None = None,
                     noise: NoiseSource | None = None,
                     on_instances: Callable[[int, int], None] | None = None) -> torch.Tensor:
    """Refine N instance masks of one image.

    Args:
        denoiser: the denoising network.
        diffusion: the sampler.
        img: (1, 3, H, W) normalised image.
        coarse_masks: (N, H, W) bool or {0, 1}.
        cfg: model_size, pad_width, batch_size, area_thr.
        steps: sampling steps (default all, ``[5, ..., 0]``).
        noise: U(0,1) source; draws are taken chunk by chunk in input order.
        on_instances: ``on_instances(done, total)`` after each chunk (instances kept as
            they are count as done at the start).

    Returns:
        (N, H, W) uint8 in {0, 1}; instances with area < area_thr are returned unchanged.
    """
    masks = coarse_masks.bool()
    out = masks.to(torch.uint8).clone()
    height, width = masks.shape[-2:]
    refined = torch.nonzero(masks.sum(dim=(1, 2)) >= cfg.area_thr).flatten()
    done = len(masks) - len(refined)
    if on_instances is not None:
        on_instances(done, len(masks))
    for chunk in refined.split(cfg.batch_size) if len(refined) else ():
        boxes = padded_boxes(masks[chunk], cfg.pad_width)
        img_crops, mask_crops = crop_and_resize(img, masks[chunk], boxes, cfg.model_size)
        probs, _ = diffusion.sample(denoiser, img_crops, mask_crops, steps, noise)
        if cfg.deep_change is not None:
            probs = drop_deep_crop_changes(probs, mask_crops, cfg)
        shifts = None
        if cfg.accurate_shift is not None:  # at the model's resolution, before resampling
            shifts = [sure_shift(prediction_confidence(prob[0]), prob[0] >= 0.5, crop[0] >= 0.5,
                                 cfg.shift_confidence)
                      for prob, crop in zip(probs, mask_crops, strict=True)]
        out[chunk] = paste_back(probs, boxes, height, width, masks[chunk], cfg,
                                shifts).to(torch.uint8)
        done += len(chunk)
        if on_instances is not None:
            on_instances(done, len(masks))
    return out
