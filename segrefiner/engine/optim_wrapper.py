"""Mixed precision on any device: autocast (bf16 by default) without loss scaling.

mmengine's AmpOptimWrapper needs a GPU; this wrapper also serves CPU training
(``--amp`` on a CPU with bf16 kernels uses bf16, which needs no loss scaling;
tools/train.py leaves other CPUs in fp32, see segrefiner.utils.precision).
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from segrefiner.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """OptimWrapper whose forward runs under ``torch.autocast(dtype)`` on the model's device."""

    def __init__(self, dtype: str = "bfloat16", **kwargs) -> None:
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype)

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        device = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(device_type=device,
                                                          dtype=self.cast_dtype):
            yield
