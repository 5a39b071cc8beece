"""box_of (hand-computed boxes) and box_grabcut_mask (GrabCut from a box, on a drawn scene
whose answer is known)."""
from __future__ import annotations

import numpy as np
from helpers import disc_scene

from segrefiner.analysis.box_segmentation import box_grabcut_mask, box_of
from segrefiner.evaluation.functional.iou import mask_iou


def test_box_is_the_tight_box_grown_by_the_margin_and_clipped():
    gt = np.zeros((100, 100), bool)
    gt[10:30, 20:60] = True  # 20 rows, 40 columns
    assert box_of(gt, margin=0.05) == (18, 9, 44, 22)  # dx = 2, dy = 1
    gt[:, 95:] = True  # now 100 rows (0-99), columns 20-99
    assert box_of(gt, margin=0.1) == (12, 0, 88, 100)  # dx = 8, clipped at 100
    assert box_of(np.zeros((5, 5), bool)) is None


def test_grabcut_from_the_box_finds_the_object_and_nothing_outside_the_box():
    image, disc, square = disc_scene()
    out = box_grabcut_mask(image, disc)
    assert out.dtype == np.uint8 and set(np.unique(out)) <= {0, 1}
    found = out.astype(bool)
    assert mask_iou(disc, found) > 0.95
    assert not found[square].any()  # same colour, outside the box


def test_empty_mask_or_a_box_over_the_whole_image_gives_an_empty_result():
    image, _, _ = disc_scene()
    assert not box_grabcut_mask(image, np.zeros((160, 240), bool)).any()
    everything = np.ones((160, 240), bool)
    assert not box_grabcut_mask(image, everything).any()
