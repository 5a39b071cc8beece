"""mask_head_mask (the 28 x 28 mask-head resolution limit, on hand-made masks) and the
tool that turns annotations into mask-head detections."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pycocotools.mask as mask_utils
from helpers import FIXTURES, REPO

from segrefiner.analysis.mask_head import mask_head_mask
from segrefiner.datasets.io import segmentation_to_mask


def test_a_rectangle_survives_and_nothing_leaves_its_box():
    gt = np.zeros((200, 300), bool)
    gt[40:180, 50:250] = True
    out = mask_head_mask(gt)
    assert out.dtype == np.uint8 and set(np.unique(out)) <= {0, 1}
    assert np.array_equal(out.astype(bool), gt)  # the box is the crop: all foreground


def test_a_one_pixel_wire_vanishes_and_a_disc_keeps_its_area():
    yy, xx = np.mgrid[:280, :280]
    gt = (yy - 140) ** 2 + (xx - 140) ** 2 <= 100 ** 2
    gt[140, 240:279] = True  # a wire 1 px thick, 39 px long, off the disc's edge
    out = mask_head_mask(gt).astype(bool)
    assert not out[140, 250:279].any()
    disc = (yy - 140) ** 2 + (xx - 140) ** 2 <= 100 ** 2
    assert abs(int(out.sum()) - int(disc.sum())) < 0.02 * disc.sum()
    assert (out & disc).sum() / (out | disc).sum() > 0.97


def test_empty_mask_stays_empty():
    assert not mask_head_mask(np.zeros((10, 12), bool)).any()


def test_results_tool_writes_one_mask_head_detection_per_annotation(tmp_path):
    gt_path = FIXTURES / "lvis" / "lvis_mini3.json"
    gt = json.loads(gt_path.read_text())
    out = tmp_path / "dt.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "analysis_tools" / "mask_head_results.py"),
         "--gt", str(gt_path), "-o", str(out), "--min-area", "300"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    detections = json.loads(out.read_text())
    kept = [a for a in gt["annotations"] if a["area"] >= 300]
    assert 0 < len(kept) < len(gt["annotations"]) and len(detections) == len(kept)
    sizes = {img["id"]: (img["height"], img["width"]) for img in gt["images"]}
    for ann, det in zip(kept, detections, strict=True):
        assert (det["image_id"], det["category_id"], det["score"]) == (
            ann["image_id"], ann["category_id"], 1.0)
        accurate = segmentation_to_mask(ann["segmentation"], *sizes[ann["image_id"]])
        expected = mask_head_mask(accurate)
        assert np.array_equal(mask_utils.decode(det["segmentation"]), expected)


def test_results_tool_refuses_to_overwrite_its_annotations(tmp_path):
    gt_path = tmp_path / "gt.json"
    gt_path.write_bytes((FIXTURES / "lvis" / "lvis_mini3.json").read_bytes())
    before = gt_path.read_bytes()
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "analysis_tools" / "mask_head_results.py"),
         "--gt", str(gt_path), "-o", str(gt_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "would overwrite" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and gt_path.read_bytes() == before
