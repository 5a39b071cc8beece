"""Make the "cocofied" LVIS annotations: LVIS restricted to the 80 COCO categories.

    python scripts/lvis2coco.py --lvis data/lvis/annotations/lvis_v1_val.json \
        --out data/lvis/annotations/lvis_v1_val_cocofied.json

The published SegRefiner Mask AP / Boundary AP on COCO val are computed against these
annotations (category ids become COCO's, so COCO-category detections can be scored).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from segrefiner.evaluation.cocofy import COCO_TO_SYNSET, cocofy_lvis
from segrefiner.utils.errors import UserError, run_cli
from segrefiner.utils.io import read_json, write_json_atomic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lvis", default="data/lvis/annotations/lvis_v1_val.json",
                        help="LVIS annotations (default: the official data/ tree)")
    parser.add_argument("--out", default="data/lvis/annotations/lvis_v1_val_cocofied.json",
                        help="where to write the cocofied annotations")
    parser.add_argument("--synset-map", default=str(COCO_TO_SYNSET),
                        help="lvis-api's coco_to_synset.json (bundled)")
    args = parser.parse_args(argv)
    src, out = Path(args.lvis), Path(args.out)
    lvis = read_json(src, "LVIS annotation")
    if out.resolve() == src.resolve():
        raise UserError(f"{out}: refusing to overwrite the input file")
    if not {"images", "annotations", "categories"} <= set(lvis):
        raise UserError(f"{src}: not an LVIS annotation file (needs images, annotations, "
                        "categories)")
    cocofied = cocofy_lvis(lvis, args.synset_map)
    write_json_atomic(out, cocofied)
    print(f"images: {len(cocofied['images'])}")
    print(f"annotations: {len(cocofied['annotations'])}")
    print(f"categories: {len(cocofied['categories'])}")
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
