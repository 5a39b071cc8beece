"""The OpenVINO runtime of the denoiser: the torch denoiser's values, the converted model
kept in the cache folder, precision following autocast, and the Refiner / command option."""
from __future__ import annotations

import copy
import shutil

import pytest
import torch
from conftest import TINY_SEMANTIC
from mmengine.config import Config

from segrefiner.apis import Refiner
from segrefiner.apis import refiner as refiner_module
from segrefiner.cli import main as cli_main
from segrefiner.datasets.io import read_mask
from segrefiner.inference.openvino_denoiser import (
    NO_OPENVINO,
    STATIC_AFTER,
    OpenVINODenoiser,
    autocast_precision,
    weights_key,
)
from segrefiner.model_zoo import CRM_CHECKPOINT, CRM_CONFIG
from segrefiner.registry import MODELS
from segrefiner.utils.errors import UserError


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """The cache folder of this module's tests (never the user's ~/.cache)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def use_cache(cache, monkeypatch):
    monkeypatch.setenv("SEGREFINER_CACHE", str(cache))


@pytest.fixture(scope="module")
def denoiser() -> torch.nn.Module:
    """The tiny denoiser with the weights of ``tiny_checkpoint`` (seed 0)."""
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(TINY_SEMANTIC).model).denoise_model.eval()


@pytest.fixture(scope="module")
def converted(denoiser, cache) -> OpenVINODenoiser:
    """Converted once into the module's cache folder; later instances read it back."""
    runtime = OpenVINODenoiser(denoiser, cache_dir=cache / "openvino")
    assert runtime.converted
    return runtime


def inputs(batch: int, height: int, width: int, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 4, height, width, generator=gen)
    t = torch.randint(0, 6, (batch,), generator=gen)
    return x, t


def test_f32_gives_the_torch_denoiser_values_at_any_shape(denoiser, converted):
    runtime = converted
    for batch, height, width in ((1, 64, 64), (2, 32, 96)):
        x, t = inputs(batch, height, width)
        with torch.no_grad():
            expected = denoiser(x, t)
        got = runtime(x, t)
        assert got.shape == expected.shape == (batch, 1, height, width)
        assert got.dtype == torch.float32
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    # shapes seen for fewer samples than STATIC_AFTER: the any-shape model
    assert list(runtime.compiled) == [(None, "f32", False)]


def test_a_shape_used_often_gets_a_model_of_its_own(denoiser, converted):
    runtime = OpenVINODenoiser(denoiser, cache_dir=converted.cache_dir)
    x, t = inputs(1, 32, 32, seed=1)
    with torch.no_grad():
        expected = denoiser(x, t)
    for call in range(1, STATIC_AFTER + 2):
        torch.testing.assert_close(runtime(x, t), expected, rtol=1e-4, atol=1e-4)
        assert (((1, 4, 32, 32), "f32", False) in runtime.compiled) == (call > STATIC_AFTER)
    assert sorted(runtime.compiled, key=str) == [((1, 4, 32, 32), "f32", False),
                                                 (None, "f32", False)]


@pytest.mark.parametrize("threads", [1, 2])
def test_batches_of_a_shape_used_often_run_as_requests_side_by_side(denoiser, converted,
                                                                    threads):
    runtime = OpenVINODenoiser(denoiser, cache_dir=converted.cache_dir, threads=threads)
    x, t = inputs(STATIC_AFTER + 3, 32, 32, seed=2)  # more samples than STATIC_AFTER
    with torch.no_grad():
        expected = denoiser(x, t)
    got = runtime(x, t)  # each sample its own request, results in the batch's order
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    assert list(runtime.compiled) == [((1, 4, 32, 32), "f32", True)]
    torch.testing.assert_close(runtime(x[:1], t[:1]), expected[:1], rtol=1e-4, atol=1e-4)
    assert ((1, 4, 32, 32), "f32", False) in runtime.compiled  # one sample: every thread


def test_precision_follows_cpu_autocast(denoiser, converted):
    assert autocast_precision() == "f32"
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert autocast_precision() == "bf16"
    with torch.autocast("cpu", dtype=torch.float16):
        assert autocast_precision() == "f32"
    runtime = OpenVINODenoiser(denoiser, cache_dir=converted.cache_dir)
    x, t = inputs(1, 48, 48)
    with torch.no_grad():
        expected = denoiser(x, t)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = runtime(x, t)
    assert list(runtime.compiled) == [(None, "bf16", False)]
    assert low.dtype == torch.float32
    # bf16 keeps 8 bits of mantissa: the logits agree to a few percent of their range.
    assert float((low - expected).abs().max()) < 0.05 * float(expected.abs().max()) + 0.05


def test_the_converted_model_is_cached_by_weights(denoiser, converted, tmp_path):
    folder = tmp_path / "openvino"
    shutil.copytree(converted.cache_dir, folder)
    entries = list(folder.iterdir())
    assert len(entries) == 1 and (entries[0] / "model.xml").is_file()
    assert (entries[0] / "model.bin").stat().st_size > 0
    again = OpenVINODenoiser(denoiser, cache_dir=folder)
    assert not again.converted  # read back, not converted again
    x, t = inputs(1, 64, 64)
    torch.testing.assert_close(again(x, t), converted(x, t), rtol=0, atol=0)

    changed = MODELS.build(Config.fromfile(TINY_SEMANTIC).model).denoise_model.eval()
    assert weights_key(changed) != weights_key(denoiser)
    assert OpenVINODenoiser(changed, cache_dir=folder).converted
    assert len(list(folder.iterdir())) == 2


def test_first_image_models_are_kept_compiled_for_later_processes(denoiser, tmp_path):
    folder = tmp_path / "openvino"
    cases = (inputs(1, 48, 48, seed=3),  # a new shape: the any-shape model
             inputs(STATIC_AFTER + 1, 32, 32, seed=4))  # a chunk: its requests' model
    first = OpenVINODenoiser(denoiser, cache_dir=folder)
    assert first.converted
    first_out = [first(x, t) for x, t in cases]
    blobs = sorted(p.name for p in folder.glob("*/compiled/*.blob"))
    assert len(blobs) == 2  # the any-shape model and the chunk's, beside the IR
    later = OpenVINODenoiser(denoiser, cache_dir=folder)
    assert not later.converted
    later_out = [later(x, t) for x, t in cases]
    # read back from the blobs the converting process wrote, not compiled anew
    assert sorted(p.name for p in folder.glob("*/compiled/*.blob")) == blobs
    with torch.no_grad():
        for (x, t), got, again in zip(cases, first_out, later_out, strict=True):
            torch.testing.assert_close(again, got, rtol=0, atol=0)
            torch.testing.assert_close(got, denoiser(x, t), rtol=1e-4, atol=1e-4)


def test_weights_key_ignores_memory_format_and_sees_one_changed_value(denoiser):
    channels_last = copy.deepcopy(denoiser).to(memory_format=torch.channels_last)
    assert weights_key(channels_last) == weights_key(denoiser)
    nudged = copy.deepcopy(denoiser)
    with torch.no_grad():
        next(nudged.parameters()).view(-1)[0] += 1e-3
    assert weights_key(nudged) != weights_key(denoiser)


def test_a_damaged_cache_entry_is_converted_again(denoiser, converted, tmp_path):
    folder = tmp_path / "openvino"
    shutil.copytree(converted.cache_dir, folder)
    entry = next(folder.iterdir())
    (entry / "model.xml").write_text("<not a model")
    again = OpenVINODenoiser(denoiser, cache_dir=folder)
    assert again.converted
    x, t = inputs(1, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(again(x, t), denoiser(x, t), rtol=1e-4, atol=1e-4)
    assert OpenVINODenoiser(denoiser, cache_dir=folder).converted is False  # replaced


def test_an_unwritable_cache_folder_only_costs_the_conversion(denoiser, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    runtime = OpenVINODenoiser(denoiser, cache_dir=blocked / "openvino")
    x, t = inputs(1, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(runtime(x, t), denoiser(x, t), rtol=1e-4, atol=1e-4)
    assert blocked.read_text().startswith("a file")


def test_refiner_runtime_openvino_refines_as_torch_does(converted, tiny_checkpoint, sample):
    image, coarse = sample
    with_torch = Refiner(TINY_SEMANTIC, tiny_checkpoint)
    with_openvino = Refiner(TINY_SEMANTIC, tiny_checkpoint, runtime="openvino")
    assert not with_openvino.model.runtime_denoiser.converted  # the module's cache entry
    assert with_torch.runtime == "torch" and with_torch.model.runtime_denoiser is None
    assert with_openvino.runtime == "openvino"
    calls = []
    runtime = with_openvino.model.runtime_denoiser

    def counted(x, t):
        calls.append(x.shape[0])
        return runtime(x, t)

    with_openvino.model.runtime_denoiser = counted
    expected = with_torch.refine(image, coarse)
    got = with_openvino.refine(image, coarse)
    assert sum(calls) > 0  # refinement called the OpenVINO denoiser, not torch's
    assert (got == expected).mean() > 0.999
    both = with_openvino.refine_instances(image, coarse)[0]
    assert (both == with_torch.refine_instances(image, coarse)[0]).mean() > 0.999


def test_refiner_runtime_errors_and_fallback(monkeypatch, tiny_checkpoint):
    with pytest.raises(UserError, match="runtime must be one of torch, openvino, got 'onnx'"):
        Refiner(TINY_SEMANTIC, tiny_checkpoint, runtime="onnx")
    with pytest.raises(UserError, match="runs SegRefiner's denoiser; CRM runs with torch"):
        Refiner(CRM_CONFIG, CRM_CHECKPOINT, runtime="openvino")
    monkeypatch.setattr(refiner_module, "openvino_installed", lambda: False)
    with pytest.warns(UserWarning, match="openvino is not installed") as caught:
        refiner = Refiner(TINY_SEMANTIC, tiny_checkpoint, runtime="openvino")
    assert [str(w.message) for w in caught] == [NO_OPENVINO]
    assert refiner.runtime == "torch" and refiner.model.runtime_denoiser is None


def test_command_runtime_option(tmp_path, tiny_checkpoint, pair, capsys):
    image, coarse = pair
    outs = {}
    for runtime in ("torch", "openvino"):
        out = tmp_path / f"{runtime}.png"
        assert cli_main(["refine", str(image), str(coarse), "-o", str(out), "--config",
                         str(TINY_SEMANTIC), "--checkpoint", str(tiny_checkpoint),
                         "--runtime", runtime, "--no-progress"]) == 0
        outs[runtime] = read_mask(out)
    assert (outs["openvino"] == outs["torch"]).mean() > 0.999
    with pytest.raises(SystemExit):
        cli_main(["refine", str(image), str(coarse), "-o", str(tmp_path / "x.png"),
                  "--runtime", "onnx"])
    assert "invalid choice: 'onnx'" in capsys.readouterr().err
