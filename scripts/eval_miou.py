"""IoU and mBA of predicted masks against ground truth (BIG and other whole-image sets).

    python scripts/eval_miou.py --gt-dir data/big/test --pred-dir outputs/big

Pairs files by name: ground truth ``NAME_gt.png`` (or ``NAME.png``), prediction
``NAME_refine.png`` (or ``NAME.png``); override with --gt-suffix / --pred-suffix. Masks
are binarised at >= 128. IoU is dataset-cumulative (sum of intersections / sum of
unions); mBA is CascadePSP's mean boundary accuracy averaged over images.
"""
from __future__ import annotations

import argparse
import sys

from segrefiner.evaluation.folders import find_pairs, score_pairs
from segrefiner.evaluation.functional.summary import summarize_iou_mba
from segrefiner.evaluation.report import report
from segrefiner.utils.errors import run_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gt-dir", required=True, help="folder of ground-truth mask PNGs")
    parser.add_argument("--pred-dir", required=True, help="folder of predicted mask PNGs")
    parser.add_argument("--gt-suffix", help="ground-truth file suffix (default _gt.png or .png)")
    parser.add_argument("--pred-suffix", help="prediction suffix (default _refine.png or .png)")
    parser.add_argument("--allow-missing", action="store_true",
                        help="score the pairs found even if some predictions are missing")
    parser.add_argument("--workers", type=int, help="processes (default: all cores)")
    parser.add_argument("--json-out", help="also write the metrics to this JSON file")
    args = parser.parse_args(argv)
    pairs = find_pairs(args.gt_dir, args.pred_dir, args.gt_suffix, args.pred_suffix,
                       args.allow_missing)
    metrics = summarize_iou_mba(score_pairs(pairs, num_workers=args.workers))
    report({"images": len(pairs), **metrics}, args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
