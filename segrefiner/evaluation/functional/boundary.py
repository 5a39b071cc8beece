"""Mask -> boundary as in lvis-api's lvis_challenge_2021 branch (Boundary IoU)."""
from __future__ import annotations

import cv2
import numpy as np

DILATION_RATIO = 0.02


def boundary_width(height: int, width: int, dilation_ratio: float = DILATION_RATIO) -> int:
    """d = max(1, round(dilation_ratio * image diagonal)) (Python's round)."""
    return max(1, round(dilation_ratio * float(np.sqrt(height**2 + width**2))))


def mask_to_boundary(mask: np.ndarray, dilation_ratio: float = DILATION_RATIO) -> np.ndarray:
    """Inner boundary band of a binary mask.

    mask: (H, W) {0, 1}. Returns (H, W) uint8 {0, 1}: mask minus its erosion by a 3x3
    kernel applied d times, after padding by one background pixel so that an object
    cut by the image frame has a boundary there too.
    """
    mask = np.ascontiguousarray(mask, dtype=np.uint8)
    h, w = mask.shape
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    eroded = cv2.erode(padded, np.ones((3, 3), np.uint8),
                       iterations=boundary_width(h, w, dilation_ratio))
    return mask - eroded[1:h + 1, 1:w + 1]
