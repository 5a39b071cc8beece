"""Hooks: stop on a non-finite loss; write refined masks and show progress when testing."""
from __future__ import annotations

import math
from pathlib import Path

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from tqdm import tqdm

from segrefiner.datasets.io import mask_png_bytes
from segrefiner.registry import HOOKS
from segrefiner.utils.io import write_bytes_atomic


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stops training when the loss is NaN / inf, naming the iteration and what to try."""

    priority = "VERY_HIGH"

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not outputs:
            return
        for name, value in outputs.items():
            value = float(value.detach()) if isinstance(value, torch.Tensor) else float(value)
            if "loss" in name and not math.isfinite(value):
                raise NonFiniteLossError(
                    f"training stopped: {name} is {value} at iteration {runner.iter + 1}; "
                    "lower the learning rate (or use --auto-scale-lr), keep warm-up and "
                    "gradient clipping on, and resume from the last checkpoint")


@HOOKS.register_module()
class SaveRefinedMasksHook(Hook):
    """Writes each refined ``pred_mask`` as a 0/255 PNG ``<out_dir>/<out_name>`` (test).

    Files are written atomically and never over one of the sample's input files.
    """

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        for sample in outputs or []:
            if "pred_mask" not in sample:
                continue
            meta = sample.metainfo
            name = meta.get("out_name") or f"{Path(meta['img_path']).stem}.png"
            path = Path(self.out_dir) / name
            inputs = (meta.get(k) for k in ("img_path", "gt_mask_path", "coarse_mask_path"))
            if path.resolve() in {Path(p).resolve() for p in inputs if p}:
                raise RuntimeError(f"{path}: refusing to overwrite an input file")
            write_bytes_atomic(path, mask_png_bytes(sample.pred_mask[0].cpu().numpy()))


@HOOKS.register_module()
class TestProgressBarHook(Hook):
    """A tqdm progress bar over the test set (rank 0 only)."""

    def before_test(self, runner) -> None:
        self.bar = tqdm(total=len(runner.test_dataloader), desc="refine",
                        disable=not is_main_process())

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self.bar.update(1)

    def after_test(self, runner) -> None:
        self.bar.close()
