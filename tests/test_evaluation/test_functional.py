"""Metric functions: the reference values, hand-computed cases and empty masks."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from helpers import FIXTURES

from segrefiner.datasets.io import read_mask
from segrefiner.evaluation.functional import (
    boundary_accuracy,
    boundary_width,
    cumulative_iou,
    intersection_union,
    mask_iou,
    mask_to_boundary,
    mba_radii,
)

METRICS = FIXTURES / "metrics"
EXPECTED = json.loads((METRICS / "expected.json").read_text())


def read(name: str) -> np.ndarray:
    return read_mask(METRICS / name)


@pytest.mark.parametrize("case", EXPECTED["mask_cases"], ids=lambda c: c["gt"])
def test_reference_mask_pairs(case):
    gt, pred = read(case["gt"]), read(case["pred"])
    assert boundary_accuracy(gt, pred) == pytest.approx(case["mba"], abs=1e-6)
    assert mask_iou(gt, pred) == pytest.approx(case["iou"], abs=1e-6)


def test_reference_dataset_values():
    pairs = [(read(c["gt"]), read(c["pred"])) for c in EXPECTED["mask_cases"]]
    iou = cumulative_iou(intersection_union(g, p) for g, p in pairs)
    mba = np.mean([boundary_accuracy(g, p) for g, p in pairs])
    assert iou == pytest.approx(EXPECTED["dataset"]["iou_cumulative"], abs=1e-6)
    assert mba == pytest.approx(EXPECTED["dataset"]["mba_mean"], abs=1e-6)


def test_mba_radii_by_hand():
    assert mba_radii(480, 640) == [1, 1, 2, 2, 3]
    assert mba_radii(1600, 2048) == [1, 3, 5, 7, 9]


def test_image_frame_is_a_boundary_for_boundary_iou_but_not_for_mba():
    full = np.ones((20, 30), np.uint8)
    # Boundary IoU pads with background: a full mask has a band of width d at the frame.
    d = boundary_width(20, 30)  # round(0.02 * 36.06) = 1
    assert d == 1
    band = mask_to_boundary(full)
    assert band[0].all() and band[:, 0].all() and band[1:-1, 1:-1].sum() == 0
    # mBA: a GT that fills the image has no boundary band at all.
    assert math.isnan(boundary_accuracy(full.astype(bool), full.astype(bool)))
    # A vertical edge in the middle: the band is interior only.
    gt = np.zeros((30, 30), bool)
    gt[:, :15] = True
    pred = gt.copy()
    pred[:, 15] = True  # one column wrong, inside every band
    # radii for 30x30 are all 1: band = columns 14 and 15 (gradient with a 3x3 ellipse)
    assert mba_radii(30, 30) == [1] * 5
    assert boundary_accuracy(gt, pred) == pytest.approx(0.5)


def test_boundary_band_width_follows_the_diagonal():
    assert boundary_width(480, 640) == 16   # round(0.02 * 800)
    assert boundary_width(1600, 2048) == 52  # round(0.02 * 2598.9)
    mask = np.zeros((100, 100), np.uint8)
    mask[20:80, 20:80] = 1
    band = mask_to_boundary(mask)            # d = round(2.83) = 3
    assert band.sum() == 60 * 60 - 54 * 54


def test_empty_masks():
    empty = np.zeros((10, 10), bool)
    assert mask_iou(empty, empty) == 1.0
    assert cumulative_iou([(0, 0), (0, 0)]) == 1.0
    some = empty.copy()
    some[2:4, 2:4] = True
    assert mask_iou(some, empty) == 0.0
    assert math.isnan(boundary_accuracy(empty, some))
    assert mask_to_boundary(empty.astype(np.uint8)).sum() == 0


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shapes differ"):
        mask_iou(np.zeros((2, 2), bool), np.zeros((2, 3), bool))
