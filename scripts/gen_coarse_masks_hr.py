"""Write the offline coarse masks of the HR training sets and data/collection_hr.json.

    python scripts/gen_coarse_masks_hr.py [--data-root data] [--workers N] [--seed S]

With no arguments it works on the official data/ tree: data/dis/DIS-TR/{im,gt} and
data/thin_object/{images,masks,list}. Writes <set>/coarse/NAME.png and
<set>/coarse_expand/NAME.png (holes filled) next to them, in parallel with a progress
bar; files that exist are skipped, so an interrupted run resumes where it stopped.
"""
from __future__ import annotations

import argparse
import os
import sys
from multiprocessing import get_context
from pathlib import Path

from tqdm import tqdm

from segrefiner.datasets.hr_collection import (
    collection_entries,
    dis_pairs,
    make_pair_masks,
    thin_object_pairs,
)
from segrefiner.utils.errors import UserError, run_cli
from segrefiner.utils.io import write_json_atomic


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default="data", help="the official data/ tree")
    parser.add_argument("--out", help="collection file (default <data-root>/collection_hr.json)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes")
    parser.add_argument("--seed", type=int, default=0, help="seed of the perturbation")
    args = parser.parse_args(argv)
    root = Path(args.data_root)
    pairs = dis_pairs(root) + thin_object_pairs(root)
    if not pairs:
        raise UserError(f"{root}: found neither dis/DIS-TR/gt nor thin_object/list/train.txt")
    missing = [p for p in pairs if not (root / p.img).is_file() or not (root / p.gt).is_file()]
    if missing:
        raise UserError(f"{root / missing[0].img}: image or mask missing "
                        f"({len(missing)} pairs incomplete)")
    jobs = [(root, pair, args.seed) for pair in pairs]
    if args.workers > 1:
        with get_context("fork").Pool(args.workers) as pool:
            status = list(tqdm(pool.imap(make_pair_masks, jobs), total=len(jobs), desc="coarse"))
    else:
        status = [make_pair_masks(job) for job in tqdm(jobs, desc="coarse")]
    out = Path(args.out) if args.out else root / "collection_hr.json"
    write_json_atomic(out, collection_entries(pairs))
    print(f"pairs: {len(pairs)}")
    print(f"written: {status.count('done')}")
    print(f"kept: {status.count('kept')}")
    print(f"collection: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
