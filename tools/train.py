"""Train a SegRefiner model with mmengine's Runner.

    python tools/train.py CONFIG [--work-dir D] [--resume [CKPT]] [--amp] [--auto-scale-lr]
                          [--cfg-options k=v ...] [--launcher none|pytorch|slurm]

--resume        without CKPT: resume from the last checkpoint of the work dir; with CKPT:
                resume from that checkpoint (iteration, optimizer and scheduler state), or,
                for a released bare state_dict, start from its weights.
--amp           mixed precision: fp16 with loss scaling on GPU, bf16 autocast on CPUs with
                bf16 kernels (other CPUs train in fp32, with a note: bf16 is emulated there
                and many times slower).
--auto-scale-lr scale the lr by (GPUs x batch size) / auto_scale_lr.base_batch_size.
Training stops with a clear message when the loss becomes NaN or infinite.
"""
from __future__ import annotations

import argparse
import sys

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from segrefiner.engine.hooks import NonFiniteLossError
from segrefiner.engine.launch import load_config, setup_distributed
from segrefiner.utils.checkpoint import allow_safe_globals, read_checkpoint
from segrefiner.utils.errors import UserError, run_cli
from segrefiner.utils.precision import NO_BF16_KERNELS, fast_dtype


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train a SegRefiner model")
    parser.add_argument("config", help="training config file")
    parser.add_argument("--work-dir", help="where logs and checkpoints go "
                        "(default work_dirs/<config name>)")
    parser.add_argument("--resume", nargs="?", const="auto", default=None, metavar="CKPT",
                        help="resume (latest in the work dir, or CKPT)")
    parser.add_argument("--amp", action="store_true", help="mixed precision training")
    parser.add_argument("--auto-scale-lr", action="store_true",
                        help="scale the lr with the total batch size")
    parser.add_argument("--seed", type=int, help="random seed (default: the config's)")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction,
                        help="override config entries, e.g. train_cfg.max_iters=100")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm"], default="none")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=0,
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def is_training_checkpoint(path: str) -> bool:
    """True for the project's own checkpoints (with training state), False for bare weights."""
    checkpoint = read_checkpoint(path)
    return isinstance(checkpoint, dict) and "state_dict" in checkpoint and "meta" in checkpoint


def build_config(args: argparse.Namespace) -> Config:
    cfg = load_config(args.config, args.cfg_options, args.work_dir)
    if args.seed is not None:
        cfg.randomness = dict(seed=args.seed)
    if args.amp:
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = "AmpOptimWrapper"
            cfg.optim_wrapper.loss_scale = "dynamic"
        elif fast_dtype("cpu") is None:
            print(f"--amp: {NO_BF16_KERNELS}")
        else:
            cfg.optim_wrapper.type = "AutocastOptimWrapper"
            cfg.optim_wrapper.dtype = "bfloat16"
    if args.auto_scale_lr:
        cfg.setdefault("auto_scale_lr", {})["enable"] = True
    if args.resume == "auto":
        cfg.resume, cfg.load_from = True, None
    elif args.resume:
        if is_training_checkpoint(args.resume):
            cfg.resume, cfg.load_from = True, args.resume
        else:
            print(f"{args.resume}: bare weights (no training state): starting from them")
            cfg.resume, cfg.load_from = False, args.resume
    hooks = list(cfg.get("custom_hooks", []))
    if not any(h.get("type") == "NonFiniteLossHook" for h in hooks):
        hooks.append(dict(type="NonFiniteLossHook"))
    cfg.custom_hooks = hooks
    setup_distributed(cfg, args.launcher)
    return cfg


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = build_config(args)
    allow_safe_globals()  # mmengine's torch.load of --resume / load_from checkpoints
    runner = Runner.from_cfg(cfg)
    try:
        runner.train()
    except NonFiniteLossError as err:
        raise UserError(str(err)) from None
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
