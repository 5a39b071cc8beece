"""Per-image records and dataset summaries of the whole-image metrics (numpy only).

IoU is dataset-cumulative; mBA is averaged over images whose GT has a boundary (an
empty or full GT has none: its mBA is NaN and it is left out of the mean). The DIS set
adds pysodmetrics' maxF, weighted F, MAE, S-measure and mean E-measure.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from segrefiner.evaluation.functional.iou import cumulative_iou, intersection_union
from segrefiner.evaluation.functional.mba import boundary_accuracy


def iou_mba_record(gt: np.ndarray, pred: np.ndarray) -> dict:
    """Per-image counts for IoU and the boundary accuracy of two (H, W) bool masks."""
    inter, union = intersection_union(gt, pred)
    return dict(inter=inter, union=union, mba=boundary_accuracy(gt, pred))


def summarize_iou_mba(records: Sequence[dict]) -> dict[str, float]:
    """IoU = sum(I)/sum(U) over images; mBA = mean over images whose GT has a boundary."""
    mbas = [r["mba"] for r in records if not math.isnan(r["mba"])]
    return dict(IoU=cumulative_iou((r["inter"], r["union"]) for r in records),
                mBA=float(np.mean(mbas)) if mbas else math.nan)


def sod_scores(gt: np.ndarray, pred: np.ndarray) -> dict:
    """Per-image state of the DIS salient-object metrics (pysodmetrics)."""
    import py_sod_metrics as sod

    gt_u8 = gt.astype(np.uint8) * 255
    pred_u8 = pred.astype(np.uint8) * 255
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meters = dict(fm=sod.Fmeasure(), wfm=sod.WeightedFmeasure(), mae=sod.MAE(),
                      sm=sod.Smeasure(), em=sod.Emeasure())
    for meter in meters.values():
        meter.step(pred=pred_u8, gt=gt_u8)
    out = {}
    out.update(meters["fm"].get_results())
    out.update(meters["wfm"].get_results())
    out.update(meters["mae"].get_results())
    out.update(meters["sm"].get_results())
    out.update(meters["em"].get_results())
    return dict(fm_curve=np.asarray(out["fm"]["curve"]), wfm=float(out["wfm"]),
                mae=float(out["mae"]), sm=float(out["sm"]), em_curve=np.asarray(out["em"]["curve"]))


def summarize_dis(records: Sequence[dict]) -> dict[str, float]:
    """IoU, mBA, maxF, weighted F, MAE, S-measure, mean E-measure over images."""
    out = summarize_iou_mba(records)
    out.update(
        maxF=float(np.mean([r["fm_curve"] for r in records], axis=0).max()),
        wF=float(np.mean([r["wfm"] for r in records])),
        MAE=float(np.mean([r["mae"] for r in records])),
        Sm=float(np.mean([r["sm"] for r in records])),
        Em=float(np.mean([r["em_curve"] for r in records], axis=0).mean()))
    return out
