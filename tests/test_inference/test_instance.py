"""Instance refinement: boxes, crops, paste-back, chunking and the official case."""
from __future__ import annotations

import torch

from segrefiner.diffusion import ReplayNoise, TorchNoise
from segrefiner.inference.instance import (
    InstanceTestCfg,
    drop_deep_crop_changes,
    padded_boxes,
    paste_back,
    refine_instances,
)


def test_padded_boxes_have_exclusive_ends_and_stay_inside():
    masks = torch.zeros(2, 50, 60, dtype=torch.bool)
    masks[0, 10:20, 30:35] = True   # rows 10..19, cols 30..34
    masks[1, 0:3, 55:60] = True     # touches the top and right edges
    boxes = padded_boxes(masks, pad_width=4)
    assert boxes.tolist() == [[26, 6, 39, 24], [51, 0, 60, 7]]


def test_paste_back_of_a_box_sized_crop_reproduces_the_mask():
    # Crop resolution == box resolution: grid_sample hits pixel centres exactly.
    probs = torch.zeros(1, 1, 8, 8)
    probs[0, 0, 2:6, 1:7] = 1.0
    pasted = paste_back(probs, torch.tensor([[10, 20, 18, 28]]), height=40, width=30)
    expected = torch.zeros(1, 40, 30, dtype=torch.bool)
    expected[0, 22:26, 11:17] = True
    assert torch.equal(pasted, expected)


def test_paste_back_upsamples_bilinearly_with_threshold_half():
    # A 2x2 crop onto a 4x4 box: the left column is 1, the right 0. Pixel centres at
    # x = 0.5, 1.5 sample the left cell (1.0, 0.75) and 2.5, 3.5 the right (0.25, 0).
    probs = torch.tensor([[[[1.0, 0.0], [1.0, 0.0]]]])
    pasted = paste_back(probs, torch.tensor([[0, 0, 4, 4]]), height=4, width=4)
    assert pasted[0].int().tolist() == [[1, 1, 0, 0]] * 4


def test_paste_back_keeps_the_coarse_mask_where_the_model_is_unsure():
    """A box-sized crop of probability 0.731 (confidence 0.462) everywhere: a change
    needing confidence 0.5 is dropped (the box keeps the coarse mask), one needing 0.4
    is made (the whole box becomes foreground); outside the box stays background."""
    probs = torch.full((1, 1, 8, 8), 0.731)
    boxes = torch.tensor([[10, 20, 18, 28]])
    coarse = torch.zeros(1, 40, 30, dtype=torch.bool)
    coarse[0, 22:26, 11:17] = True
    unsure = paste_back(probs, boxes, 40, 30, coarse, InstanceTestCfg(change_confidence=0.5))
    sure = paste_back(probs, boxes, 40, 30, coarse, InstanceTestCfg(change_confidence=0.4))
    assert torch.equal(unsure, coarse)
    box = torch.zeros_like(coarse)
    box[0, 20:28, 10:18] = True
    assert torch.equal(sure, box) and torch.equal(paste_back(probs, boxes, 40, 30), box)


def test_paste_back_keeps_an_accurate_coarse_mask_whole():
    """The whole 8x8 box becomes foreground from a 4x6 coarse mask: 40 pixels change
    along a boundary of 16 + 20 = 36 pixels, a shift of 10 / 9 px. accurate_shift with
    ``low`` above it keeps the coarse mask; with ``high`` below it the result stands."""
    probs = torch.full((1, 1, 8, 8), 0.731)
    boxes = torch.tensor([[10, 20, 18, 28]])
    coarse = torch.zeros(1, 40, 30, dtype=torch.bool)
    coarse[0, 22:26, 11:17] = True
    box = torch.zeros_like(coarse)
    box[0, 20:28, 10:18] = True
    accurate = paste_back(probs, boxes, 40, 30, coarse, InstanceTestCfg(accurate_shift=(1.12, 2)))
    rough = paste_back(probs, boxes, 40, 30, coarse, InstanceTestCfg(accurate_shift=(1.0, 1.11)))
    assert torch.equal(accurate, coarse) and torch.equal(rough, box)


def test_the_instance_shift_is_measured_on_the_crop(small_model):
    """A denoiser that copies its input mask: the crop comes back as it went in (shift 0
    at the model's resolution), but pasted back from 32 px the one-pixel comb is lost.
    accurate_shift counts no change then, and the input stays whole."""
    mask = torch.zeros(1, 120, 120, dtype=torch.uint8)
    mask[0, 20:100, 20:100] = 1
    mask[0, 21:99:2, 100] = 1  # one-pixel teeth: lost at 32 px
    copy = lambda x, t: (x[:, 3:4] * 2 - 1) * 20  # noqa: E731
    img = torch.randn(1, 3, 120, 120)
    plain = refine_instances(copy, small_model.diffusion, img, mask,
                             InstanceTestCfg(model_size=32), noise=TorchNoise(seed=0))
    kept = refine_instances(copy, small_model.diffusion, img, mask,
                            InstanceTestCfg(model_size=32, accurate_shift=(0.1, 1.0)),
                            noise=TorchNoise(seed=0))
    assert not torch.equal(plain, mask) and torch.equal(kept, mask)


def test_deep_crop_changes_take_the_input_crop_value():
    """Two 32 px crops of a 16x16 square: one whose result adds a detached 8x8 block
    (depth 4 x 0.955 px, the square's boundary unchanged: typical depth 0) at
    probability 0.7 (confidence 0.4), one at 0.99 (0.98). With deep_change (4, 2) the
    unsure block takes the input's value (probability 0) and the sure one stays."""
    crops = torch.zeros(2, 1, 32, 32)
    crops[:, 0, 8:24, 8:24] = 1.0
    probs = crops.clone()
    probs[0, 0, 0:8, 0:8] = 0.7
    probs[1, 0, 0:8, 0:8] = 0.99
    out = drop_deep_crop_changes(probs, crops, InstanceTestCfg(deep_change=(4.0, 2.0)))
    assert torch.equal(out[0], crops[0]) and torch.equal(out[1], probs[1])
    assert torch.equal(probs[0, 0, 0:8, 0:8], torch.full((8, 8), 0.7))  # input untouched


def test_small_instances_are_kept_and_no_draws_are_made():
    masks = torch.zeros(2, 40, 40, dtype=torch.uint8)
    masks[0, :10, :10] = 1           # 100 px < area_thr
    masks[1, 5:6, 5:6] = 1
    out = refine_instances(lambda x, t: 1 / 0, None, torch.zeros(1, 3, 40, 40), masks,
                           InstanceTestCfg(area_thr=512), noise=ReplayNoise([]))
    assert torch.equal(out, masks)


def test_official_instance_case(small_model, cases):
    case = cases["instance"]
    small_model.test_cfg = dict(case["test_cfg"], mode="instance")
    noise = ReplayNoise(case["noise"])
    out = small_model.refine_instances(case["img"], case["coarse_masks"], list(case["steps"]),
                                       noise)
    assert noise.remaining == 0
    assert torch.equal(out, case["out_masks"])


def test_chunks_refine_like_one_batch(small_model, cases):
    # batch_max only changes how instances are grouped, not the result, when the model
    # is confident enough that the draws do not matter: compare the final-step-only run.
    case = cases["instance"]
    results = []
    for batch_max in (1, 32):
        small_model.test_cfg = dict(case["test_cfg"], mode="instance", batch_max=batch_max)
        results.append(small_model.refine_instances(case["img"], case["coarse_masks"], [0],
                                                    TorchNoise(seed=0)))
    assert torch.equal(results[0], results[1])


def test_instance_test_cfg_holds_on_the_instance_path_only(small_model, monkeypatch):
    """instance_test_cfg entries win over test_cfg's on the instance path, the semantic
    path keeps test_cfg's, and an override (a caller's setting) holds on both."""
    monkeypatch.setattr(small_model, "test_cfg", dict(accurate_shift=(0.75, 1.25),
                                                      accurate_confidence=0.95))
    monkeypatch.setattr(small_model, "instance_test_cfg",
                        dict(accurate_shift=(1.25, 1.75), accurate_confidence=None))
    monkeypatch.setattr(small_model, "fast_test_cfg", {})
    instance, semantic = small_model.instance_cfg(), small_model.semantic_cfg()
    assert (instance.accurate_shift, instance.accurate_confidence) == ((1.25, 1.75), None)
    assert (semantic.accurate_shift, semantic.accurate_confidence) == ((0.75, 1.25), 0.95)
    small_model.override_test_cfg(dict(accurate_shift=(0.5, 1.0)))
    assert small_model.instance_cfg().accurate_shift == (0.5, 1.0)
    assert small_model.instance_cfg().accurate_confidence is None
    assert small_model.semantic_cfg().accurate_shift == (0.5, 1.0)
