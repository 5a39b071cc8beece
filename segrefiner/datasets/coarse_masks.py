"""Synthetic coarse masks from accurate ones (the LR training perturbation).

Two steps, as the official training code:

1. :func:`modify_contours` - for every contour of the mask with at least 10 vertices,
   drop a consecutive run of ``regional_sample_rate`` of its vertices, keep a random
   ``sample_rate`` share of the rest (in order) and fill the resulting polygons.
2. :func:`perturb_mask` - rounds of four random rectangles, each dilated or eroded with
   a random 3..9 rectangle / ellipse kernel (sometimes after flipping its centre pixel),
   until the IoU with the step-1 mask (not the GT) falls below ``iou_target``, for at
   most ``max_rounds`` rounds.

Not official: :func:`smooth_mask`, a low-pass error (blur, threshold) such as a model
that predicts at a lower resolution makes: rounded corners, thin parts lost.

All randomness comes from one ``numpy.random.Generator``, so a seed fixes the result.
"""
from __future__ import annotations

import cv2
import numpy as np

MIN_CONTOUR_VERTICES = 10


CONTOUR_RETRIEVAL = {"tree": cv2.RETR_TREE, "list": cv2.RETR_LIST}
RUN_STARTS = ("uniform", "closest")


def modify_contours(mask: np.ndarray, rng: np.random.Generator,
                    regional_sample_rate: float = 0.1, sample_rate: float = 0.1,
                    retrieval: str = "tree", run_start: str = "uniform") -> np.ndarray:
    """(H, W) {0,1} uint8 mask -> (H, W) {0,1} uint8 mask with simplified contours.

    ``retrieval``: cv2's contour mode, ``tree`` (SegRefiner's LR code) or ``list``
    (CascadePSP / CRM). ``run_start``: where the removed run of vertices starts,
    ``uniform`` over all vertices, or ``closest``: uniform over the
    ``regional_sample_rate`` share of starts whose run has the closest end points (a run
    that cuts a short chord off the shape, CascadePSP / CRM). A mask whose contours are
    all too short is returned unchanged.
    """
    if retrieval not in CONTOUR_RETRIEVAL or run_start not in RUN_STARTS:
        raise ValueError(f"retrieval must be one of {sorted(CONTOUR_RETRIEVAL)} and run_start "
                         f"one of {RUN_STARTS}, got {retrieval!r}, {run_start!r}")
    contours, _ = cv2.findContours(mask.astype(np.uint8), CONTOUR_RETRIEVAL[retrieval],
                                   cv2.CHAIN_APPROX_NONE)
    polygons = []
    for contour in contours:
        points = contour[:, 0, :]
        n = len(points)
        if n < MIN_CONTOUR_VERTICES:
            continue
        run = int(n * regional_sample_rate)
        if run_start == "closest":
            chords = np.linalg.norm(points - np.roll(points, -run, axis=0), axis=1)
            candidates = np.argsort(chords, kind="stable")[:max(1, run)]
            start = int(candidates[rng.integers(len(candidates))])
        else:
            start = int(rng.integers(n))
        kept = np.delete(points, (start + np.arange(run)) % n, axis=0)
        count = max(3, int(len(kept) * sample_rate))
        picked = np.sort(rng.choice(len(kept), size=min(count, len(kept)), replace=False))
        polygons.append(kept[picked].astype(np.int32))
    if not polygons:
        return mask.astype(np.uint8)
    out = np.zeros(mask.shape, np.uint8)
    cv2.fillPoly(out, polygons, 1)
    return out


def random_kernel(rng: np.random.Generator, low: int = 3, high: int = 10) -> np.ndarray:
    """A random structuring element: rect, ellipse, or a flat / tall ellipse, size low..high-1."""
    size = int(rng.integers(low, high))
    shape = int(rng.integers(4))
    if shape == 0:
        return cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    if shape == 1:
        return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    if shape == 2:
        return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, max(1, size // 2)))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (max(1, size // 2), size))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


def perturb_mask(mask: np.ndarray, rng: np.random.Generator, iou_target: float = 0.8,
                 max_rounds: int = 250, rects_per_round: int = 4) -> np.ndarray:
    """Random local dilations / erosions until IoU with ``mask`` < iou_target.

    mask: (H, W) {0,1} uint8. Returns a new (H, W) {0,1} uint8 mask.
    """
    h, w = mask.shape
    seg = mask.astype(np.uint8).copy()
    if h <= 2 or w <= 2:
        return seg
    ref = mask.astype(bool)
    for _ in range(max_rounds):
        for _ in range(rects_per_round):
            x1, y1 = int(rng.integers(w)), int(rng.integers(h))
            x2, y2 = int(rng.integers(x1 + 1, w + 1)), int(rng.integers(y1 + 1, h + 1))
            if rng.random() < 0.25:
                seg[(y1 + y2) // 2, (x1 + x2) // 2] = int(rng.integers(2))
            region = seg[y1:y2, x1:x2]
            op = cv2.dilate if rng.random() < 0.5 else cv2.erode
            seg[y1:y2, x1:x2] = op(region, random_kernel(rng), iterations=1)
        if _iou(seg.astype(bool), ref) < iou_target:
            break
    return seg


def make_coarse_mask(gt: np.ndarray, rng: np.random.Generator, iou_target: float = 0.8,
                     max_rounds: int = 250, retrieval: str = "tree",
                     run_start: str = "uniform") -> np.ndarray:
    """The full LR perturbation: contour modification (``retrieval``, ``run_start``: see
    :func:`modify_contours`), then random dilate / erode.

    gt: (H, W) bool or {0,1}. Returns (H, W) uint8 {0,1}.
    """
    modified = modify_contours(np.asarray(gt).astype(np.uint8), rng, retrieval=retrieval,
                               run_start=run_start)
    return perturb_mask(modified, rng, iou_target=iou_target, max_rounds=max_rounds)


def smooth_mask(mask: np.ndarray, rng: np.random.Generator, iou_target: float = 0.95,
                threshold_range: tuple[float, float] = (0.35, 0.65),
                max_sigma_share: float = 0.1) -> np.ndarray:
    """A low-pass version of ``mask``: Gaussian blur, then a threshold drawn from
    ``threshold_range`` (off 0.5 it also grows / shrinks the mask).

    sigma starts at 1 px and grows by 1.5x until the IoU with ``mask`` falls below
    ``iou_target`` or sigma passes ``max_sigma_share`` of the mask's box diagonal; the
    last result is returned (so a mask too smooth to reach the target comes back with
    at most that much blur). mask: (H, W) {0, 1}. Returns (H, W) uint8 {0, 1}.
    """
    ref = np.asarray(mask).astype(bool)
    out = ref.astype(np.uint8)
    ys, xs = np.nonzero(ref)
    if len(ys) == 0:
        return out
    diagonal = float(np.hypot(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1))
    threshold = float(rng.uniform(*threshold_range))
    source = ref.astype(np.float32)
    sigma = 1.0
    while sigma <= max(1.0, max_sigma_share * diagonal):
        out = (cv2.GaussianBlur(source, (0, 0), sigma) >= threshold).astype(np.uint8)
        if _iou(out.astype(bool), ref) < iou_target:
            break
        sigma *= 1.5
    return out
