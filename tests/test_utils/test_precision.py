"""Fast mode's precision per device: fp16 on CUDA, bf16 only on CPUs with bf16 kernels."""
from __future__ import annotations

import pytest
import torch

from segrefiner.models.denoiser import DenoiseUNet
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


def small_denoiser() -> DenoiseUNet:
    torch.manual_seed(0)
    return DenoiseUNet(model_channels=32, num_res_blocks=1, channel_mult=(1, 2),
                       attention_strides=(2,), num_heads=2).eval()


def bf16_output(model: DenoiseUNet, held: precision.AutocastWeights | None) -> torch.Tensor:
    torch.manual_seed(1)
    x, t = torch.randn(2, 4, 16, 16), torch.tensor([1, 4])
    with torch.inference_mode(), precision.autocast("cpu", torch.bfloat16):
        if held is None:
            return model(x, t)
        with held.held():
            return model(x, t)


def test_weights_held_in_bf16_give_autocasts_results_and_are_restored():
    model = small_denoiser()
    before = {name: param.detach().clone() for name, param in model.named_parameters()}
    held = precision.AutocastWeights(model, torch.bfloat16)
    with held.held():
        assert model.input_blocks[0][0].weight.dtype == torch.bfloat16  # a convolution
        assert model.time_embed.weight.dtype == torch.float32  # embedding, norms: as they were
        assert model.out[0].weight.dtype == torch.float32
    assert torch.equal(bf16_output(model, held), bf16_output(model, None))
    for name, param in model.named_parameters():
        assert param.dtype == torch.float32 and torch.equal(param, before[name]), name


def test_weights_held_in_bf16_follow_a_weight_changed_in_place():
    model = small_denoiser()
    held = precision.AutocastWeights(model, torch.bfloat16)
    first = bf16_output(model, held)
    with torch.no_grad():
        model.out[2].weight.mul_(-1)  # the last convolution: the logits change sign
    assert torch.equal(bf16_output(model, held), bf16_output(model, None))
    assert torch.allclose(bf16_output(model, held), -first + 2 * model.out[2].bias.bfloat16(),
                          atol=0.05, rtol=0.02)
