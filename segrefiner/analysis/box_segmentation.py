"""Coarse masks from a segmentation method the models never saw: GrabCut from a box.

:func:`box_grabcut_mask` segments the object inside a box around the accurate mask with
cv2.grabCut (colour mixture models and a graph cut, initialised from the rectangle only,
as an interactive user's box would start it). Its errors are a real method's errors
(background of the object's colours taken in, shadowed or thin parts left out), not the
random perturbation the models train on nor a plain resolution limit: a third kind of
coarse mask for evaluation. Deterministic: OpenCV's random state is seeded on each call.
"""
from __future__ import annotations

import numpy as np

from segrefiner.analysis.baselines import seeded_grabcut
from segrefiner.utils.boxes import mask_box


def box_of(gt: np.ndarray, margin: float = 0.05) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) of the foreground's tight box grown by ``margin`` of its size on every
    side and clipped to the image; None for an empty mask."""
    box = mask_box(gt)
    if box is None:
        return None
    x1, y1, x2, y2 = box
    height, width = np.asarray(gt).shape[:2]
    dy, dx = round(margin * (y2 - y1)), round(margin * (x2 - x1))
    x1, y1, x2, y2 = max(0, x1 - dx), max(0, y1 - dy), min(width, x2 + dx), min(height, y2 + dy)
    return x1, y1, x2 - x1, y2 - y1


def box_grabcut_mask(image: np.ndarray, gt: np.ndarray, margin: float = 0.05,
                     iterations: int = 5, seed: int = 0) -> np.ndarray:
    """(H, W, 3) uint8 RGB image and (H, W) accurate mask -> (H, W) uint8 {0, 1} mask:
    cv2.grabCut run ``iterations`` times from the mask's box (:func:`box_of`, ``margin``)
    with OpenCV's random state seeded by ``seed``. Everything outside the box is 0; an
    empty mask, or a box covering the whole image (GrabCut has no background to learn
    from), gives an empty result.
    """
    out = np.zeros(np.asarray(gt).shape[:2], np.uint8)
    box = box_of(gt, margin)
    if box is None or box[2] * box[3] == out.size:
        return out
    found = seeded_grabcut(image, np.zeros_like(out), iterations, seed, rect=box)
    if found is not None:  # None: degenerate colour models (e.g. a one-colour image)
        out[found] = 1
    return out
