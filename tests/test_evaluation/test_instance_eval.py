"""LVIS / COCO Mask AP and Boundary AP: reference values and a hand-computed case."""
from __future__ import annotations

import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest
from helpers import FIXTURES
from pycocotools.coco import COCO

from segrefiner.evaluation.cocofy import cocofy_lvis
from segrefiner.evaluation.instance_eval import boundary_rles, evaluate_coco, evaluate_lvis

METRICS = FIXTURES / "metrics"
EXPECTED = json.loads((METRICS / "expected.json").read_text())


@pytest.fixture(scope="module")
def lvis_stats():
    return evaluate_lvis(str(METRICS / "lvis_v0.5_val_100.json"), str(METRICS / "dets.json"))


@pytest.mark.parametrize("iou_type", ["segm", "boundary"])
def test_lvis_stats_match_the_reference(lvis_stats, iou_type):
    expected = EXPECTED[iou_type]
    assert set(lvis_stats[iou_type]) == set(expected)
    for name, value in expected.items():
        assert lvis_stats[iou_type][name] == pytest.approx(value, abs=1e-6), name


def test_parallel_boundaries_equal_serial():
    dets = json.loads((METRICS / "dets.json").read_text())[:300]
    rles = [d["segmentation"] for d in dets]
    serial = boundary_rles(rles, num_workers=1)
    parallel = boundary_rles(rles, num_workers=2)
    assert [r["counts"] for r in serial] == [r["counts"] for r in parallel]


def square(h: int, w: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    mask[y0:y1, x0:x1] = 1
    return mask


def ring(y0: int, y1: int, x0: int, x1: int, d: int) -> set[tuple[int, int]]:
    """Pixels of a filled rectangle within d of its edge, by enumeration."""
    return {(y, x) for y in range(y0, y1) for x in range(x0, x1)
            if min(y - y0, y1 - 1 - y, x - x0, x1 - 1 - x) < d}


def rle(mask: np.ndarray) -> dict:
    out = mask_utils.encode(np.asfortranarray(mask))
    out["counts"] = out["counts"].decode()
    return out


def test_coco_segm_and_boundary_ap_by_hand():
    h = w = 100
    gt_masks = [square(h, w, 10, 50, 10, 50), square(h, w, 60, 90, 60, 90)]
    coco = COCO()
    coco.dataset = {
        "images": [{"id": 1, "height": h, "width": w}],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": [{"id": i + 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
                         "segmentation": rle(m), "area": float(m.sum()),
                         "bbox": list(map(float, mask_utils.toBbox(rle(m))))}
                        for i, m in enumerate(gt_masks)]}
    coco.createIndex()
    shifted = square(h, w, 60, 90, 65, 95)
    dets = [{"image_id": 1, "category_id": 1, "segmentation": rle(gt_masks[0]), "score": 0.9},
            {"image_id": 1, "category_id": 1, "segmentation": rle(shifted), "score": 0.8}]
    stats = evaluate_coco(coco, dets)

    mask_iou = (25 * 30) / (35 * 30)
    d = round(0.02 * np.hypot(h, w))  # 3
    a, b = ring(60, 90, 60, 90, d), ring(60, 90, 65, 95, d)
    boundary_iou = min(mask_iou, len(a & b) / len(a | b))
    thresholds = np.linspace(0.5, 0.95, 10)
    half = 51 / 101  # one of two found, precision 1: 101-point interpolated AP

    def expected_ap(iou: float) -> float:
        return float(np.mean([1.0 if iou >= t - 1e-12 else half for t in thresholds]))

    assert stats["segm"]["AP"] == pytest.approx(expected_ap(mask_iou), abs=1e-6)
    assert stats["boundary"]["AP"] == pytest.approx(expected_ap(boundary_iou), abs=1e-6)
    assert stats["boundary"]["AP"] < stats["segm"]["AP"]


def test_cocofied_lvis_keeps_only_coco_categories():
    lvis = json.loads((METRICS / "lvis_v0.5_val_100.json").read_text())
    cocofied = cocofy_lvis(lvis)
    coco_ids = {c["id"] for c in cocofied["categories"]}
    assert coco_ids and max(coco_ids) <= 90 and len(coco_ids) <= 80
    assert {a["category_id"] for a in cocofied["annotations"]} <= coco_ids
    assert [a["id"] for a in cocofied["annotations"]] == list(
        range(1, len(cocofied["annotations"]) + 1))
    assert 0 < len(cocofied["annotations"]) < len(lvis["annotations"])
    for image in cocofied["images"]:
        assert set(image["neg_category_ids"]) <= coco_ids
    # Every kept annotation is an original one with a renamed category.
    by_seg = {json.dumps(a["segmentation"]): a for a in lvis["annotations"]}
    names = {c["id"]: c["synset"] for c in lvis["categories"]}
    coco_names = {c["id"]: c["synset"] for c in cocofied["categories"]}
    for ann in cocofied["annotations"][:50]:
        original = by_seg[json.dumps(ann["segmentation"])]
        assert names[original["category_id"]] == coco_names[ann["category_id"]]


def test_numpy_float_alias_exists_only_inside_its_block():
    import numpy as np

    import segrefiner.evaluation.instance_eval  # noqa: F401  (imports lvis)
    from segrefiner.compat import numpy_float_alias

    assert not hasattr(np, "float")
    with numpy_float_alias():
        assert np.float is float
    assert not hasattr(np, "float")
