"""Instance masks of one image in the formats other models write, read and written back
in the same format: segment-anything's automatic-mask-generator records (a JSON list of
dicts with a ``segmentation`` as compressed / uncompressed RLE or a binary mask, ``bbox``,
``predicted_iou``, ...) and a folder of per-instance mask PNGs."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pycocotools.mask as mask_utils

from segrefiner.datasets.io import IMAGE_SUFFIXES, mask_png_bytes, read_mask
from segrefiner.datasets.pairing import files_by_name
from segrefiner.utils.boxes import mask_box
from segrefiner.utils.errors import UserError
from segrefiner.utils.io import read_json, write_bytes_atomic, write_json_atomic

SAM_RECORDS, MASK_FOLDER = "segment-anything records", "folder of instance masks"


@dataclass
class InstanceSet:
    """N instance masks of one image and what is needed to write them back as read."""

    kind: str
    masks: np.ndarray  # (N, H, W) bool
    records: list[dict] = field(default_factory=list)  # SAM: the records as read
    names: list[str] = field(default_factory=list)  # folder: the file names as read


def is_sam_records(data: Any) -> bool:
    """True for a list of dicts that each have a ``segmentation`` and no ``image_id``
    (segment-anything's automatic-mask-generator output for one image)."""
    return (isinstance(data, list) and bool(data) and all(isinstance(d, dict) for d in data)
            and all("segmentation" in d and "image_id" not in d for d in data))


def decode_sam_segmentation(segmentation: Any, shape: tuple[int, int], source: str) -> np.ndarray:
    """A SAM ``segmentation`` (RLE dict, compressed or not, or a binary mask as nested
    lists) -> (H, W) bool."""
    if isinstance(segmentation, dict):
        rle = segmentation
        if isinstance(rle.get("counts"), list):
            rle = mask_utils.frPyObjects(rle, *rle["size"])
        mask = mask_utils.decode(rle).astype(bool)
    else:
        mask = np.asarray(segmentation, dtype=bool)
    if mask.shape != tuple(shape):
        raise UserError(f"{source}: a mask is {mask.shape[1]}x{mask.shape[0]}, the image "
                        f"{shape[1]}x{shape[0]}")
    return mask


def encode_like(mask: np.ndarray, original: Any) -> Any:
    """(H, W) bool mask in the encoding of ``original``: compressed RLE (counts a string),
    uncompressed RLE (counts a list) or a binary mask (nested lists)."""
    if not isinstance(original, dict):
        return mask.astype(bool).tolist()
    if isinstance(original.get("counts"), list):
        counts, value, run = [], False, 0
        for pixel in mask.astype(bool).flatten(order="F"):
            if pixel == value:
                run += 1
            else:
                counts.append(run)
                value, run = pixel, 1
        counts.append(run)
        return {"size": list(mask.shape), "counts": counts}
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")}


def read_instances(path: str | Path, shape: tuple[int, int]) -> InstanceSet:
    """The instance masks at ``path`` (a SAM records JSON or a folder of mask PNGs) of an
    image of ``shape``; UserError naming the file when it is neither."""
    path = Path(path)
    if path.is_dir():
        files = files_by_name(path, IMAGE_SUFFIXES)
        if not files:
            raise UserError(f"{path}: no mask files in this folder")
        masks = []
        for file in files.values():
            mask = read_mask(file)
            if mask.shape != tuple(shape):
                raise UserError(f"{file}: mask size {mask.shape[1]}x{mask.shape[0]} differs "
                                f"from the image {shape[1]}x{shape[0]}")
            masks.append(mask)
        return InstanceSet(MASK_FOLDER, np.stack(masks), names=[f.name for f in files.values()])
    data = read_json(path, "instance masks")
    if not is_sam_records(data):
        raise UserError(f"{path}: neither a COCO results list (with image_id) nor "
                        "segment-anything records (a list of dicts with segmentation)")
    masks = [decode_sam_segmentation(d["segmentation"], shape, str(path)) for d in data]
    return InstanceSet(SAM_RECORDS, np.stack(masks), records=data)


def write_instances(instances: InstanceSet, refined: np.ndarray, out: str | Path) -> None:
    """Write ``refined`` (N, H, W) masks at ``out`` in the format ``instances`` was read in:
    SAM records with ``segmentation``, ``area`` and ``bbox`` (SAM's XYWH) of the refined masks and
    every other field as read; or one 0/255 PNG per instance, named as read."""
    out = Path(out)
    if instances.kind == MASK_FOLDER:
        for name, mask in zip(instances.names, refined, strict=True):
            write_bytes_atomic(out / f"{Path(name).stem}.png", mask_png_bytes(mask))
        return
    records = []
    for record, mask in zip(instances.records, refined.astype(bool), strict=True):
        box = mask_box(mask)
        x1, y1, x2, y2 = box if box is not None else (0, 0, 1, 1)
        # XYWH with inclusive last indices, as segment-anything computes its boxes.
        records.append({**record, "segmentation": encode_like(mask, record["segmentation"]),
                        "area": int(mask.sum()), "bbox": [x1, y1, x2 - 1 - x1, y2 - 1 - y1]})
    write_json_atomic(out, records)
