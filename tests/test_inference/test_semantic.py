"""Semantic (global + local) refinement: NMS, patch choice and the official case."""
from __future__ import annotations

import pytest
import torch

from segrefiner.diffusion import ReplayNoise
from segrefiner.inference.semantic import (
    SemanticTestCfg,
    box_iou,
    greedy_nms,
    patch_boxes,
    refine_semantic,
    select_patches,
)


def test_box_iou_without_plus_one():
    box = torch.tensor([0.0, 0.0, 10.0, 10.0])
    others = torch.tensor([[5.0, 0.0, 15.0, 10.0], [10.0, 10.0, 20.0, 20.0]])
    assert box_iou(box, others).tolist() == pytest.approx([50 / 150, 0.0])


def test_greedy_nms_by_hand():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [5, 0, 15, 10]],
                         dtype=torch.float64)
    scores = torch.tensor([0.5, 0.9, 0.1, 0.7])
    # Order 1, 3, 0, 2. Box 1 keeps; 3 vs 1: IoU 60/140 = 0.43 > 0.3 -> out;
    # 0 vs 1: 90/110 -> out; 2 keeps.
    assert greedy_nms(boxes, scores, 0.3).tolist() == [1, 2]
    # With a threshold of 0.5, box 3 (IoU 0.43 with box 1) survives.
    assert greedy_nms(boxes, scores, 0.5).tolist() == [1, 3, 2]


def test_patch_boxes_are_model_size_and_inside_the_image():
    cfg = SemanticTestCfg(model_size=4)
    fine = torch.ones(4, 4)
    fine[0, 0] = 0.1   # corner: the box is shifted inside
    fine[2, 3] = 0.5
    boxes, scores = patch_boxes(fine, height=10, width=20, cfg=cfg)
    # (y, x) = (0, 0) -> centre (0, 0); (2, 3) -> centre (int(2*10/4), int(3*20/4)) = (5, 15)
    assert boxes.tolist() == [[0, 0, 4, 4], [13, 3, 17, 7]]
    assert torch.allclose(scores, torch.tensor([0.9, 0.5]))


def test_only_patches_with_both_classes_are_refined():
    cfg = SemanticTestCfg(model_size=4, iou_thr=0.3)
    mask = torch.zeros(8, 8, dtype=torch.bool)
    mask[:, :3] = True
    fine = torch.ones(4, 4)
    fine[0, 0] = 0.0   # box at x 0..4: mixed
    fine[3, 3] = 0.0   # box at x 4..8: all background
    assert select_patches(mask, fine, cfg).tolist() == [[0, 0, 4, 4]]


def test_tiny_coarse_mask_gives_an_empty_result():
    mask = torch.zeros(300, 300, dtype=torch.uint8)
    mask[:8, :16] = 1  # 128 px: <= 128 -> all zeros, the model is not called
    out = refine_semantic(lambda x, t: 1 / 0, None, torch.zeros(1, 3, 300, 300), mask)
    assert out.sum() == 0 and out.shape == (300, 300)


def test_official_semantic_case_including_the_local_pass(small_model, cases):
    case = cases["semantic"]
    small_model.test_cfg = dict(case["test_cfg"], mode="semantic")
    noise = ReplayNoise(case["noise"])
    out = small_model.refine_semantic(case["img"], case["coarse_mask"], noise)
    assert noise.remaining == 0
    assert torch.equal(out, case["out_mask"])
    global_only = refine_semantic(small_model.denoise_model, small_model.diffusion, case["img"],
                                  case["coarse_mask"], small_model.semantic_cfg(),
                                  ReplayNoise(case["noise"]), local=False)
    assert not torch.equal(global_only, out), "the case must exercise the local pass"


def test_image_smaller_than_model_size_gets_the_global_pass(small_model):
    small_model.test_cfg = dict(mode="semantic", model_size=64)
    img = torch.randn(1, 3, 40, 50)
    mask = torch.zeros(40, 50, dtype=torch.uint8)
    mask[10:30, 10:40] = 1
    out = small_model.refine_semantic(img, mask)
    assert out.shape == (40, 50) and out.dtype == torch.uint8
