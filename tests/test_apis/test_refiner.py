"""Refiner: input forms, validation, empty / full masks, shapes and determinism."""
from __future__ import annotations

import warnings
from contextlib import nullcontext

import numpy as np
import pytest
import torch
from conftest import TINY_INSTANCE, TINY_SEMANTIC
from helpers import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from segrefiner.apis import Refiner
from segrefiner.apis.refiner import check_image, check_masks
from segrefiner.model_zoo import BUNDLED_CONFIG
from segrefiner.utils import precision
from segrefiner.utils.config import read_config
from segrefiner.utils.errors import UserError

FAST_SETTINGS = dict(cover_boundary=True, cover_stride=24, patch_size=48)


@pytest.fixture(scope="module")
def refiner(tiny_checkpoint):
    return Refiner(TINY_SEMANTIC, tiny_checkpoint)


def test_refine_returns_a_binary_mask_of_the_input_size(refiner, sample):
    image, coarse = sample
    out = refiner.refine(image, coarse)
    assert out.shape == coarse.shape and out.dtype == np.uint8
    assert set(np.unique(out)) <= {0, 1}


@pytest.mark.parametrize("form", ["bool", "01", "0255", "uint16", "rgb"])
def test_mask_forms_give_the_same_result(refiner, sample, form):
    image, coarse = sample
    variants = {"bool": coarse, "01": coarse.astype(np.uint8),
                "0255": coarse.astype(np.uint8) * 255,
                "uint16": coarse.astype(np.uint16) * 65535,
                "rgb": np.repeat(coarse[:, :, None].astype(np.uint8) * 255, 3, axis=2)}
    assert np.array_equal(refiner.refine(image, variants[form]), refiner.refine(image, coarse))


def test_same_seed_same_result(tiny_checkpoint, sample):
    image, coarse = sample
    a = Refiner(TINY_SEMANTIC, tiny_checkpoint, seed=1).refine(image, coarse)
    b = Refiner(TINY_SEMANTIC, tiny_checkpoint, seed=1).refine(image, coarse)
    assert np.array_equal(a, b)


def test_two_passes_refine_the_first_pass_result(tiny_checkpoint, refiner, sample):
    image, coarse = sample
    first = refiner.refine(image, coarse)
    two_passes = Refiner(TINY_SEMANTIC, tiny_checkpoint, passes=2)
    twice = two_passes.refine(image, coarse)
    assert np.array_equal(twice, refiner.refine(image, first))
    assert not np.array_equal(twice, first)
    one, two = [], []
    refiner.refine(image, coarse, on_step=lambda t, m: one.append(t))
    two_passes.refine(image, coarse, on_step=lambda t, m: two.append(t))
    assert one and two == one * 2


@pytest.mark.parametrize("passes", [0, -1, 1.5, True])
def test_bad_passes_is_a_clear_error(tiny_checkpoint, passes):
    with pytest.raises(UserError, match="passes"):
        Refiner(TINY_SEMANTIC, tiny_checkpoint, passes=passes)


def test_empty_and_full_masks(refiner, sample):
    image, coarse = sample
    assert refiner.refine(image, np.zeros_like(coarse)).sum() == 0
    assert refiner.refine(image, np.ones_like(coarse)).all()


def test_refine_instances_shapes_and_small_instances_kept(tiny_checkpoint, sample):
    image, coarse = sample
    refiner = Refiner(TINY_INSTANCE, tiny_checkpoint)
    tiny = np.zeros_like(coarse)
    tiny[:5, :5] = True
    out = refiner.refine_instances(image, np.stack([coarse, tiny]))
    assert out.shape == (2, *coarse.shape) and out.dtype == np.uint8
    assert np.array_equal(out[1], tiny.astype(np.uint8))
    assert refiner.refine_instances(image, np.zeros((0, *coarse.shape))).shape == (0, *coarse.shape)


def test_bad_inputs_are_clear_errors(refiner, sample):
    image, coarse = sample
    with pytest.raises(UserError, match="differs from the image"):
        refiner.refine(image, coarse[:-1])
    with pytest.raises(UserError, match="NaN"):
        refiner.refine(image, np.where(coarse, np.nan, 0.0))
    with pytest.raises(UserError, match="RGB image"):
        refiner.refine(image[:, :, :2], coarse)
    with pytest.raises(UserError, match="one"):
        refiner.refine(image, np.stack([coarse, coarse]))


def test_missing_checkpoint_and_bad_device(tmp_path):
    with pytest.raises(UserError, match="no such checkpoint"):
        Refiner(TINY_SEMANTIC, tmp_path / "none.pth")
    with pytest.raises(UserError, match="device"):  # a CUDA device this machine lacks
        Refiner(TINY_SEMANTIC, tmp_path / "none.pth", device="cuda:99")


def test_fast_mode_runs_bf16_and_mostly_agrees(monkeypatch, tiny_checkpoint, sample):
    # bf16 forced on whatever CPU runs the tests, so the lower precision is really used.
    monkeypatch.setattr(precision, "cpu_has_bf16_kernels", lambda: True)
    image, coarse = sample
    exact = Refiner(TINY_SEMANTIC, tiny_checkpoint).refine(image, coarse)
    fast_refiner = Refiner(TINY_SEMANTIC, tiny_checkpoint, fast=True)
    assert fast_refiner.autocast_dtype == torch.bfloat16
    fast = fast_refiner.refine(image, coarse)
    assert (exact == fast).mean() > 0.9
    fast_refiner.fast = False  # switched off between calls (as eval_real_sets does)
    assert fast_refiner.autocast_dtype is None
    np.testing.assert_array_equal(fast_refiner.refine(image, coarse), exact)


def test_fast_mode_holds_the_denoisers_weights_in_bf16_for_the_call(monkeypatch,
                                                                      tiny_checkpoint, sample):
    monkeypatch.setattr(precision, "cpu_has_bf16_kernels", lambda: True)
    image, coarse = sample
    refiner = Refiner(TINY_SEMANTIC, tiny_checkpoint, fast=True)
    denoiser = refiner.model.denoise_model
    seen = []
    forward = denoiser.forward

    def recording(x, t):
        seen.append(denoiser.input_blocks[0][0].weight.dtype)
        return forward(x, t)
    monkeypatch.setattr(denoiser, "forward", recording)
    held = refiner.refine(image, coarse)
    assert seen and set(seen) == {torch.bfloat16}
    assert {param.dtype for param in refiner.model.parameters()} == {torch.float32}
    # The same masks as with autocast casting the float32 weights itself.
    monkeypatch.setattr(precision.AutocastWeights, "held", lambda self: nullcontext())
    seen.clear()
    np.testing.assert_array_equal(refiner.refine(image, coarse), held)
    assert set(seen) == {torch.float32}


def test_fast_mode_on_a_cpu_without_bf16_kernels_warns_and_stays_exact(
        monkeypatch, tiny_checkpoint, sample):
    monkeypatch.setattr(precision, "cpu_has_bf16_kernels", lambda: False)
    image, coarse = sample
    with pytest.warns(UserWarning, match="no bf16 kernels"):
        fast_refiner = Refiner(TINY_SEMANTIC, tiny_checkpoint, fast=True)
    assert fast_refiner.autocast_dtype is None
    exact = Refiner(TINY_SEMANTIC, tiny_checkpoint).refine(image, coarse)
    np.testing.assert_array_equal(fast_refiner.refine(image, coarse), exact)


def test_fast_mode_runs_the_configs_fast_test_cfg(monkeypatch, tmp_path, tiny_checkpoint,
                                                 sample):
    # fp32 in both modes (no bf16 kernels), so the settings are the only difference.
    monkeypatch.setattr(precision, "cpu_has_bf16_kernels", lambda: False)
    fast_settings = dict(FAST_SETTINGS, batch_size=5)
    config = tmp_path / "tiny_fast.py"
    config.write_text(f"_base_ = [{str(TINY_SEMANTIC)!r}]\n"
                      f"model = dict(fast_test_cfg={fast_settings!r})\n")
    image, coarse = sample
    with pytest.warns(UserWarning, match="no bf16 kernels"):
        fast = Refiner(config, tiny_checkpoint, fast=True, batch_size=3)
    seen = []  # the settings each refine_semantic call ran with
    refine_semantic = fast.model.refine_semantic

    def recording(*args, **kwargs):
        seen.append(fast.model.semantic_cfg())
        return refine_semantic(*args, **kwargs)

    monkeypatch.setattr(fast.model, "refine_semantic", recording)
    fast_result = fast.refine(image, coarse)
    # The config's fast settings, but the batch size the caller gave.
    assert (seen[0].cover_stride, seen[0].patch_size, seen[0].batch_size) == (24, 48, 3)
    assert "cover_stride" not in fast.model.test_cfg  # restored after the call
    exact = Refiner(TINY_SEMANTIC, tiny_checkpoint, batch_size=3)
    exact.model.test_cfg.update(fast_settings, batch_size=3)
    np.testing.assert_array_equal(fast_result, exact.refine(image, coarse))
    fast.fast = False
    fast.refine(image, coarse)
    assert (seen[1].cover_stride, seen[1].patch_size) == (None, None)


def test_the_configs_fast_on_cpu_makes_fast_mode_the_cpu_default(monkeypatch, tmp_path,
                                                                  tiny_checkpoint, sample):
    monkeypatch.setattr(precision, "cpu_has_bf16_kernels", lambda: False)
    config = tmp_path / "tiny_fast_default.py"
    config.write_text(f"_base_ = [{str(TINY_SEMANTIC)!r}]\n"
                      f"model = dict(fast_test_cfg={FAST_SETTINGS!r})\nfast_on_cpu = True\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default asks for nothing: no warning
        default = Refiner(config, tiny_checkpoint)
    assert default.fast and default.fast_by_default
    assert not Refiner(config, tiny_checkpoint, fast=False).fast
    assert not Refiner(TINY_SEMANTIC, tiny_checkpoint).fast  # configs without it: exact
    image, coarse = sample
    fast = Refiner(TINY_SEMANTIC, tiny_checkpoint, batch_size=3)
    fast.model.test_cfg.update(FAST_SETTINGS)
    default.model.test_cfg.update(batch_size=3)
    fast_masks = fast.refine(image, coarse)
    np.testing.assert_array_equal(default.refine(image, coarse), fast_masks)
    default.fast = False
    assert not default.fast
    assert not np.array_equal(default.refine(image, coarse), fast_masks)  # the settings tell
    default.fast = None  # back to the default
    assert default.fast


def test_the_bundled_configs_ask_for_fast_mode_and_the_papers_do_not():
    assert read_config(BUNDLED_CONFIG).get("fast_on_cpu") is True
    assert read_config(REPO / "configs/segrefiner/segrefiner_compact.py").get("fast_on_cpu")
    # The preset of the earlier settings and the paper's configs stay exact.
    for name in ("segrefiner_compact_dense.py", "segrefiner_lr.py", "segrefiner_hr.py"):
        assert not read_config(REPO / "configs/segrefiner" / name).get("fast_on_cpu", False)


@settings(max_examples=15, deadline=None)
@given(h=st.integers(1, 90), w=st.integers(1, 90),
       dtype=st.sampled_from(["bool", "uint8", "uint16", "float32", "int64"]),
       fill=st.sampled_from(["random", "empty", "full"]), seed=st.integers(0, 100))
def test_random_mask_shapes_and_dtypes_never_crash(refiner, h, w, dtype, fill, seed):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    values = {"random": rng.random((h, w)) > 0.5, "empty": np.zeros((h, w), bool),
              "full": np.ones((h, w), bool)}[fill]
    scale = {"bool": 1, "uint8": 255, "uint16": 65535, "float32": 1, "int64": 1}[dtype]
    mask = values.astype(dtype) * scale if dtype != "bool" else values
    out = refiner.refine(image, mask)
    assert out.shape == (h, w) and out.dtype == np.uint8 and set(np.unique(out)) <= {0, 1}
    if fill != "random":
        assert np.array_equal(out.astype(bool), values)


@pytest.mark.parametrize(("option", "value"), [
    ("steps", 0), ("steps", 7), ("steps", 2.5), ("steps", True),
    ("model_size", -32), ("model_size", 0), ("model_size", 102), ("model_size", 64.0),
    ("batch_size", 0), ("batch_size", -1)])
def test_bad_options_are_clear_errors(tiny_checkpoint, option, value):
    with pytest.raises(UserError, match=f"^{option} must be"):
        Refiner(TINY_SEMANTIC, tiny_checkpoint, **{option: value})


def test_steps_run_on_the_instance_path_and_are_refused_by_refine(tiny_checkpoint, sample):
    image, coarse = sample
    refiner = Refiner(TINY_INSTANCE, tiny_checkpoint, steps=2)
    assert refiner.model.resolve_steps() == [5, 4]  # the first two of T = 6
    assert refiner.refine_instances(image, coarse).shape == (1, *coarse.shape)
    with pytest.raises(UserError, match="refine_instances"):
        refiner.refine(image, coarse)


def test_read_only_inputs_are_copied_not_shared(sample):
    image, coarse = sample
    image, coarse = image.copy(), coarse.copy()
    image.flags.writeable = coarse.flags.writeable = False  # as np.asarray(PIL image) gives
    checked_image, checked_mask = check_image(image), check_masks(coarse, coarse.shape)
    assert checked_image.flags.writeable and checked_mask.flags.writeable
    assert np.array_equal(checked_image, image) and np.array_equal(checked_mask, coarse > 0)

