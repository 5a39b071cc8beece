"""mmengine metrics: IoU + mBA, DIS, and instance AP through the Evaluator."""
from __future__ import annotations

import json
from collections import defaultdict

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from helpers import FIXTURES
from mmengine.evaluator import Evaluator

from segrefiner.evaluation.metrics import DISMetric, InstanceAPMetric, IoUMBAMetric

METRICS = FIXTURES / "metrics"
EXPECTED = json.loads((METRICS / "expected.json").read_text())


def mask_samples() -> list[dict]:
    samples = []
    for case in EXPECTED["mask_cases"]:
        gt = cv2.imread(str(METRICS / case["gt"]), cv2.IMREAD_GRAYSCALE)
        pred = cv2.imread(str(METRICS / case["pred"]), cv2.IMREAD_GRAYSCALE)
        samples.append(dict(gt_mask=torch.from_numpy(gt >= 128)[None].to(torch.uint8),
                            pred_mask=torch.from_numpy(pred >= 128)[None].to(torch.uint8)))
    return samples


def test_iou_mba_metric_matches_the_reference():
    evaluator = Evaluator(IoUMBAMetric())
    evaluator.process(mask_samples())
    out = evaluator.evaluate(len(EXPECTED["mask_cases"]))
    assert out["big/IoU"] == pytest.approx(EXPECTED["dataset"]["iou_cumulative"], abs=1e-6)
    assert out["big/mBA"] == pytest.approx(EXPECTED["dataset"]["mba_mean"], abs=1e-6)


def test_dis_metric_of_a_perfect_prediction():
    # The cases under 1 MP: the structure measures of the 18 MP one take seconds.
    samples = [dict(gt_mask=s["gt_mask"], pred_mask=s["gt_mask"]) for s in mask_samples()
               if s["gt_mask"][0].numel() < 2**20]
    assert len(samples) == 3
    evaluator = Evaluator(DISMetric())
    evaluator.process(samples)
    out = evaluator.evaluate(len(samples))
    assert out["dis/IoU"] == 1.0 and out["dis/mBA"] == 1.0
    assert out["dis/MAE"] == 0.0
    assert out["dis/maxF"] == pytest.approx(1.0, abs=1e-3)
    assert out["dis/Sm"] == pytest.approx(1.0, abs=1e-6)
    assert out["dis/wF"] == pytest.approx(1.0, abs=1e-6)


def test_dis_metric_mae_by_hand():
    gt = torch.zeros(1, 10, 10, dtype=torch.uint8)
    gt[0, :5] = 1
    pred = gt.clone()
    pred[0, 5, :] = 1  # 10 wrong pixels of 100
    evaluator = Evaluator(DISMetric())
    evaluator.process([dict(gt_mask=gt, pred_mask=pred)])
    out = evaluator.evaluate(1)
    assert out["dis/MAE"] == pytest.approx(0.1)
    assert out["dis/IoU"] == pytest.approx(50 / 60)


def test_instance_ap_metric_matches_the_reference(tmp_path):
    dets = json.loads((METRICS / "dets.json").read_text())
    by_image = defaultdict(list)
    for det in dets:
        by_image[det["image_id"]].append(det)
    samples = []
    for img_id, items in by_image.items():
        masks = np.stack([mask_utils.decode(d["segmentation"]) for d in items])
        samples.append(dict(img_id=img_id, pred_masks=torch.from_numpy(masks),
                            scores=torch.tensor([d["score"] for d in items]),
                            labels=torch.tensor([d["category_id"] for d in items])))
    metric = InstanceAPMetric(ann_file=str(METRICS / "lvis_v0.5_val_100.json"),
                              outfile_prefix=str(tmp_path / "refined"))
    evaluator = Evaluator(metric)
    evaluator.process(samples)
    out = evaluator.evaluate(len(samples))
    assert out["lvis/segm_AP"] == pytest.approx(EXPECTED["segm"]["AP"], abs=1e-6)
    assert out["lvis/boundary_AP"] == pytest.approx(EXPECTED["boundary"]["AP"], abs=1e-6)
    written = json.loads((tmp_path / "refined.segm.json").read_text())
    assert len(written) == len(dets)
