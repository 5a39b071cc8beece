"""Mask AP and Boundary AP for LVIS (lvis 0.5.3) and COCO (pycocotools).

``iou_type='boundary'`` follows lvis-api's lvis_challenge_2021 branch (Boundary IoU,
Cheng et al. 2021): every mask is turned into its inner boundary band
(:func:`mask_to_boundary`, dilation ratio 0.02) and a detection matches a ground truth
with ``min(mask IoU, boundary IoU)``. Boundaries are extracted in worker processes when
there are many masks, as the reference does.
"""
from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from multiprocessing import get_context
from typing import Any

import numpy as np
import pycocotools.mask as mask_utils
from lvis import LVIS, LVISEval, LVISResults
from pycocotools.cocoeval import COCOeval

from segrefiner.compat import numpy_float_alias
from segrefiner.evaluation.functional.boundary import DILATION_RATIO, mask_to_boundary

IOU_TYPES = ("segm", "boundary")


class LoadedLVIS(LVIS):
    """``lvis.LVIS`` built from an annotation dict already in memory (or a path)."""

    def _load_json(self, path_or_dict):
        return path_or_dict if isinstance(path_or_dict, dict) else super()._load_json(path_or_dict)

PARALLEL_MIN_MASKS = 256  # below this many masks, one process is faster


def rle_to_boundary_rle(rle: dict, dilation_ratio: float = DILATION_RATIO) -> dict:
    """RLE of a mask -> RLE of its boundary band."""
    boundary = mask_to_boundary(mask_utils.decode(rle), dilation_ratio)
    return mask_utils.encode(np.asfortranarray(boundary))


def _boundaries_of(args: tuple[list[dict], float]) -> list[dict]:
    rles, dilation_ratio = args
    return [rle_to_boundary_rle(rle, dilation_ratio) for rle in rles]


def boundary_rles(rles: Sequence[dict], dilation_ratio: float = DILATION_RATIO,
                  num_workers: int | None = None) -> list[dict]:
    """Boundary RLEs of many mask RLEs, in worker processes when there are many."""
    workers = num_workers if num_workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(rles) < PARALLEL_MIN_MASKS:
        return _boundaries_of((list(rles), dilation_ratio))
    size = -(-len(rles) // (workers * 4))
    chunks = [(list(rles[i:i + size]), dilation_ratio) for i in range(0, len(rles), size)]
    with get_context("fork").Pool(workers) as pool:
        return [b for part in pool.map(_boundaries_of, chunks) for b in part]


def _attach_boundaries(gts: Mapping[Any, list[dict]], dts: Mapping[Any, list[dict]],
                       dilation_ratio: float, num_workers: int | None) -> None:
    """Add a ``boundary`` RLE to every prepared ground truth and detection."""
    anns = [a for group in (gts, dts) for per_key in group.values() for a in per_key]
    for ann, boundary in zip(
            anns, boundary_rles([a["segmentation"] for a in anns], dilation_ratio, num_workers),
            strict=True):
        ann["boundary"] = boundary


def _min_mask_boundary_iou(dt: list[dict], gt: list[dict], iscrowd: list[int]) -> np.ndarray:
    mask_ious = mask_utils.iou([d["segmentation"] for d in dt], [g["segmentation"] for g in gt],
                               iscrowd)
    boundary_ious = mask_utils.iou([d["boundary"] for d in dt], [g["boundary"] for g in gt],
                                   iscrowd)
    return np.minimum(mask_ious, boundary_ious)


class InstanceLVISEval(LVISEval):
    """LVISEval with ``iou_type`` 'segm', 'bbox' or 'boundary'."""

    def __init__(self, lvis_gt: LVIS | str, lvis_dt: LVISResults | str | list,
                 iou_type: str = "segm", dilation_ratio: float = DILATION_RATIO,
                 num_workers: int | None = None) -> None:
        self.use_boundary = iou_type == "boundary"
        self.dilation_ratio = dilation_ratio
        self.num_workers = num_workers
        # The masks are prepared as for 'segm'; boundaries are added on top.
        super().__init__(lvis_gt, lvis_dt, "segm" if self.use_boundary else iou_type)

    def _prepare(self) -> None:
        super()._prepare()
        if self.use_boundary:
            _attach_boundaries(self._gts, self._dts, self.dilation_ratio, self.num_workers)

    def compute_iou(self, img_id: int, cat_id: int):
        if not self.use_boundary:
            return super().compute_iou(img_id, cat_id)
        gt, dt = self._get_gt_dt(img_id, cat_id)
        if len(gt) == 0 and len(dt) == 0:
            return []
        order = np.argsort([-d["score"] for d in dt], kind="mergesort")
        return _min_mask_boundary_iou([dt[i] for i in order], gt, [0] * len(gt))


class InstanceCOCOEval(COCOeval):
    """pycocotools COCOeval with ``iouType`` 'segm', 'bbox' or 'boundary'."""

    def __init__(self, coco_gt, coco_dt, iou_type: str = "segm",
                 dilation_ratio: float = DILATION_RATIO, num_workers: int | None = None) -> None:
        self.use_boundary = iou_type == "boundary"
        self.dilation_ratio = dilation_ratio
        self.num_workers = num_workers
        super().__init__(coco_gt, coco_dt, "segm" if self.use_boundary else iou_type)

    def _prepare(self) -> None:
        super()._prepare()
        if self.use_boundary:
            _attach_boundaries(self._gts, self._dts, self.dilation_ratio, self.num_workers)

    def computeIoU(self, imgId: int, catId: int):  # noqa: N802, N803 - pycocotools' names
        if not self.use_boundary:
            return super().computeIoU(imgId, catId)
        p = self.params
        if p.useCats:
            gt, dt = self._gts[imgId, catId], self._dts[imgId, catId]
        else:
            gt = [a for c in p.catIds for a in self._gts[imgId, c]]
            dt = [a for c in p.catIds for a in self._dts[imgId, c]]
        if len(gt) == 0 and len(dt) == 0:
            return []
        order = np.argsort([-d["score"] for d in dt], kind="mergesort")
        dt = [dt[i] for i in order][:p.maxDets[-1]]
        return _min_mask_boundary_iou(dt, gt, [int(g["iscrowd"]) for g in gt])


COCO_STAT_NAMES = ("AP", "AP50", "AP75", "APs", "APm", "APl",
                   "AR1", "AR10", "AR100", "ARs100", "ARm100", "ARl100")


def evaluate_lvis(gt: LVIS | str, results: list[dict] | str, iou_types: Sequence[str] = IOU_TYPES,
                  max_dets: int = 300, num_workers: int | None = None,
                  verbose: bool = False) -> dict[str, dict[str, float]]:
    """{iou_type: LVISEval results (AP, AP50, ..., AR@300)} of LVIS-format results."""
    lvis_gt = gt if isinstance(gt, LVIS) else LVIS(gt)
    out = {}
    for iou_type in iou_types:
        # The results are copied: LVISResults / loadRes add fields to them in place.
        lvis_dt = LVISResults(lvis_gt, copy.deepcopy(results), max_dets=max_dets)
        evaluator = InstanceLVISEval(lvis_gt, lvis_dt, iou_type, num_workers=num_workers)
        with numpy_float_alias():  # lvis 0.5.3's accumulate uses np.float
            evaluator.run()
        if verbose:
            evaluator.print_results()
        out[iou_type] = {k: float(v) for k, v in evaluator.get_results().items()}
    return out


def evaluate_coco(gt, results: list[dict] | str, iou_types: Sequence[str] = IOU_TYPES,
                  num_workers: int | None = None,
                  verbose: bool = False) -> dict[str, dict[str, float]]:
    """{iou_type: COCOeval stats by name (AP, AP50, ..., ARl100)} of COCO-format results."""
    import contextlib
    import io

    from pycocotools.coco import COCO

    coco_gt = gt if isinstance(gt, COCO) else COCO(gt)
    out = {}
    for iou_type in iou_types:
        quiet = contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO())
        with quiet:
            coco_dt = coco_gt.loadRes(copy.deepcopy(results))
            evaluator = InstanceCOCOEval(coco_gt, coco_dt, iou_type, num_workers=num_workers)
            evaluator.evaluate()
            evaluator.accumulate()
            evaluator.summarize()
        out[iou_type] = dict(zip(COCO_STAT_NAMES, map(float, evaluator.stats), strict=True))
    return out
