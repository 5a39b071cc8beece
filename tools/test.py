"""Refine a benchmark's coarse masks with a checkpoint, write the results and score them.

    python tools/test.py CONFIG CHECKPOINT [--out-prefix P | --out-dir D] [--steps N]

COCO / LVIS configs (instance refinement) write ``<P>.segm.json``: the refined COCO
results (boxes, scores and labels passed through) and print Mask AP / Boundary AP when
the config has annotations. BIG / DIS / folder configs write one PNG per image under
``--out-dir`` (BIG: ``NAME_refine.png``; DIS: ``<subset>/NAME.png``) and print IoU / mBA.
CHECKPOINT may be the project's own checkpoint or a released bare state_dict. The
official spellings ``--out_prefix``, ``--out_dir`` and ``--step`` work too. Quiet by
default (``--verbose``: mmengine's log); the checkpoint and outputs are checked before
anything loads.
"""
from __future__ import annotations

import argparse
import sys
import tempfile

from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.runner import Runner

from segrefiner.diffusion import build_process
from segrefiner.engine.launch import load_config, setup_distributed
from segrefiner.evaluation.cocofy import ensure_cocofied
from segrefiner.modes import INSTANCE, SEMANTIC
from segrefiner.utils.checkpoint import check_checkpoint_file, load_weights
from segrefiner.utils.errors import UserError, check_whole, run_cli
from segrefiner.utils.paths import check_output_dir, check_output_file


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Refine and evaluate with a checkpoint")
    parser.add_argument("config", help="test config file")
    parser.add_argument("checkpoint", help="checkpoint: own or a released state_dict")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--out-prefix", "--out_prefix", dest="out_prefix",
                     help="instance tasks: write <P>.segm.json")
    out.add_argument("--out-dir", "--out_dir", dest="out_dir",
                     help="semantic tasks: write one PNG per image here")
    parser.add_argument("--steps", "--step", dest="steps", type=int,
                        help="instance configs: run only the first N diffusion steps "
                             "(default all 6)")
    parser.add_argument("--work-dir", help="where mmengine's logs go (default: a temporary "
                        "folder, removed afterwards)")
    parser.add_argument("--verbose", action="store_true",
                        help="mmengine's environment and progress log (default: results only)")
    parser.add_argument("--trust-checkpoint", action="store_true",
                        help="allow a checkpoint that needs pickle beyond plain weights")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction,
                        help="override config entries, e.g. test_dataloader.dataset.data_root=D")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm"], default="none")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=0,
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> Config:
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    if "test_dataloader" not in cfg:
        raise UserError(f"{args.config}: has no test_dataloader (use a *_coco/_big/_dis config)")
    for ann_file in (cfg.test_dataloader.dataset.get("ann_file"),
                     cfg.get("test_evaluator", {}).get("ann_file")):
        if ann_file and is_main_process():
            ensure_cocofied(ann_file)
    cfg.load_from, cfg.resume = None, False
    semantic = cfg.model.test_cfg.get("mode", INSTANCE) == SEMANTIC
    if args.steps is not None:
        if semantic:
            raise UserError(f"{args.config}: --steps applies to instance configs; the semantic "
                            "path runs the published global + local schedule")
        process = build_process(cfg.model.get("diffusion"), cfg.model.get("diffusion_cfg"))
        check_whole("--steps", args.steps, maximum=process.max_steps)
        cfg.model.test_cfg.steps = args.steps
    if args.out_prefix:
        if semantic:
            raise UserError(f"{args.config}: refines whole-image masks: use --out-dir")
        cfg.test_evaluator.outfile_prefix = args.out_prefix
    hooks = [dict(type="TestProgressBarHook")]
    if args.out_dir:
        if not semantic:
            raise UserError(f"{args.config}: refines instances: use --out-prefix")
        hooks.append(dict(type="SaveRefinedMasksHook", out_dir=args.out_dir))
    cfg.custom_hooks = list(cfg.get("custom_hooks", [])) + hooks
    setup_distributed(cfg, args.launcher)
    return cfg


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_checkpoint_file(args.checkpoint)
    if args.out_dir:
        check_output_dir(args.out_dir)
    if args.out_prefix:
        check_output_file(f"{args.out_prefix}.segm.json")
    with tempfile.TemporaryDirectory(prefix="segrefiner_test_") as scratch:
        if args.work_dir is None:
            args.work_dir = scratch
        return run_test(args)


def run_test(args: argparse.Namespace) -> int:
    cfg = build_config(args)
    if not args.verbose:
        cfg.log_level = "WARNING"
    runner = Runner.from_cfg(cfg)
    model = runner.model.module if hasattr(runner.model, "module") else runner.model
    load_weights(model, args.checkpoint, strict=True, trust=args.trust_checkpoint)
    model.prepare_for_refinement()
    metrics = runner.test()
    if not is_main_process():
        return 0
    for name, value in (metrics or {}).items():
        print(f"{name}: {value:.4f}" if isinstance(value, float) else f"{name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
