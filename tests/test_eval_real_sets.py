"""tools/analysis_tools/eval_real_sets.py: the coarse masks it scores and its seeds."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from helpers import FIXTURES, REPO, metric_lines

from segrefiner.analysis.box_segmentation import box_grabcut_mask
from segrefiner.apis import Refiner
from segrefiner.datasets.coarse_masks import make_coarse_mask
from segrefiner.datasets.io import read_image, read_mask
from segrefiner.diffusion import IterativeRefinement

FOLDER = FIXTURES / "folder"
TOOL = REPO / "tools" / "analysis_tools" / "eval_real_sets.py"


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return (a & b).sum() / (a | b).sum()


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    """``perturbed/`` (two images, seeded perturbation) and ``sam/`` (one image with a
    real coarse mask in ``coarse_sam/``), from the folder fixture."""
    root = tmp_path_factory.mktemp("real")
    for set_name, names in (("perturbed", ["grabcut_106024", "grabcut_124080"]),
                            ("sam", ["berkeley_101085"])):
        for sub in ("images", "masks") + (("coarse_sam",) if set_name == "sam" else ()):
            (root / set_name / sub).mkdir(parents=True)
        for name in names:
            shutil.copy(FOLDER / "images" / f"{name}.jpg", root / set_name / "images")
            shutil.copy(FOLDER / "masks" / f"{name}.png", root / set_name / "masks")
            if set_name == "sam":
                shutil.copy(FOLDER / "coarse" / f"{name}.png", root / set_name / "coarse_sam")
    return root


def run(root: Path, *args: str) -> dict[str, float]:
    result = subprocess.run([sys.executable, str(TOOL), "--data-root", str(root), *args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return metric_lines(result.stdout)


def test_coarse_masks_are_the_seeded_perturbation_or_the_real_ones(data_root):
    metrics = run(data_root, "--sets", "perturbed", "sam", "--methods", "coarse", "--seed", "4")
    inter = union = 0
    for name in ("grabcut_106024", "grabcut_124080"):
        gt = read_mask(data_root / "perturbed" / "masks" / f"{name}.png")
        rng = np.random.default_rng([4, zlib.crc32(name.encode())])
        coarse = make_coarse_mask(gt, rng).astype(bool)
        inter, union = inter + (gt & coarse).sum(), union + (gt | coarse).sum()
    assert metrics["perturbed/coarse/IoU"] == pytest.approx(inter / union, abs=1e-4)
    gt = read_mask(data_root / "sam" / "masks" / "berkeley_101085.png")
    sam = read_mask(data_root / "sam" / "coarse_sam" / "berkeley_101085.png")
    assert metrics["sam/coarse/IoU"] == pytest.approx(iou(gt, sam), abs=1e-4)


def test_sampling_seed_is_the_refiners_seed(data_root):
    metrics = run(data_root, "--sets", "sam", "--methods", "segrefiner", "--sampling-seed", "3")
    folder = data_root / "sam"
    gt = read_mask(folder / "masks" / "berkeley_101085.png")
    refined = Refiner(seed=3, fast=False).refine(
        read_image(folder / "images" / "berkeley_101085.jpg"),
        read_mask(folder / "coarse_sam" / "berkeley_101085.png"))
    assert metrics["sam/segrefiner/IoU"] == pytest.approx(iou(gt, refined.astype(bool)), abs=1e-4)


def test_box_grabcut_coarse_masks_are_grabcut_from_each_box(data_root):
    metrics = run(data_root, "--sets", "perturbed", "--methods", "coarse",
                  "--coarse", "box-grabcut", "--seed", "2")
    inter = union = 0
    for name in ("grabcut_106024", "grabcut_124080"):
        folder = data_root / "perturbed"
        gt = read_mask(folder / "masks" / f"{name}.png")
        image = read_image(folder / "images" / f"{name}.jpg")
        coarse = box_grabcut_mask(image, gt, seed=2).astype(bool)
        assert 0.5 < iou(gt, coarse) < 1  # a real segmentation: close, not exact
        inter, union = inter + (gt & coarse).sum(), union + (gt | coarse).sum()
    assert metrics["perturbed/coarse/IoU"] == pytest.approx(inter / union, abs=1e-4)


def test_save_dir_holds_the_masks_it_scored(data_root, tmp_path):
    metrics = run(data_root, "--sets", "sam", "--methods", "coarse", "guided",
                  "--save-dir", str(tmp_path))
    folder = data_root / "sam"
    gt = read_mask(folder / "masks" / "berkeley_101085.png")
    coarse = read_mask(tmp_path / "sam" / "coarse" / "berkeley_101085.png")
    assert np.array_equal(coarse, read_mask(folder / "coarse_sam" / "berkeley_101085.png"))
    guided = read_mask(tmp_path / "sam" / "guided" / "berkeley_101085.png")
    assert not np.array_equal(guided, coarse)  # the filter moved some boundary pixels
    assert metrics["sam/guided/IoU"] == pytest.approx(iou(gt, guided), abs=1e-4)


def test_harmed_share_and_time_per_image(data_root, tmp_path):
    metrics = run(data_root, "--sets", "perturbed", "--methods", "coarse", "guided",
                  "--save-dir", str(tmp_path))
    folder = data_root / "perturbed"
    harmed = 0
    for name in ("grabcut_106024", "grabcut_124080"):
        gt = read_mask(folder / "masks" / f"{name}.png")
        before = iou(gt, read_mask(tmp_path / "perturbed" / "coarse" / f"{name}.png"))
        after = iou(gt, read_mask(tmp_path / "perturbed" / "guided" / f"{name}.png"))
        harmed += after < before - 0.01
    assert metrics["perturbed/guided/harmed"] == pytest.approx(harmed / 2)
    assert metrics["perturbed/coarse/harmed"] == 0.0  # the input never harms itself
    assert metrics["perturbed/guided/seconds_per_image"] > 0


def test_test_cfg_overrides_reach_the_refiner(data_root):
    metrics = run(data_root, "--sets", "sam", "--methods", "segrefiner",
                  "--test-cfg", "patch_size=128", "global_steps=[5,3,1]")
    folder = data_root / "sam"
    refiner = Refiner(fast=False)  # the method 'segrefiner' is the exact mode
    refiner.model.test_cfg.update(patch_size=128, global_steps=[5, 3, 1])
    gt = read_mask(folder / "masks" / "berkeley_101085.png")
    refined = refiner.refine(read_image(folder / "images" / "berkeley_101085.jpg"),
                             read_mask(folder / "coarse_sam" / "berkeley_101085.png"))
    assert metrics["sam/segrefiner/IoU"] == pytest.approx(iou(gt, refined.astype(bool)), abs=1e-4)


def test_diffusion_overrides_swap_the_mask_process(data_root):
    # The bundled model names its process by the official diffusion_cfg; --diffusion
    # rebuilds it with the overrides (here: the same schedule without transitions).
    metrics = run(data_root, "--sets", "sam", "--methods", "segrefiner",
                  "--diffusion", "type=IterativeRefinement")
    folder = data_root / "sam"
    refiner = Refiner(fast=False)  # the method 'segrefiner' is the exact mode
    refiner.model.diffusion = IterativeRefinement()
    gt = read_mask(folder / "masks" / "berkeley_101085.png")
    refined = refiner.refine(read_image(folder / "images" / "berkeley_101085.jpg"),
                             read_mask(folder / "coarse_sam" / "berkeley_101085.png"))
    assert metrics["sam/segrefiner/IoU"] == pytest.approx(iou(gt, refined.astype(bool)), abs=1e-4)
    result = subprocess.run([sys.executable, str(TOOL), "--data-root", str(data_root), "--sets",
                             "sam", "--methods", "segrefiner", "--diffusion", "num_timesteps=1"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: --diffusion: num_timesteps must be >= 2")


def test_quality_time_plot(tmp_path):
    import json

    import cv2

    fast, slow = tmp_path / "fast.json", tmp_path / "slow.json"
    fast.write_text(json.dumps({"grabcut/coarse/IoU": 0.78, "grabcut/segrefiner/IoU": 0.90,
                                "grabcut/segrefiner/seconds_per_image": 0.5}))
    slow.write_text(json.dumps({"grabcut/segrefiner/IoU": 0.91,
                                "grabcut/segrefiner/seconds_per_image": 3.0}))
    out = tmp_path / "plot.png"
    tool = REPO / "tools/analysis_tools/plot_quality_time.py"
    result = subprocess.run([sys.executable, str(tool), f"fast={fast}", f"slow={slow}",
                             "--sets", "grabcut", "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    plot = cv2.imread(str(out))
    assert plot.shape == (480, 640, 3) and (plot < 128).any()  # one panel: one set


def test_crm_is_scored_beside_segrefiner_on_the_same_coarse_masks(data_root, tmp_path):
    """--methods crm with any CRM config + checkpoint: the tiny CRM, random weights."""
    import torch
    from mmengine.config import Config

    from segrefiner.registry import MODELS

    config = REPO / "configs/crm/crm_tiny.py"
    torch.manual_seed(0)
    checkpoint = tmp_path / "crm_tiny.pth"
    torch.save(MODELS.build(Config.fromfile(config).model).state_dict(), checkpoint)
    metrics = run(data_root, "--sets", "sam", "--methods", "coarse", "crm",
                  "--crm-config", str(config), "--crm-checkpoint", str(checkpoint),
                  "--save-dir", str(tmp_path / "out"))
    folder = data_root / "sam"
    refined = Refiner(config, checkpoint).refine(
        read_image(folder / "images" / "berkeley_101085.jpg"),
        read_mask(folder / "coarse_sam" / "berkeley_101085.png")).astype(bool)
    assert np.array_equal(read_mask(tmp_path / "out" / "sam" / "crm" / "berkeley_101085.png"),
                          refined)
    gt = read_mask(folder / "masks" / "berkeley_101085.png")
    assert metrics["sam/crm/IoU"] == pytest.approx(iou(gt, refined), abs=1e-4)
    assert metrics["sam/crm/seconds_per_image"] > 0
