"""Fast mode's precision per device: fp16 on CUDA, bf16 only on CPUs with bf16 kernels."""
from __future__ import annotations

import pytest
import torch

from segrefiner.utils import precision


@pytest.mark.parametrize("kernels", [True, False])
def test_fast_dtype_follows_the_cpu_and_device(monkeypatch, kernels):
    monkeypatch.setattr(precision, "cpu_has_bf16_kernels", lambda: kernels)
    assert precision.fast_dtype("cpu") == (torch.bfloat16 if kernels else None)
    assert precision.fast_dtype(torch.device("cuda:1")) == torch.float16


def test_autocast_casts_only_when_given_a_dtype():
    conv = torch.nn.Conv2d(3, 4, 3)
    x = torch.randn(1, 3, 8, 8)
    with precision.autocast("cpu", torch.bfloat16):
        assert conv(x).dtype == torch.bfloat16
    with precision.autocast("cpu", None):
        assert conv(x).dtype == torch.float32
