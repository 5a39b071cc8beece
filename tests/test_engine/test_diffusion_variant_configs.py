"""Every configs/diffusion_variants/ recipe trains (2 iterations of tools/train.py on the
folder fixture) and refines end to end: whole-image masks (global + local pass) and
instances from the API, the command, and tools/test.py with a variant chosen by
--cfg-options."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from helpers import FIXTURES, REPO, disc_scene, metric_lines
from mmengine.config import Config

from segrefiner.apis import Refiner
from segrefiner.datasets.io import read_mask
from segrefiner.registry import MODELS

VARIANTS = REPO / "configs/diffusion_variants"
PROCESSES = {"discrete_compact.py": "DiscreteDiffusion",
             "gaussian_compact.py": "GaussianMaskDiffusion",
             "gaussian_from_noise_compact.py": "GaussianMaskDiffusion",
             "none_compact.py": "NoDiffusion",
             "iterative_compact.py": "IterativeRefinement"}
TWO_ITERATIONS = [
    "train_cfg.max_iters=2", "train_dataloader.batch_size=2", "train_dataloader.num_workers=0",
    "train_dataloader.persistent_workers=False",
    f"train_dataloader.dataset.roots=[{FIXTURES / 'folder'}]",
    "default_hooks.checkpoint.interval=2", "param_scheduler.0.end=1",
    "param_scheduler.1.begin=1", "param_scheduler.1.end=2"]


def run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_every_variant_config_is_listed():
    assert {p.name for p in VARIANTS.glob("*.py")} == set(PROCESSES)


TRAINED: dict[str, tuple] = {}


@pytest.fixture(params=sorted(PROCESSES))
def trained(request, tmp_path_factory):
    """(config, checkpoint) after 2 iterations of tools/train.py (once per config)."""
    if request.param not in TRAINED:
        config = VARIANTS / request.param
        work = tmp_path_factory.mktemp(config.stem)
        result = run([sys.executable, "tools/train.py", str(config), "--work-dir", str(work),
                      "--cfg-options", *TWO_ITERATIONS])
        assert result.returncode == 0, result.stderr[-3000:]
        TRAINED[request.param] = config, work / "iter_2.pth"
    return TRAINED[request.param]


def test_trains_and_refines_end_to_end(trained):
    config, checkpoint = trained
    assert checkpoint.is_file()
    refiner = Refiner(config, checkpoint)
    assert type(refiner.model.diffusion).__name__ == PROCESSES[config.name]
    calls = []
    refiner.model.denoise_model.register_forward_hook(lambda m, i, o: calls.append(len(i[0])))
    image, disc, square = disc_scene()
    coarse = disc | square
    out = refiner.refine(image, coarse)
    assert out.shape == coarse.shape and set(np.unique(out)) <= {0, 1}
    # The global pass (its steps at batch 1), then the local pass's patches.
    global_steps = len(refiner.model.diffusion.global_steps())
    assert calls[:global_steps] == [1] * global_steps and sum(calls) > global_steps
    calls.clear()
    instances = refiner.refine_instances(image, np.stack([disc, square]))
    assert instances.shape == (2, *disc.shape)
    assert sum(calls) == 2 * len(refiner.model.diffusion.default_steps)


@pytest.mark.parametrize("trained", ["gaussian_compact.py"], indirect=True)
def test_command_refines_with_a_variant(tmp_path, trained):
    config, checkpoint = trained
    image = FIXTURES / "folder/images/berkeley_101085.jpg"
    coarse = FIXTURES / "folder/masks/berkeley_101085.png"
    out = tmp_path / "refined.png"
    result = run([sys.executable, "-m", "segrefiner", "refine", str(image), str(coarse), "-o",
                  str(out), "--config", str(config), "--checkpoint", str(checkpoint),
                  "--no-progress", "--seed", "0"])
    assert result.returncode == 0, result.stderr[-3000:]
    refiner = Refiner(config, checkpoint, seed=0)
    assert np.array_equal(read_mask(out), refiner.refine(image, coarse).astype(bool))


def test_tools_test_runs_a_variant_chosen_by_cfg_options(tmp_path):
    settings = {"model.diffusion_cfg": None, "model.diffusion.type": "GaussianMaskDiffusion",
                "model.diffusion.start_step": 50, "model.denoise_model.learn_time_embd": False,
                "model.denoise_model.num_timesteps": 1000}
    options = [f"{key}={value}" for key, value in settings.items()]
    cfg = Config.fromfile(REPO / "configs/segrefiner/segrefiner_tiny_big.py")
    cfg.merge_from_dict(settings)
    torch.manual_seed(0)
    checkpoint = tmp_path / "gaussian_tiny.pth"
    torch.save(MODELS.build(cfg.model).state_dict(), checkpoint)
    out = tmp_path / "out"
    result = run([sys.executable, "tools/test.py", "configs/segrefiner/segrefiner_tiny_big.py",
                  str(checkpoint), "--out-dir", str(out), "--work-dir", str(tmp_path / "work"),
                  "--cfg-options", *options])
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in out.rglob("*.png")) == [
        "berkeley_101085_refine.png", "grabcut_106024_refine.png"]
    assert 0.0 <= metric_lines(result.stdout)["big/IoU"] <= 1.0
