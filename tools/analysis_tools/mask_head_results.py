"""A results JSON of Mask R-CNN-like coarse masks made from COCO / LVIS annotations.

    python tools/analysis_tools/mask_head_results.py --gt ANNOTATIONS.json -o DT.json
        [--resolution 28] [--min-area 0]

Every annotation becomes one detection with its own category, score 1 and the annotated
mask at a ``resolution`` x ``resolution`` mask head's resolution (area-averaged down in
the box, bilinear back up, threshold 0.5: :func:`mask_head_mask`), RLE-encoded. A
detector with perfect recognition and a mask head's boundaries: its Mask AP is what
refinement can raise (``segrefiner refine-coco --results DT.json``, then
``scripts/eval_json.py``). Crowd annotations and those smaller than ``--min-area`` are
left out.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from segrefiner.analysis.mask_head import mask_head_mask
from segrefiner.datasets.io import segmentation_to_mask
from segrefiner.evaluation.metrics.instance_metric import encode_masks
from segrefiner.utils.errors import UserError, run_cli
from segrefiner.utils.io import read_json, write_json_atomic


def mask_head_detections(gt: dict, resolution: int = 28, min_area: float = 0.0) -> list[dict]:
    """COCO-style results (image_id, category_id, segmentation RLE, score 1.0), one per
    non-crowd annotation of ``gt`` with area >= ``min_area``."""
    sizes = {img["id"]: (img["height"], img["width"]) for img in gt["images"]}
    detections = []
    for ann in gt["annotations"]:
        if ann.get("iscrowd", 0) or ann.get("area", np.inf) < min_area:
            continue
        height, width = sizes[ann["image_id"]]
        mask = mask_head_mask(segmentation_to_mask(ann["segmentation"], height, width),
                              resolution)
        (rle,) = encode_masks(mask[None])
        detections.append(dict(image_id=ann["image_id"], category_id=ann["category_id"],
                               segmentation=rle, score=1.0))
    return detections


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gt", required=True, help="COCO / LVIS annotations JSON")
    parser.add_argument("-o", "--output", required=True, help="results JSON to write")
    parser.add_argument("--resolution", type=int, default=28)
    parser.add_argument("--min-area", type=float, default=0.0)
    args = parser.parse_args(argv)
    path = Path(args.gt)
    gt = read_json(path, "annotations")
    if not {"images", "annotations"} <= set(gt):
        raise UserError(f"{path}: not COCO / LVIS annotations (no 'images' / 'annotations')")
    if Path(args.output).resolve() == path.resolve():
        raise UserError(f"{args.output}: would overwrite the annotations; choose another -o")
    detections = mask_head_detections(gt, args.resolution, args.min_area)
    write_json_atomic(args.output, detections)
    print(f"{len(detections)} detections -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
