"""DenoiseUNet: official layout, parameter count, outputs and checkpoint loading."""
from __future__ import annotations

import pytest
import torch
from helpers import FIXTURES, REPO
from mmengine.config import Config

from segrefiner.conformance import check_state_dict_layout, scaled_deviation
from segrefiner.models.denoiser import DenoiseUNet, GroupNorm32
from segrefiner.registry import MODELS
from segrefiner.utils.checkpoint import CheckpointError, load_weights


@pytest.fixture(scope="module")
def lr_model():
    return MODELS.build(Config.fromfile(REPO / "configs/segrefiner/segrefiner_lr.py").model)


def test_lr_config_has_the_official_key_layout(lr_model):
    assert check_state_dict_layout(lr_model, FIXTURES / "official_lr_state_dict.tsv") == []
    assert len(lr_model.state_dict()) == 455


def test_lr_denoiser_parameter_count(lr_model):
    # SPEC: 118,604,673 parameters in the LR denoiser.
    assert sum(p.numel() for p in lr_model.denoise_model.parameters()) == 118_604_673


def test_layout_check_reports_a_wrong_shape(tmp_path, lr_model):
    rows = (FIXTURES / "official_lr_state_dict.tsv").read_text().splitlines()
    rows[0] = rows[0].replace("[6, 512]", "[6, 256]")
    tsv = tmp_path / "bad.tsv"
    tsv.write_text("\n".join(rows))
    problems = check_state_dict_layout(lr_model, tsv)
    assert len(problems) == 1 and "time_embed" in problems[0]


def test_small_denoiser_matches_official_logits(small_model, cases):
    case = cases["unet"]
    with torch.no_grad():
        logits = small_model.denoise_model(case["x"], case["t"])
    assert scaled_deviation(logits, case["logits"]) <= 1e-4


def test_step_embedding_changes_the_output(small_model, cases):
    x = cases["unet"]["x"][:1]
    with torch.no_grad():
        a = small_model.denoise_model(x, torch.tensor([0]))
        b = small_model.denoise_model(x, torch.tensor([5]))
    assert not torch.allclose(a, b)


def test_output_shape_and_size_divisor():
    net = DenoiseUNet(model_channels=32, num_res_blocks=1, channel_mult=(1, 2, 2),
                      attention_strides=(4,), num_heads=2)
    assert net.size_divisor == 4
    out = net(torch.zeros(2, 4, 16, 24), torch.tensor([1, 2]))
    assert out.shape == (2, 1, 16, 24)


@pytest.mark.parametrize("wrap", ["bare", "state_dict", "module"])
def test_released_checkpoint_forms_load_strictly(tmp_path, bundle, small_model, wrap):
    state_dict = dict(bundle["state_dict"])
    if wrap == "state_dict":
        obj = {"state_dict": state_dict, "meta": {"iter": 3}}
    elif wrap == "module":
        obj = {f"module.{k}": v for k, v in state_dict.items()}
    else:
        obj = state_dict
    path = tmp_path / f"{wrap}.pth"
    torch.save(obj, path)
    fresh = type(small_model)(denoise_model=dict(type="DenoiseUNet", **bundle["denoiser_cfg"]))
    load_weights(fresh, path, strict=True)
    for key, value in bundle["state_dict"].items():
        assert torch.equal(fresh.state_dict()[key], value)


def test_checkpoint_of_another_architecture_is_refused(tmp_path, bundle):
    path = tmp_path / "small.pth"
    torch.save(dict(bundle["state_dict"]), path)
    other = MODELS.build(Config.fromfile(REPO / "configs/segrefiner/segrefiner_tiny.py").model)
    other.denoise_model = DenoiseUNet(model_channels=32, num_res_blocks=2, channel_mult=(1, 2),
                                      attention_strides=(), num_heads=2)
    with pytest.raises(CheckpointError, match=r"small\.pth: weights do not fit"):
        load_weights(other, path)


def test_group_norm_of_bf16_input_is_the_float32_result_rounded():
    torch.manual_seed(0)
    norm = GroupNorm32(64)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 2.0)
        norm.bias.uniform_(-1.0, 1.0)
    x = (torch.randn(2, 64, 12, 10) * 3 + 1).to(torch.bfloat16)
    x = x.contiguous(memory_format=torch.channels_last)
    # By hand, in float64: each group of 2 channels normalised by its mean and variance.
    g = x.double().reshape(2, 32, -1)
    normed = ((g - g.mean(-1, keepdim=True)) / (g.var(-1, unbiased=False, keepdim=True)
                                                 + norm.eps).sqrt()).reshape(x.shape)
    expected = normed * norm.weight.double()[:, None, None] + norm.bias.double()[:, None, None]
    with torch.no_grad():
        out = norm(x)
        upcast = torch.nn.functional.group_norm(x.float(), 32, norm.weight, norm.bias,
                                                norm.eps).to(torch.bfloat16)
    assert out.dtype == torch.bfloat16
    # The same values but where float32 sums in another order round to the next bf16.
    differ = out != upcast
    assert differ.float().mean() < 1e-3
    assert ((out.float() - upcast.float()).abs()[differ] <= upcast.float().abs()[differ]
            * 2 ** -7).all()
    # Rounded to bf16 (8 significant bits): within half an ulp plus float32 noise.
    assert ((out.double() - expected).abs() <= expected.abs() * 2 ** -8 + 1e-6).all()
