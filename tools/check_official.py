"""Replay a segrefiner-reference/1 bundle through segrefiner and report agreement.

    python tools/check_official.py BUNDLE.pt [--tsv STATE_DICT.tsv] [--config CONFIG]

Prints one line per case with its deviation, then ``conformance: A/N cases agree``.
With --tsv, also checks that the model built from --config (default the LR config) has
exactly the key layout of the TSV. Exit 0 only if everything agrees.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mmengine.config import Config

from segrefiner.conformance import BundleReplayer, check_state_dict_layout, load_bundle
from segrefiner.registry import MODELS
from segrefiner.utils.checkpoint import CheckpointError

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", help="a segrefiner-reference/1 bundle (.pt)")
    parser.add_argument("--tsv", help="official state_dict layout: key<TAB>[shape]<TAB>dtype rows")
    parser.add_argument("--config", default=str(REPO / "configs/segrefiner/segrefiner_lr.py"),
                        help="config whose model --tsv describes (default: the LR config)")
    parser.add_argument("--max-flipped", type=float, default=1e-4,
                        help="largest share of differing pixels in a binary output that "
                             "still agrees (pixels at logit ~0; default 1e-4)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        bundle = load_bundle(args.bundle)
        results = BundleReplayer(bundle, max_flipped=args.max_flipped).run()
    except (CheckpointError, ValueError, KeyError) as err:
        print(f"error: {args.bundle}: {err}", file=sys.stderr)
        return 2
    for result in results:
        print(result.line())
    agreeing = sum(r.agrees for r in results)
    ok = agreeing == len(results) and results
    if args.tsv:
        model = MODELS.build(Config.fromfile(args.config).model)
        problems = check_state_dict_layout(model, args.tsv)
        for problem in problems:
            print(f"layout: {problem}")
        print(f"layout: {len(model.state_dict())} keys, "
              f"{'matches' if not problems else 'DIFFERS from'} {args.tsv}")
        ok = ok and not problems
    print(f"conformance: {agreeing}/{len(results)} cases agree")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
