"""Micro-batches of the denoiser: sizes per device and precision; the same outputs."""
from __future__ import annotations

import torch

from segrefiner.inference.batching import MicroBatchDenoiser, cpu_forward_batch
from segrefiner.models.segrefiner import SegRefiner


def test_cpu_micro_batch_keeps_one_activation_within_8_mib():
    size = cpu_forward_batch(32, 2)
    # 128 x 128 x 32 bf16 values: 1 MiB a sample, 8 of them; 256 px: 4 MiB, 2 of them.
    assert size(torch.empty(32, 4, 128, 128)) == 8
    assert size(torch.empty(1, 4, 256, 256)) == 2
    assert size(torch.empty(5, 4, 96, 96)) == 8 * 2**20 // (96 * 96 * 64)
    # float32: 2 MiB a sample at 128 px, 4 of them; 8 MiB at 256 px, one.
    assert cpu_forward_batch(32, 4)(torch.empty(32, 4, 128, 128)) == 4
    assert cpu_forward_batch(32, 4)(torch.empty(8, 4, 256, 256)) == 1
    # The LR model's 256 px crops (width 128): 16 MiB a sample in bf16, one at a time.
    assert cpu_forward_batch(128, 2)(torch.empty(8, 4, 256, 256)) == 1


def test_micro_batches_give_the_samples_in_order():
    calls = []

    def denoiser(x, t):
        calls.append(len(x))
        return x[:, :1] * 2 + t[:, None, None, None]
    x, t = torch.randn(7, 4, 8, 8), torch.arange(7)
    whole = denoiser(x, t)
    calls.clear()
    assert torch.equal(MicroBatchDenoiser(denoiser, lambda x: 3)(x, t), whole)
    assert calls == [3, 3, 1]


def test_refinement_on_cpu_batches_by_precision():
    model = SegRefiner(denoise_model=dict(type="DenoiseUNet", model_channels=32,
                                          num_res_blocks=1, channel_mult=(1, 2),
                                          attention_strides=(2,), num_heads=2),
                       diffusion_cfg=dict(num_timesteps=6))
    x = torch.empty(16, 4, 128, 128)
    size = model.refining_denoiser().size
    assert callable(size) and size(x) == 4
    with torch.autocast("cpu", dtype=torch.bfloat16):
        size = model.refining_denoiser().size
        assert callable(size) and size(x) == 8
    model.test_cfg["micro_batch_size"] = 4  # a config's setting stands
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model.refining_denoiser().size == 4
