"""Coarse masks as a 28 x 28 mask head gives them (Mask R-CNN-style), from accurate ones.

An instance-segmentation mask head predicts a ``resolution`` x ``resolution`` soft mask
inside the object's box, which is then resized bilinearly to the box and thresholded at
0.5. :func:`mask_head_mask` applies exactly that resolution limit to an accurate mask
(area-averaged down to the grid, bilinear back up): boundaries lose their detail and thin
parts vanish, with none of a real model's recognition errors. Deterministic: a second kind
of coarse mask for evaluation, unlike the random perturbation the models are trained on.
"""
from __future__ import annotations

import cv2
import numpy as np

from segrefiner.utils.boxes import mask_box


def mask_head_mask(gt: np.ndarray, resolution: int = 28) -> np.ndarray:
    """(H, W) bool / {0, 1} accurate mask -> (H, W) uint8 {0, 1} mask-head-resolution mask.

    The tight box of the foreground is area-resized to ``resolution`` squared, then
    bilinearly resized back to the box and thresholded at >= 0.5; outside the box is 0.
    An empty mask stays empty.
    """
    mask = np.asarray(gt).astype(bool)
    out = np.zeros(mask.shape, np.uint8)
    box = mask_box(mask)
    if box is None:
        return out
    x1, y1, x2, y2 = box
    crop = mask[y1:y2, x1:x2].astype(np.float32)
    small = cv2.resize(crop, (resolution, resolution), interpolation=cv2.INTER_AREA)
    back = cv2.resize(small, (x2 - x1, y2 - y1), interpolation=cv2.INTER_LINEAR)
    out[y1:y2, x1:x2] = back >= 0.5
    return out
