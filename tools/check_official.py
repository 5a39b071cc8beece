"""Replay a behaviour bundle of the official code through segrefiner and report agreement.

    python tools/check_official.py BUNDLE.pt [--tsv STATE_DICT.tsv] [--config CONFIG]
        [--native-kernels]

BUNDLE is a ``segrefiner-reference/1`` (SegRefiner) or ``segrefiner-crm-reference/1``
(CRM) bundle. Prints one line per case with its deviation, then
``conformance: A/B cases agree``. With --tsv, also checks that the model built from
--config (default: the bundle's model, SegRefiner's LR config or CRM's released one)
has exactly the key layout of the TSV. Exit 0 only if everything agrees.

Kernels: x86 convolutions run on oneDNN, whose kernels for wider vector units (AVX-512)
add in another order than its AVX2 kernels. The reference runs used AVX2 kernels, and
random bundle weights can amplify such rounding across CRM's scales, so this tool limits
oneDNN to AVX2 (``ONEDNN_MAX_CPU_ISA=AVX2``) unless the variable is set already or
--native-kernels is given. CRM bundles are also replayed on the recorded thread count.
"""
from __future__ import annotations

import os
import sys

if "--native-kernels" not in sys.argv:
    os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")  # before torch creates a kernel

import argparse
from pathlib import Path

from mmengine.config import Config

from segrefiner.conformance import (
    CRM_BUNDLE_FORMAT,
    check_state_dict_layout,
    load_bundle,
    replayer_for,
)
from segrefiner.registry import MODELS
from segrefiner.utils.checkpoint import CheckpointError

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CONFIGS = {CRM_BUNDLE_FORMAT: REPO / "configs/crm/crm_big.py"}
SEGREFINER_CONFIG = REPO / "configs/segrefiner/segrefiner_lr.py"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", help="a behaviour bundle (.pt)")
    parser.add_argument("--tsv", help="official state_dict layout: key<TAB>[shape]<TAB>dtype rows")
    parser.add_argument("--config", help="config whose model --tsv describes (default: the "
                                         "LR config, or CRM's released one for CRM bundles)")
    parser.add_argument("--max-flipped", type=float, default=1e-4,
                        help="largest share of differing pixels in a binary output that "
                             "still agrees (pixels at the threshold; default 1e-4)")
    parser.add_argument("--native-kernels", action="store_true",
                        help="let oneDNN use this CPU's widest kernels (see above)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        bundle = load_bundle(args.bundle)
        results = replayer_for(bundle, max_flipped=args.max_flipped).run()
    except (CheckpointError, ValueError, KeyError) as err:
        print(f"error: {args.bundle}: {err}", file=sys.stderr)
        return 2
    for result in results:
        print(result.line())
    agreeing = sum(r.agrees for r in results)
    ok = agreeing == len(results) and results
    if args.tsv:
        config = args.config or DEFAULT_CONFIGS.get(bundle.get("format"), SEGREFINER_CONFIG)
        model = MODELS.build(Config.fromfile(config).model)
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
