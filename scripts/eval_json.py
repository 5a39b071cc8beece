"""Mask AP and Boundary AP of a results JSON against LVIS or COCO annotations.

    python scripts/eval_json.py --gt lvis_v1_val_cocofied.json --dt refined.segm.json

--gt    ground-truth annotations: LVIS format (e.g. the cocofied LVIS val made by
        scripts/lvis2coco.py, as in the published table) or COCO format.
--dt    detections / refined masks: a COCO-style results list (image_id, category_id,
        segmentation as RLE or polygons, score).
--iou-type  segm (Mask AP), boundary (Boundary AP, lvis-api lvis_challenge_2021), or both
            (default).
Prints ``<iou_type>_<stat>: value`` lines (e.g. ``segm_AP: 0.6125``).
"""
from __future__ import annotations

import argparse
import sys

from segrefiner.evaluation.cocofy import ensure_cocofied
from segrefiner.evaluation.instance_eval import IOU_TYPES, LoadedLVIS, evaluate_coco, evaluate_lvis
from segrefiner.evaluation.report import report
from segrefiner.utils.errors import UserError, run_cli
from segrefiner.utils.io import read_json


def detect_dataset(gt: dict) -> str:
    """'lvis' when the annotations carry LVIS's image-level labels or frequencies."""
    images, categories = gt.get("images", []), gt.get("categories", [])
    lvis_images = bool(images) and "neg_category_ids" in images[0]
    lvis_categories = bool(categories) and "frequency" in categories[0]
    return "lvis" if lvis_images or lvis_categories else "coco"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gt", required=True, help="ground-truth annotations JSON (LVIS/COCO)")
    parser.add_argument("--dt", required=True, help="results JSON to score (COCO results list)")
    parser.add_argument("--iou-type", nargs="+", choices=IOU_TYPES, default=list(IOU_TYPES),
                        help="segm and/or boundary (default both)")
    parser.add_argument("--dataset", choices=("auto", "lvis", "coco"), default="auto",
                        help="evaluator: LVISEval or COCOeval (default: from the GT file)")
    parser.add_argument("--max-dets", type=int, default=300, help="LVIS detections per image")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes for boundary extraction (default: all cores)")
    parser.add_argument("--json-out", help="also write the metrics to this JSON file")
    parser.add_argument("--verbose", action="store_true", help="print the full summary tables")
    args = parser.parse_args(argv)

    ensure_cocofied(args.gt)  # the official data/ tree has only lvis_v1_val.json
    gt = read_json(args.gt, "ground-truth")
    dt = read_json(args.dt, "results")
    if not isinstance(dt, list) or not all(isinstance(d, dict) for d in dt):
        raise UserError(f"{args.dt}: expected a list of result objects")
    missing = {"image_id", "category_id", "segmentation", "score"} - set(dt[0]) if dt else set()
    if missing:
        raise UserError(f"{args.dt}: result entries lack {', '.join(sorted(missing))}")
    if not dt:
        raise UserError(f"{args.dt}: no results to evaluate")
    dataset = detect_dataset(gt) if args.dataset == "auto" else args.dataset
    if dataset == "lvis":
        stats = evaluate_lvis(LoadedLVIS(gt), dt, args.iou_type, max_dets=args.max_dets,
                              num_workers=args.workers, verbose=args.verbose)
    else:
        from pycocotools.coco import COCO

        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        stats = evaluate_coco(coco_gt, dt, args.iou_type, num_workers=args.workers,
                              verbose=args.verbose)
    report({f"{t}_{k}": v for t, values in stats.items() for k, v in values.items()},
           args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
