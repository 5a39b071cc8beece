"""Mask AP and Boundary AP of refined instance masks (``lvis/segm_AP``, ``coco/boundary_AP``)."""
from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pycocotools.mask as mask_utils
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from segrefiner.evaluation.instance_eval import IOU_TYPES, evaluate_coco, evaluate_lvis
from segrefiner.registry import METRICS
from segrefiner.utils.io import write_json_atomic


def encode_masks(masks) -> list[dict]:
    """(N, H, W) {0,1} tensor / array -> COCO RLEs with str counts (JSON-ready)."""
    if isinstance(masks, torch.Tensor):
        masks = masks.detach().cpu().numpy()
    masks = np.asfortranarray(np.asarray(masks, dtype=np.uint8).transpose(1, 2, 0))
    rles = mask_utils.encode(masks) if masks.shape[2] else []
    for rle in rles:
        rle["counts"] = rle["counts"].decode("ascii")
    return list(rles)


def instance_results(sample: dict) -> list[dict]:
    """COCO-format result entries of one refined data sample.

    The sample carries ``img_id``, ``pred_masks`` (N, H, W) and, passed through from
    the coarse results, ``scores`` (N,), ``labels`` (N,) category ids and ``bboxes``.
    """
    rles = encode_masks(sample["pred_masks"])
    scores = np.asarray(sample.get("scores", np.ones(len(rles))), dtype=float).tolist()
    labels = np.asarray(sample["labels"]).astype(int).tolist()
    boxes = sample.get("bboxes")
    results = []
    for i, rle in enumerate(rles):
        entry = dict(image_id=int(sample["img_id"]), category_id=labels[i], segmentation=rle,
                     score=scores[i])
        if boxes is not None:
            entry["bbox"] = [float(v) for v in np.asarray(boxes[i]).tolist()]
        results.append(entry)
    return results


@METRICS.register_module()
class InstanceAPMetric(BaseMetric):
    """LVIS (``dataset='lvis'``) or COCO Mask AP and Boundary AP of refined masks.

    Args:
        ann_file: ground-truth annotations (LVIS or COCO format); None only writes results.
        dataset: 'lvis' (LVISEval, max 300 dets) or 'coco' (COCOeval).
        iou_types: any of 'segm', 'boundary'.
        outfile_prefix: if set, writes ``<prefix>.segm.json`` (refined COCO results).
    """

    default_prefix = "lvis"

    def __init__(self, ann_file: str | None = None, dataset: str = "lvis",
                 iou_types: Sequence[str] = IOU_TYPES, outfile_prefix: str | None = None,
                 num_workers: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if dataset not in ("lvis", "coco"):
            raise ValueError(f"dataset must be 'lvis' or 'coco', got {dataset!r}")
        if kwargs.get("prefix") is None:
            self.prefix = dataset
        self.ann_file, self.dataset = ann_file, dataset
        self.iou_types = tuple(iou_types)
        self.outfile_prefix = outfile_prefix
        self.num_workers = num_workers

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        # One entry per image: mmengine cuts the gathered results to the dataset size.
        for sample in data_samples:
            self.results.append(instance_results(sample))

    def compute_metrics(self, per_image: list) -> dict[str, float]:
        results = [entry for entries in per_image for entry in entries]
        if self.outfile_prefix:
            write_json_atomic(f"{self.outfile_prefix}.segm.json", results)
        if not self.ann_file:
            return {}
        if not results:
            MMLogger.get_current_instance().warning("no refined instances to evaluate")
            return {f"{t}_AP": 0.0 for t in self.iou_types}
        evaluate = evaluate_lvis if self.dataset == "lvis" else evaluate_coco
        stats = evaluate(self.ann_file, json.loads(json.dumps(results)), self.iou_types,
                         num_workers=self.num_workers)
        return {f"{iou_type}_{name}": value
                for iou_type, values in stats.items() for name, value in values.items()}
