"""Classical mask refiners a practitioner would try instead: GrabCut and a guided filter.

Both take an (H, W, 3) uint8 RGB image and an (H, W) bool coarse mask and return an
(H, W) bool mask; they are the comparison points of the bundled model's card.
"""
from __future__ import annotations

import cv2
import numpy as np


def seeded_grabcut(image: np.ndarray, labels: np.ndarray, iterations: int, seed: int,
                   rect: tuple[int, int, int, int] | None = None) -> np.ndarray | None:
    """cv2.grabCut on an (H, W, 3) uint8 RGB image with OpenCV's random state seeded by
    ``seed`` (its colour models start from a random draw), so a run repeats exactly.

    Initialised from ``labels`` (H, W) uint8 GC_* values, or from ``rect`` (x, y, w, h)
    when given (``labels`` then only receives the result). Returns the (H, W) bool
    foreground, or None when the colour models are degenerate (cv2.error).
    """
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    mode = cv2.GC_INIT_WITH_MASK if rect is None else cv2.GC_INIT_WITH_RECT
    cv2.setRNGSeed(seed)
    try:
        cv2.grabCut(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), labels, rect, bgd, fgd,
                    iterations, mode)
    except cv2.error:
        return None
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def grabcut_refine(image: np.ndarray, coarse: np.ndarray, iterations: int = 5,
                   band_ratio: float = 0.05, seed: int = 0) -> np.ndarray:
    """cv2.grabCut initialised from the mask (:func:`seeded_grabcut`, ``seed``).

    Pixels deep inside the mask (eroded by a band of ``band_ratio`` of the image
    diagonal) are sure foreground, pixels farther than that band outside are sure
    background, the band itself is "probably" fore / background as the mask says.
    Degenerate colour models keep the input.
    """
    coarse = coarse.astype(bool)
    if not coarse.any() or coarse.all():
        return coarse.copy()
    band = max(1, round(band_ratio * float(np.hypot(*coarse.shape))))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    inner = cv2.erode(coarse.astype(np.uint8), kernel).astype(bool)
    outer = cv2.dilate(coarse.astype(np.uint8), kernel).astype(bool)
    labels = np.full(coarse.shape, cv2.GC_BGD, np.uint8)
    labels[outer] = cv2.GC_PR_BGD
    labels[coarse] = cv2.GC_PR_FGD
    labels[inner] = cv2.GC_FGD
    result = seeded_grabcut(image, labels, iterations, seed)
    return coarse.copy() if result is None else result


def guided_filter_refine(image: np.ndarray, coarse: np.ndarray, radius_ratio: float = 0.01,
                         eps: float = 1e-3) -> np.ndarray:
    """Grey-guide guided filter (He et al.) of the mask, thresholded at 0.5.

    The radius is ``radius_ratio`` of the image diagonal (at least 2 px).
    """
    guide = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    src = coarse.astype(np.float32)
    radius = max(2, round(radius_ratio * float(np.hypot(*coarse.shape))))
    size = (2 * radius + 1, 2 * radius + 1)

    def box(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, size, borderType=cv2.BORDER_REFLECT)

    mean_i, mean_p = box(guide), box(src)
    cov_ip = box(guide * src) - mean_i * mean_p
    var_i = box(guide * guide) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return (box(a) * guide + box(b)) >= 0.5
