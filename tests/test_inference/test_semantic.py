"""Semantic (global + local) refinement: NMS, patch choice and the official case."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch
from scipy import ndimage

from segrefiner.diffusion import ReplayNoise
from segrefiner.inference.change_gate import (
    boundary_shift,
    change_confidence_for,
    drop_deep_changes,
    gate_changes,
    gate_on,
    keeps_unsure_pixels,
    typical_change_depth,
)
from segrefiner.inference.mask_ops import dilate_square, mask_boundary
from segrefiner.inference.semantic import (
    PatchMerge,
    SemanticTestCfg,
    blend_weights,
    boundary_boxes,
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
    mask[:, 4:] = True  # box at x 4..8: all foreground
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


def test_mask_boundary_by_hand():
    mask = torch.zeros(4, 5, dtype=torch.bool)
    mask[1:3, 1:3] = True
    expected = torch.tensor([[0, 1, 1, 0, 0],
                             [1, 1, 1, 1, 0],
                             [1, 1, 1, 1, 0],
                             [0, 1, 1, 0, 0]], dtype=torch.bool)
    assert torch.equal(mask_boundary(mask), expected)
    assert not mask_boundary(torch.ones(3, 3, dtype=torch.bool)).any()


def test_dilate_square_matches_a_brute_force_window():
    generator = torch.Generator().manual_seed(0)
    mask = torch.rand(23, 31, generator=generator) > 0.97
    expected = torch.zeros_like(mask)
    for y, x in torch.nonzero(mask).tolist():
        expected[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3] = True
    assert torch.equal(dilate_square(mask, 2), expected)
    assert torch.equal(dilate_square(mask, 0), mask)


def test_boundary_boxes_cover_the_whole_boundary_inside_the_image():
    yy, xx = torch.meshgrid(torch.arange(70), torch.arange(90), indexing="ij")
    mask = ((yy - 30) ** 2 + (xx - 50) ** 2 < 25 ** 2) | ((xx > 80) & (yy < 10))
    boxes = boundary_boxes(mask_boundary(mask), size=16)
    assert (boxes[:, 2] - boxes[:, 0] == 16).all() and (boxes[:, 3] - boxes[:, 1] == 16).all()
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= 90).all() and (boxes[:, 3] <= 70).all()
    covered = torch.zeros_like(mask)
    for x1, y1, x2, y2 in boxes.tolist():
        covered[y1:y2, x1:x2] = True
    assert covered[mask_boundary(mask)].all()


class CopyThenForegroundDenoiser:
    """Copies its input mask for the first ``copies`` calls (the global pass), then predicts
    all foreground (the local pass); records the steps it is run at."""

    def __init__(self, copies: int):
        self.copies, self.steps = copies, []

    def __call__(self, x, t):
        self.steps.append(sorted(set(t.tolist())))
        if len(self.steps) <= self.copies:
            return (x[:, 3:4] * 2 - 1) * 20
        return torch.full_like(x[:, 3:4], 20.0)


def test_local_step_cover_and_band_options(small_model):
    """local_step is the local pass's step; cover_boundary patches the whole boundary of
    the global result; local_band keeps the global result farther than that from it."""
    img = torch.randn(1, 3, 96, 96)
    mask = torch.zeros(96, 96, dtype=torch.uint8)
    mask[20:70, 30:80] = 1
    global_only = refine_semantic(CopyThenForegroundDenoiser(5), small_model.diffusion, img,
                                  mask, SemanticTestCfg(model_size=32), local=False).bool()
    cfg = SemanticTestCfg(model_size=32, local_step=5, cover_boundary=True, local_band=3)
    denoiser = CopyThenForegroundDenoiser(5)
    out = refine_semantic(denoiser, small_model.diffusion, img, mask, cfg).bool()
    assert denoiser.steps[:5] == [[5], [4], [3], [2], [1]] and denoiser.steps[5:] == [[5]]
    boundary = mask_boundary(global_only)
    band = torch.from_numpy(ndimage.binary_dilation(boundary.numpy(), np.ones((7, 7), bool)))
    assert torch.equal(out[~band], global_only[~band])
    assert out[boundary].all() and not global_only[boundary].all()


class CopyThenConstantDenoiser:
    """Copies its input mask for the first ``copies`` calls, then predicts ``logit``
    everywhere."""

    def __init__(self, copies: int, logit: float) -> None:
        self.copies, self.logit, self.calls = copies, logit, 0

    def __call__(self, x, t):
        self.calls += 1
        if self.calls <= self.copies:
            return (x[:, 3:4] * 2 - 1) * 20
        return torch.full_like(x[:, 3:4], self.logit)


def refine_with_sigmoid_one_local(small_model, **settings) -> tuple[torch.Tensor, torch.Tensor]:
    """(input, result), both (96, 96) bool: a rectangle on the 3 px grid of the 32 px
    global pass (which keeps it), refined by CopyThenConstantDenoiser(5, 1.0): the local
    pass predicts foreground with probability sigmoid(1) = 0.731 everywhere, confidence
    2 |0.731 - 0.5| = 0.462, in a band of 3 px around the boundary."""
    mask = torch.zeros(96, 96, dtype=torch.bool)
    mask[21:69, 30:81] = True
    cfg = SemanticTestCfg(model_size=32, local_step=5, cover_boundary=True, local_band=3,
                          **settings)
    out = refine_semantic(CopyThenConstantDenoiser(5, 1.0), small_model.diffusion,
                          torch.randn(1, 3, 96, 96), mask.to(torch.uint8), cfg)
    return mask, out.bool()


def test_change_confidence_keeps_the_input_where_the_local_pass_is_unsure(small_model):
    """Confidence 0.462: with change_confidence 0.5 every pixel keeps the input; with 0.4
    the band around the boundary becomes foreground, as without the option."""
    mask, plain = refine_with_sigmoid_one_local(small_model)
    _, unsure = refine_with_sigmoid_one_local(small_model, change_confidence=0.5)
    _, sure = refine_with_sigmoid_one_local(small_model, change_confidence=0.4)
    band = torch.from_numpy(ndimage.binary_dilation(mask_boundary(mask).numpy(),
                                                    np.ones((7, 7), bool)))
    assert torch.equal(unsure, mask)
    assert torch.equal(sure, plain)
    assert sure[band].all() and torch.equal(sure[~band], mask[~band])


def test_boundary_shift_and_the_confidence_it_asks_for_by_hand():
    coarse = torch.zeros(10, 10, dtype=torch.bool)
    coarse[2:6, 2:6] = True  # 4-neighbour boundary: the 12 inner ring + 16 outer = 28 px
    grown = coarse.clone()
    grown[2:6, 6] = True  # 4 pixels differ
    assert int(mask_boundary(coarse).sum()) == 28
    assert boundary_shift(grown, coarse) == pytest.approx(4 / 28)
    assert boundary_shift(coarse, torch.zeros_like(coarse)) == 16  # no boundary: / 1
    counted = torch.zeros_like(coarse)
    counted[2:4, 6] = True  # 2 of the 4 changed pixels count
    assert boundary_shift(grown, coarse, counted) == pytest.approx(2 / 28)
    def needed(shift, **gate):
        return change_confidence_for(SemanticTestCfg(**gate), shift)

    ramp = dict(change_confidence=0.8, accurate_shift=(1.0, 3.0))
    assert [needed(s, **ramp) for s in (0.5, 1, 1.5, 2, 2.5, 3, 7)] == \
        pytest.approx([math.inf, math.inf, 0.6, 0.4, 0.2, 0.0, 0.0])
    assert [needed(s, **ramp, accurate_confidence=0.9) for s in (0.5, 1, 1.5)] == \
        pytest.approx([0.9, 0.9, 0.6])
    assert needed(9.0, change_confidence=0.6) == 0.6
    assert needed(0.0) == 0.0
    assert needed(0.5, accurate_shift=(1.0, 3.0)) == math.inf
    assert needed(1.5, accurate_shift=(1.0, 3.0)) == 0.0
    for bad, match in [(dict(accurate_shift=(3.0, 1.0)), "accurate_shift"),
                       (dict(change_confidence=1.5), "change_confidence"),
                       (dict(shift_confidence=-0.1), "shift_confidence"),
                       (dict(accurate_confidence=2.0), "accurate_confidence"),
                       (dict(deep_change_confidence=-1.0), "deep_change_confidence"),
                       (dict(deep_change=(4.0, -2.0)), "deep_change"),
                       (dict(deep_change_gap=-1), "deep_change_gap")]:
        with pytest.raises(ValueError, match=match):
            SemanticTestCfg(**bad)


def test_accurate_shift_scales_the_confidence_a_change_needs(small_model):
    """The local result (confidence 0.462) moves the boundary by ``shift`` px: with
    change_confidence 0.8 it is kept when the ramp asks for less than 0.462 and dropped
    (the input stays) when it asks for more."""
    mask, plain = refine_with_sigmoid_one_local(small_model)
    shift = boundary_shift(plain, mask)
    assert shift > 1
    for ramp, kept in [((shift + 1, shift + 2), False),   # an accurate input: kept whole
                       ((shift - 0.01, shift + 2), False),  # asks 0.8 * 2 / 2.01
                       ((shift - 0.5, shift + 1.5), False),  # asks 0.8 * 1.5 / 2 = 0.6
                       ((shift - 1, shift + 1), True),    # asks 0.4
                       ((shift - 2, shift - 1), True)]:   # asks 0
        _, out = refine_with_sigmoid_one_local(small_model, change_confidence=0.8,
                                               accurate_shift=ramp)
        assert torch.equal(out, plain if kept else mask), ramp


def test_accurate_shift_returns_an_accurate_input_unchanged(small_model):
    """Without change_confidence, accurate_shift alone decides for the whole mask: the
    input when the result's boundary shift is at most ``low``, else the result as is."""
    mask, plain = refine_with_sigmoid_one_local(small_model)
    shift = boundary_shift(plain, mask)
    assert not torch.equal(plain, mask)
    _, accurate = refine_with_sigmoid_one_local(small_model, accurate_shift=(shift, shift + 1))
    _, rough = refine_with_sigmoid_one_local(small_model,
                                             accurate_shift=(shift - 0.01, shift + 1))
    assert torch.equal(accurate, mask) and torch.equal(rough, plain)
    # Counting only changes of confidence >= 0.5, none of the 0.462-sure ones counts.
    _, unsure = refine_with_sigmoid_one_local(small_model, accurate_shift=(shift - 0.01, 9),
                                              shift_confidence=0.5)
    _, sure = refine_with_sigmoid_one_local(small_model, accurate_shift=(shift - 0.01, 9),
                                            shift_confidence=0.4)
    assert torch.equal(unsure, mask) and torch.equal(sure, plain)


def test_accurate_confidence_lets_sure_changes_of_an_accurate_input_stand(small_model):
    """An input taken as accurate (the shift at most ``low``) keeps every pixel without
    accurate_confidence; with it, changes as sure as it asks stand (0.462 >= 0.4) and
    less sure ones do not (0.462 < 0.5), at any change_confidence."""
    mask, plain = refine_with_sigmoid_one_local(small_model)
    shift = boundary_shift(plain, mask)
    accurate = dict(accurate_shift=(shift + 1, shift + 2), change_confidence=0.9)
    _, none = refine_with_sigmoid_one_local(small_model, **accurate)
    _, sure = refine_with_sigmoid_one_local(small_model, **accurate, accurate_confidence=0.4)
    _, unsure = refine_with_sigmoid_one_local(small_model, **accurate, accurate_confidence=0.5)
    assert torch.equal(none, mask) and torch.equal(unsure, mask) and torch.equal(sure, plain)


class FlipBlockDenoiser:
    """Copies its input mask, but predicts foreground (logit ``block_logit``) in rows /
    columns ``[0, 8)`` of whatever size it is run at."""

    def __init__(self, block_logit: float = 20.0) -> None:
        self.block_logit = block_logit

    def __call__(self, x, t):
        logits = (x[:, 3:4] * 2 - 1) * 20
        logits[..., :8, :8] = self.block_logit
        return logits


def test_keep_coarse_detail_keeps_the_input_where_the_global_pass_changed_nothing(small_model):
    """A coarse mask with one-pixel detail that a 3x nearest downsampling loses: with
    ``keep_coarse_detail`` the cells the global pass leaves as they were keep every input
    pixel; the cells it changes (the top-left 8x8 cells, 24x24 pixels) take its result."""
    img = torch.randn(1, 3, 96, 96)
    mask = torch.zeros(96, 96, dtype=torch.uint8)
    mask[30:70, 30:70] = 1
    mask[31:69:3, 70] = 1  # a comb of single pixels off the right edge: lost at 32 px
    mask[4, 4] = 1  # inside a cell the global pass turns to foreground anyway
    cfg = SemanticTestCfg(model_size=32)
    kept = refine_semantic(FlipBlockDenoiser(), small_model.diffusion, img, mask,
                           SemanticTestCfg(model_size=32, keep_coarse_detail=True),
                           local=False)
    plain = refine_semantic(FlipBlockDenoiser(), small_model.diffusion, img, mask, cfg,
                            local=False)
    expected = mask.clone()
    expected[:24, :24] = 1
    assert torch.equal(kept, expected)
    assert not torch.equal(plain[:, 70], mask[:, 70])  # the plain pass loses the comb
    assert torch.equal(plain[:24, :24], expected[:24, :24])


def test_accurate_shift_decides_on_a_global_pass_alone(small_model):
    """Global pass only, cells it leaves unchanged keeping the input: FlipBlockDenoiser
    turns the top-left 24x24 px foreground, 576 changed pixels over the 40x40 square's
    boundary of 156 inner + 160 outer = 316 px, a shift of 1.82 px. accurate_shift with ``low``
    above it returns the input, below it the global result."""
    img = torch.randn(1, 3, 96, 96)
    mask = torch.zeros(96, 96, dtype=torch.uint8)
    mask[30:70, 30:70] = 1

    def run(**settings):
        return refine_semantic(FlipBlockDenoiser(), small_model.diffusion, img, mask,
                               SemanticTestCfg(model_size=32, keep_coarse_detail=True,
                                               **settings), local=False)

    plain = run()
    assert int((plain != mask).sum()) == 576 and int(mask_boundary(mask.bool()).sum()) == 316
    assert torch.equal(run(accurate_shift=(1.85, 3.0)), mask)
    assert torch.equal(run(accurate_shift=(1.75, 3.0)), plain)


def test_global_size_by_hand():
    official = SemanticTestCfg(model_size=256)
    assert official.global_size(321, 481) == official.global_size(2160, 4096) == 256
    adaptive = SemanticTestCfg(model_size=256, global_downsample=4)
    assert adaptive.global_size(321, 481) == 128    # 481 / 4 = 120.25 -> 128 (the floor)
    assert adaptive.global_size(480, 854) == 224    # 213.5 -> 224
    assert adaptive.global_size(1145, 1558) == 256  # 389.5 -> capped at model_size
    assert SemanticTestCfg(patch_size=128).local_size == 128
    assert SemanticTestCfg(model_size=256).local_size == 256


def test_boundary_cover_with_a_wider_stride_still_covers_the_boundary():
    boundary = torch.zeros(300, 400, dtype=torch.bool)
    boundary[150, 20:380] = True
    boundary[40:260, 200] = True
    for stride in (64, 96, 128):
        boxes = boundary_boxes(boundary, 128, stride)
        covered = torch.zeros_like(boundary)
        for x1, y1, x2, y2 in boxes.tolist():
            assert x2 - x1 == y2 - y1 == 128
            covered[y1:y2, x1:x2] = True
        assert bool(covered[boundary].all())
    assert len(boundary_boxes(boundary, 128, 128)) < len(boundary_boxes(boundary, 128, 64))


def test_the_fewest_cells_cover_shifts_the_grid_off_a_boundary_on_a_cell_edge():
    # Two boundary rows either side of the unshifted grid's row edge at y = 88: 2 rows of
    # 5 cells (x 0-399), but a grid shifted down by 22 px holds both rows in one row.
    boundary = torch.zeros(300, 400, dtype=torch.bool)
    boundary[87:89, :] = True
    assert len(boundary_boxes(boundary, 128, 88)) == 10
    boxes = boundary_boxes(boundary, 128, 88, fewest=True)
    assert len(boxes) == 5
    assert boxes[:, 1].unique().tolist() == [88 + 44 - 22 - 64]  # the shifted cell's centre
    covered = torch.zeros_like(boundary)
    for x1, y1, x2, y2 in boxes.tolist():
        assert x1 >= 0 and y1 >= 0 and x2 <= 400 and y2 <= 300
        covered[y1:y2, x1:x2] = True
    assert bool(covered[boundary].all())
    # Where no shift helps, the unshifted grid's boxes.
    line = torch.zeros(300, 400, dtype=torch.bool)
    line[40, 10:20] = True
    assert torch.equal(boundary_boxes(line, 128, 88, fewest=True), boundary_boxes(line, 128, 88))


def test_blend_weights_by_hand():
    """Side 4: the tent min(i + 1/2, 4 - i - 1/2) / 2 = 1/4, 3/4, 3/4, 1/4 in each axis."""
    tent = torch.tensor([0.25, 0.75, 0.75, 0.25])
    assert torch.equal(blend_weights(4, "tent"), tent[:, None] * tent[None, :])
    assert torch.equal(blend_weights(4, "mean"), torch.ones(4, 4))
    with pytest.raises(ValueError, match="patch_blend"):
        SemanticTestCfg(patch_blend="max")


def test_patch_merge_weights_overlapping_patches_by_hand():
    """Patches of side 4 at x 0-3 (probability 1) and x 2-5 (probability 0) on a 4x7 map:
    in their overlap, column 2 is A's third column (weight 3/4) and B's first (1/4), so
    the tent gives 3/4 there and 1/4 in column 3, the mean 1/2 in both; column 6 lies
    in no patch."""
    expected = {"tent": [1, 1, 0.75, 0.25, 0, 0, 0], "mean": [1, 1, 0.5, 0.5, 0, 0, 0]}
    for blend, row in expected.items():
        merge = PatchMerge(4, 7, 4, blend)
        merge.add([0, 0, 4, 4], torch.ones(4, 4))
        merge.add([2, 0, 6, 4], torch.zeros(4, 4))
        prob, covered = merge.result()
        assert torch.equal(prob, torch.tensor(row).expand(4, 7)), blend
        assert torch.equal(covered, (torch.arange(7) < 6).expand(4, 7))


class CopyThenLeftHalfDenoiser:
    """Copies its input mask for the first ``copies`` calls (the global pass), then
    predicts foreground in the left half of every patch and background in the right."""

    def __init__(self, copies: int) -> None:
        self.copies, self.calls = copies, 0

    def __call__(self, x, t):
        self.calls += 1
        if self.calls <= self.copies:
            return (x[:, 3:4] * 2 - 1) * 20
        logits = torch.full_like(x[:, 3:4], -20.0)
        logits[..., : x.shape[-1] // 2] = 20.0
        return logits


def test_the_local_pass_merges_patches_as_patch_blend_says(small_model):
    """The input's boundary runs between columns 47 and 48 of a 96 px image; 32 px patches
    on a 16 px grid lie at columns 24-55 (A) and 40-71 (B). Columns 40-55 are A's right
    half (background) and B's left half (foreground): the mean makes them all foreground;
    the tent follows the patch whose centre is nearer, A (centre 39.5/40) up to column 47
    and B (56) from 48. Columns 37-39 (A only) are foreground, 56-58 (B only)
    background; farther than local_band = 10 from the boundary the input stays."""
    mask = torch.zeros(96, 96, dtype=torch.uint8)
    mask[:, :48] = 1
    expected = {"mean": mask.clone(), "tent": mask.clone()}
    expected["mean"][:, 48:56] = 1
    expected["tent"][:, 40:48] = 0
    expected["tent"][:, 48:56] = 1
    for blend, want in expected.items():
        cfg = SemanticTestCfg(model_size=32, local_step=5, cover_boundary=True,
                              unsure_patches=False, cover_stride=16, local_band=10,
                              patch_blend=blend)
        out = refine_semantic(CopyThenLeftHalfDenoiser(5), small_model.diffusion,
                              torch.randn(1, 3, 96, 96), mask, cfg)
        assert torch.equal(out, want), blend


def test_deep_changes_by_hand():
    """A 40x40 square grown by a 1 px ring (depth 0.955, OpenCV's 3x3 L2 step) and a
    12x12 block 3 px off its right side (depth 6 x 0.955 = 5.73 at its centre): the
    typical depth along the square's boundary is the ring's, so with deep_change (2, 1),
    a limit of 2.91 px, the block goes unless its mean confidence reaches
    deep_change_confidence; the ring stays. A region decides as a whole: the block 2 px
    off the ring takes the ring with it where deep_change_gap is 2, not where it is 1."""
    coarse = torch.zeros(80, 80, dtype=torch.bool)
    coarse[20:60, 20:60] = True
    ringed = torch.zeros_like(coarse)
    ringed[19:61, 19:61] = True
    refined = ringed.clone()
    refined[34:46, 64:76] = True
    changed = (refined != coarse).numpy().astype(np.uint8)
    depth = cv2.distanceTransform(changed, cv2.DIST_L2, 3)
    assert depth.max() == pytest.approx(6 * 0.9550, abs=1e-3)
    assert typical_change_depth(depth, mask_boundary(coarse).numpy()) == pytest.approx(0.955,
                                                                                       abs=1e-3)
    confidence = torch.full((80, 80), 0.8)
    gate = SemanticTestCfg(deep_change=(2.0, 1.0))
    assert torch.equal(drop_deep_changes(refined, coarse, confidence, gate), ringed)
    sure = SemanticTestCfg(deep_change=(2.0, 1.0), deep_change_confidence=0.8)
    assert torch.equal(drop_deep_changes(refined, coarse, confidence, sure), refined)
    loose = SemanticTestCfg(deep_change=(2.0, 5.0))  # limit 6.91 px
    assert torch.equal(drop_deep_changes(refined, coarse, confidence, loose), refined)
    assert torch.equal(drop_deep_changes(refined, coarse, confidence, SemanticTestCfg()),
                       refined)
    for gap in (0, 1, 2):  # 3 px of unchanged pixels between block and ring: two regions
        gapped = SemanticTestCfg(deep_change=(2.0, 1.0), deep_change_gap=gap)
        assert torch.equal(drop_deep_changes(refined, coarse, confidence, gapped), ringed)
    refined[34:46, 63] = True  # 2 px between them
    assert torch.equal(drop_deep_changes(refined, coarse, confidence, gate), ringed)
    one_px = SemanticTestCfg(deep_change=(2.0, 1.0), deep_change_gap=1)
    assert torch.equal(drop_deep_changes(refined, coarse, confidence, one_px), ringed)
    two_px = SemanticTestCfg(deep_change=(2.0, 1.0), deep_change_gap=2)
    assert torch.equal(drop_deep_changes(refined, coarse, confidence, two_px), coarse)
    refined[34:46, 61:63] = True  # touching: one region without a gap
    assert torch.equal(drop_deep_changes(refined, coarse, confidence, gate), coarse)


def test_gate_changes_by_hand():
    """The square, ring and block above: the block goes as a deep change; with
    change_confidence 0.5 (no accurate_shift: asked at any shift) the ring's top row,
    0.3 sure, keeps the input and the rest of the ring (0.8) stands. Off, the refined
    mask comes back as it is."""
    coarse = torch.zeros(80, 80, dtype=torch.bool)
    coarse[20:60, 20:60] = True
    refined = torch.zeros_like(coarse)
    refined[19:61, 19:61] = True
    refined[34:46, 64:76] = True
    confidence = torch.full((80, 80), 0.8)
    confidence[19] = 0.3
    want = coarse.clone()
    want[20:61, 19:61] = True
    gate = SemanticTestCfg(deep_change=(2.0, 1.0), change_confidence=0.5)
    assert gate_on(gate) and keeps_unsure_pixels(gate)
    assert torch.equal(gate_changes(refined, confidence, coarse, gate), want)
    deep_only = SemanticTestCfg(deep_change=(2.0, 1.0))
    assert gate_on(deep_only) and not keeps_unsure_pixels(deep_only)
    ringed = refined.clone()
    ringed[34:46, 64:76] = False
    assert torch.equal(gate_changes(refined, confidence, coarse, deep_only), ringed)
    assert not gate_on(SemanticTestCfg())
    assert gate_changes(refined, confidence, coarse, SemanticTestCfg()) is refined


def test_deep_change_drops_an_unsure_region_of_the_global_pass(small_model):
    """FlipBlockDenoiser(1.0) adds the top-left 24x24 px block, away from the 40x40
    square, at confidence 2 |sigmoid(1) - 0.5| = 0.462 of the global pass: no change
    reaches the square's boundary (typical depth 0), so with deep_change (4, 2) the block
    (depth 11 x 0.955) goes when deep_change_confidence asks 0.5 and stays at 0.4."""
    img = torch.randn(1, 3, 96, 96)
    mask = torch.zeros(96, 96, dtype=torch.uint8)
    mask[30:70, 30:70] = 1

    def run(**settings):
        return refine_semantic(FlipBlockDenoiser(1.0), small_model.diffusion, img, mask,
                               SemanticTestCfg(model_size=32, keep_coarse_detail=True,
                                               **settings), local=False)

    plain = run()
    assert int((plain != mask).sum()) == 576
    assert torch.equal(run(deep_change=(4.0, 2.0), deep_change_confidence=0.5), mask)
    assert torch.equal(run(deep_change=(4.0, 2.0), deep_change_confidence=0.4), plain)
