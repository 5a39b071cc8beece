"""segment-anything records and folders of instance PNGs: refined and written back in the
format they came in, equal to what Refiner.refine_instances returns."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pycocotools.mask as mask_utils
import pytest
from conftest import TINY_INSTANCE
from helpers import FIXTURES

from segrefiner.apis import Refiner
from segrefiner.cli import main
from segrefiner.datasets.instance_files import decode_sam_segmentation, encode_like
from segrefiner.datasets.io import mask_png_bytes, read_image, read_mask
from segrefiner.utils.errors import run_cli

BIG = FIXTURES / "big"
NAME = "grabcut_106024"


@pytest.fixture
def scene(tmp_path):
    image = tmp_path / "image.jpg"
    shutil.copy(BIG / f"{NAME}_im.jpg", image)
    coarse = read_mask(BIG / f"{NAME}_seg.png")
    left, right = coarse.copy(), coarse.copy()
    middle = coarse.shape[1] // 2
    left[:, middle:], right[:, :middle] = False, False
    masks = np.stack([left, right, coarse])
    assert (masks.sum(axis=(1, 2)) >= 512).all()  # all refined (area_thr)
    return image, masks


def sam_record(mask: np.ndarray, encoding: str) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    segmentation = {"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")}
    if encoding == "uncompressed":
        segmentation = encode_like(mask, {"counts": []})
    elif encoding == "binary":
        segmentation = mask.tolist()
    ys, xs = np.nonzero(mask)
    return {"segmentation": segmentation, "area": int(mask.sum()),
            "bbox": [int(xs.min()), int(ys.min()), int(xs.max() - xs.min()),
                     int(ys.max() - ys.min())],
            "predicted_iou": 0.9, "point_coords": [[10.0, 20.0]], "stability_score": 0.95,
            "crop_box": [0, 0, mask.shape[1], mask.shape[0]]}


@pytest.mark.parametrize("encoding", ["compressed", "uncompressed", "binary"])
def test_encodings_round_trip(scene, encoding):
    _, masks = scene
    record = sam_record(masks[0], encoding)
    decoded = decode_sam_segmentation(record["segmentation"], masks.shape[1:], "r")
    assert np.array_equal(decoded, masks[0])
    again = encode_like(decoded, record["segmentation"])
    assert type(again) is type(record["segmentation"])
    assert np.array_equal(decode_sam_segmentation(again, masks.shape[1:], "r"), masks[0])


@pytest.mark.parametrize("encoding", ["compressed", "binary"])
def test_sam_records_round_trip_refined(capsys, scene, tmp_path, tiny_checkpoint, encoding):
    image, masks = scene
    records = [sam_record(m, encoding) for m in masks]
    source = tmp_path / "sam.json"
    source.write_text(json.dumps(records))
    out = tmp_path / "refined.json"
    code = run_cli(main, ["refine-instances", "--image", str(image), "--results", str(source),
                          "-o", str(out), "--config", str(TINY_INSTANCE), "--checkpoint",
                          str(tiny_checkpoint), "--no-progress"])
    assert code == 0, capsys.readouterr().err
    expected = Refiner(TINY_INSTANCE, tiny_checkpoint).refine_instances(image, masks)
    refined = json.loads(out.read_text())
    assert len(refined) == len(records)
    for got, given, want in zip(refined, records, expected, strict=True):
        assert set(got) == set(given)
        assert type(got["segmentation"]) is type(given["segmentation"])
        mask = decode_sam_segmentation(got["segmentation"], masks.shape[1:], "out")
        assert np.array_equal(mask, want.astype(bool))
        assert got["area"] == int(want.sum())
        ys, xs = np.nonzero(want)
        assert got["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min()]
        for key in ("predicted_iou", "point_coords", "stability_score", "crop_box"):
            assert got[key] == given[key]
    assert json.loads(source.read_text()) == records  # the input is untouched


def test_a_folder_of_instance_pngs_round_trips_refined(capsys, scene, tmp_path,
                                                       tiny_checkpoint):
    image, masks = scene
    source = tmp_path / "instances"
    source.mkdir()
    names = ["cat_left", "cat_right", "cat_whole"]
    for name, mask in zip(names, masks, strict=True):
        (source / f"{name}.png").write_bytes(mask_png_bytes(mask))
    out = tmp_path / "refined"
    code = run_cli(main, ["refine-coco", "--image", str(image), "--results", str(source),
                          "-o", str(out), "--config", str(TINY_INSTANCE), "--checkpoint",
                          str(tiny_checkpoint), "--no-progress"])
    assert code == 0, capsys.readouterr().err
    expected = Refiner(TINY_INSTANCE, tiny_checkpoint).refine_instances(
        read_image(image), [read_mask(source / f"{n}.png") for n in sorted(names)])
    assert sorted(p.name for p in out.iterdir()) == [f"{n}.png" for n in sorted(names)]
    for name, want in zip(sorted(names), expected, strict=True):
        assert np.array_equal(read_mask(out / f"{name}.png"), want.astype(bool))
    code = run_cli(main, ["refine-coco", "--image", str(image), "--results", str(source),
                          "-o", str(source), "--config", str(TINY_INSTANCE), "--checkpoint",
                          str(tiny_checkpoint), "--no-progress"])
    assert code == 2 and "is an input folder" in capsys.readouterr().err
