"""Mean boundary accuracy (mBA) exactly as CascadePSP computes it."""
from __future__ import annotations

import math

import cv2
import numpy as np

NUM_RADII = 5


def mba_radii(height: int, width: int) -> list[int]:
    """r_i = 1 + int((R - 1) / 5 * i), R = (w + h) / 300, i = 0..4."""
    max_radius = (width + height) / 300
    return [1 + int((max_radius - 1) / NUM_RADII * i) for i in range(NUM_RADII)]


def boundary_accuracy(gt: np.ndarray, pred: np.ndarray) -> float:
    """Mean over the radii of the pixel accuracy inside the GT boundary band.

    gt, pred: (H, W) bool. The band at radius r is the morphological gradient of the GT
    with an elliptic (2r+1) kernel; the image frame is not a boundary. Returns NaN when
    the GT has no boundary at all (empty or full mask): the accuracy is undefined there.
    """
    if gt.shape != pred.shape:
        raise ValueError(f"mask shapes differ: gt {gt.shape}, pred {pred.shape}")
    gt_u8 = np.ascontiguousarray(gt, dtype=np.uint8)
    correct = gt == pred
    accuracies = []
    for radius in mba_radii(*gt.shape):
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        band = cv2.morphologyEx(gt_u8, cv2.MORPH_GRADIENT, kernel) > 0
        num_band = int(np.count_nonzero(band))
        if num_band == 0:
            return math.nan
        accuracies.append(np.count_nonzero(correct & band) / num_band)
    return float(sum(accuracies) / NUM_RADII)
