"""IoU of the online coarse masks with their ground truth, and masks per second.

    python tools/analysis_tools/coarse_mask_stats.py [--instances FILE] [--seed S]

FILE: an LVIS / COCO annotation JSON, or a list of {height, width, segmentation}
(default: the 160 lvis_mini instances in tests/fixtures). Instances with fewer than
``--min-area`` (512) pixels at full image size are skipped, as in LR training.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from segrefiner.datasets.coarse_masks import make_coarse_mask
from segrefiner.datasets.io import segmentation_to_mask
from segrefiner.evaluation.functional import mask_iou
from segrefiner.utils.errors import run_cli

DEFAULT = Path(__file__).resolve().parents[2] / "tests/fixtures/lvis/lvis_mini_instances.json"


def load_instances(path: Path) -> list[tuple[int, int, object]]:
    data = json.loads(path.read_text())
    if isinstance(data, list):
        return [(d["height"], d["width"], d["segmentation"]) for d in data]
    sizes = {im["id"]: (im["height"], im["width"]) for im in data["images"]}
    return [(*sizes[a["image_id"]], a["segmentation"]) for a in data["annotations"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default=str(DEFAULT))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-area", type=int, default=512)
    args = parser.parse_args(argv)
    masks = [m for h, w, seg in load_instances(Path(args.instances))
             if (m := segmentation_to_mask(seg, h, w)).sum() >= args.min_area]
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    coarse = [make_coarse_mask(m, rng) for m in masks]
    seconds = time.perf_counter() - start
    ious = [mask_iou(m.astype(bool), c.astype(bool)) for m, c in zip(masks, coarse, strict=True)]
    print(f"instances: {len(masks)}")
    print(f"iou_mean: {np.mean(ious):.3f}")
    print(f"iou_min: {np.min(ious):.3f}")
    print(f"iou_max: {np.max(ious):.3f}")
    print(f"masks_per_s: {len(masks) / seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
