"""Mask IoU: per pair and dataset-cumulative (sum of intersections / sum of unions)."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def intersection_union(gt: np.ndarray, pred: np.ndarray) -> tuple[int, int]:
    """Pixel counts of gt & pred and gt | pred for two (H, W) bool masks."""
    if gt.shape != pred.shape:
        raise ValueError(f"mask shapes differ: gt {gt.shape}, pred {pred.shape}")
    return int(np.count_nonzero(gt & pred)), int(np.count_nonzero(gt | pred))


def mask_iou(gt: np.ndarray, pred: np.ndarray) -> float:
    """IoU of two (H, W) bool masks; 1.0 when both are empty."""
    inter, union = intersection_union(gt, pred)
    return inter / union if union else 1.0


def cumulative_iou(counts: Iterable[tuple[int, int]]) -> float:
    """sum(I) / sum(U) over (intersection, union) pairs; 1.0 when every union is empty."""
    inter = union = 0
    for i, u in counts:
        inter += i
        union += u
    return inter / union if union else 1.0
