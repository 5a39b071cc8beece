"""DIS5K metrics per subset: IoU, mBA, maxF, weighted F, MAE, S-measure, mean E-measure.

    python scripts/eval_miou_dis.py --gt-root data/dis --pred-root outputs/dis

Ground truth: ``<gt-root>/<subset>/gt/NAME.png``; predictions (tools/test.py with the
DIS config): ``<pred-root>/<subset>/NAME.png``. Subsets without predictions are skipped.
Prints ``<subset>/<metric>: value`` lines.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from segrefiner.evaluation.folders import find_pairs, score_pairs
from segrefiner.evaluation.functional.summary import summarize_dis
from segrefiner.evaluation.report import report
from segrefiner.utils.errors import UserError, run_cli

DIS_SUBSETS = ("DIS-VD", "DIS-TE1", "DIS-TE2", "DIS-TE3", "DIS-TE4")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gt-root", default="data/dis", help="DIS5K root (default data/dis)")
    parser.add_argument("--pred-root", required=True, help="root of the predicted subsets")
    parser.add_argument("--subsets", nargs="+", default=list(DIS_SUBSETS), help="subsets")
    parser.add_argument("--allow-missing", action="store_true",
                        help="score the pairs found even if some predictions are missing")
    parser.add_argument("--workers", type=int, help="processes (default: all cores)")
    parser.add_argument("--json-out", help="also write the metrics to this JSON file")
    args = parser.parse_args(argv)
    metrics: dict[str, float] = {}
    for subset in args.subsets:
        pred_dir = Path(args.pred_root) / subset
        if not pred_dir.is_dir():
            continue
        pairs = find_pairs(Path(args.gt_root) / subset / "gt", pred_dir, ".png", ".png",
                           args.allow_missing)
        values = summarize_dis(score_pairs(pairs, with_sod=True, num_workers=args.workers))
        metrics[f"{subset}/images"] = len(pairs)
        metrics.update({f"{subset}/{k}": v for k, v in values.items()})
    if not metrics:
        raise UserError(f"{args.pred_root}: no predictions for any of {', '.join(args.subsets)}")
    report(metrics, args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
