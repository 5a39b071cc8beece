"""Training hooks: stop on a non-finite loss with a clear message."""
from __future__ import annotations

import math

import torch
from mmengine.hooks import Hook

from segrefiner.registry import HOOKS


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
