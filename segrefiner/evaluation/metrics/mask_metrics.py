"""Whole-image mask metrics: cumulative IoU + mBA (BIG), and the DIS metric set."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from segrefiner.datasets.io import binarize_mask
from segrefiner.evaluation.functional.summary import (
    iou_mba_record,
    sod_scores,
    summarize_dis,
    summarize_iou_mba,
)
from segrefiner.registry import METRICS


def to_bool_mask(mask) -> np.ndarray:
    """(1, H, W) or (H, W) tensor / array -> (H, W) bool (:func:`binarize_mask`'s rules)."""
    if isinstance(mask, torch.Tensor):
        mask = mask.detach().cpu().numpy()
    mask = np.asarray(mask)
    return binarize_mask(mask[0] if mask.ndim == 3 else mask)


@METRICS.register_module()
class IoUMBAMetric(BaseMetric):
    """Cumulative IoU and mean boundary accuracy (``big/IoU``, ``big/mBA``).

    Expects data samples with ``pred_mask`` and ``gt_mask`` ((1, H, W), {0, 1}).
    """

    default_prefix = "big"

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(iou_mba_record(to_bool_mask(sample["gt_mask"]),
                                               to_bool_mask(sample["pred_mask"])))

    def compute_metrics(self, results: list) -> dict[str, float]:
        return summarize_iou_mba(results)


@METRICS.register_module()
class DISMetric(BaseMetric):
    """DIS5K metrics: IoU, mBA and maxF, wF, MAE, Sm, Em (``dis/...``)."""

    default_prefix = "dis"

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            gt, pred = to_bool_mask(sample["gt_mask"]), to_bool_mask(sample["pred_mask"])
            self.results.append({**iou_mba_record(gt, pred), **sod_scores(gt, pred)})

    def compute_metrics(self, results: list) -> dict[str, float]:
        return summarize_dis(results)
