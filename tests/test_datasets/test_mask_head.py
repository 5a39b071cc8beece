"""mask_head_mask: the 28 x 28 mask-head resolution limit, checked on hand-made masks."""
from __future__ import annotations

import numpy as np

from segrefiner.datasets.mask_head import mask_head_mask


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
