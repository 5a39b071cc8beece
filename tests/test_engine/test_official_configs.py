"""Every official config runs end to end on an official data/ tree made of small real sets.

The tree (in a temporary folder, used as the working directory) follows the official
README: data/lvis/annotations, data/coco/val2017, data/dis/DIS-*, data/thin_object,
data/big/coarse/deeplab and all_json/coarse_coco. Each config trains for two iterations
with a smaller denoiser (--cfg-options) or refines and scores with a checkpoint of it.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from helpers import FIXTURES, REPO, SMALL_DENOISER, metric_lines

FAST_DATA = ["train_dataloader.batch_size=2", "train_dataloader.num_workers=0",
             "train_dataloader.persistent_workers=False", "train_cfg.max_iters=2",
             "default_hooks.checkpoint.interval=2"]


def run(tree, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, *args], cwd=tree, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("official")
    data = root / "data"
    (data / "lvis/annotations").mkdir(parents=True)
    lvis = json.loads((FIXTURES / "lvis/lvis_mini3.json").read_text())
    for split in ("train", "val"):
        (data / f"lvis/annotations/lvis_v1_{split}.json").write_text(json.dumps(lvis))
    shutil.copytree(FIXTURES / "lvis/val2017", data / "coco/val2017")
    shutil.copytree(FIXTURES / "dis", data / "dis")
    shutil.copytree(FIXTURES / "thin_object", data / "thin_object")
    shutil.copytree(FIXTURES / "big", data / "big/coarse/deeplab")
    (root / "all_json/coarse_coco").mkdir(parents=True)
    shutil.copy(FIXTURES / "lvis/dets_mini3.json",
                root / "all_json/coarse_coco/maskrcnn_3x_r50.json")
    # DIS test subsets beyond DIS-VD: reuse the VD images
    for subset in ("DIS-TE1", "DIS-TE2", "DIS-TE3", "DIS-TE4"):
        shutil.copytree(data / "dis/DIS-VD", data / f"dis/{subset}")
        shutil.copytree(data / "dis/coarse/isnet/DIS-VD", data / f"dis/coarse/isnet/{subset}")
    return root


@pytest.fixture(scope="module")
def lr_checkpoint(tree):
    run(tree, str(REPO / "tools/train.py"), str(REPO / "configs/segrefiner/segrefiner_lr.py"),
        "--work-dir", "work/lr", "--cfg-options", *SMALL_DENOISER, *FAST_DATA)
    return tree / "work/lr/iter_2.pth"


def test_lr_training_on_lvis(lr_checkpoint):
    assert lr_checkpoint.is_file()


def test_hr_offline_masks_and_training_from_the_lr_checkpoint(tree, lr_checkpoint):
    run(tree, str(REPO / "scripts/gen_coarse_masks_hr.py"), "--workers", "1")
    assert (tree / "data/collection_hr.json").is_file()
    result = run(tree, str(REPO / "tools/train.py"),
                 str(REPO / "configs/segrefiner/segrefiner_hr.py"), "--work-dir", "work/hr",
                 "--cfg-options", *SMALL_DENOISER, *FAST_DATA, f"load_from={lr_checkpoint}")
    assert (tree / "work/hr/iter_2.pth").is_file()
    assert "Load checkpoint from" in result.stdout + result.stderr


def test_coco_refinement_and_scoring(tree, lr_checkpoint):
    run(tree, str(REPO / "scripts/lvis2coco.py"))
    result = run(tree, str(REPO / "tools/test.py"),
                 str(REPO / "configs/segrefiner/segrefiner_coco.py"), str(lr_checkpoint),
                 "--out-prefix", "out/coco", "--cfg-options", *SMALL_DENOISER,
                 "test_dataloader.num_workers=0", "model.test_cfg.model_size=64")
    assert "lvis/segm_AP" in metric_lines(result.stdout)
    scored = run(tree, str(REPO / "scripts/eval_json.py"), "--gt",
                 "data/lvis/annotations/lvis_v1_val_cocofied.json", "--dt", "out/coco.segm.json")
    assert "boundary_AP" in metric_lines(scored.stdout)


@pytest.mark.parametrize("name", ["big", "dis"])
def test_big_and_dis_refinement_and_scoring(tree, lr_checkpoint, name):
    result = run(tree, str(REPO / "tools/test.py"),
                 str(REPO / f"configs/segrefiner/segrefiner_{name}.py"), str(lr_checkpoint),
                 "--out-dir", f"out/{name}", "--cfg-options", *SMALL_DENOISER,
                 "test_dataloader.num_workers=0", "model.test_cfg.model_size=64")
    printed = metric_lines(result.stdout)
    assert f"{name}/IoU" in printed and f"{name}/mBA" in printed
    if name == "big":
        scored = run(tree, str(REPO / "scripts/eval_miou.py"), "--gt-dir",
                     "data/big/coarse/deeplab", "--pred-dir", "out/big")
        assert metric_lines(scored.stdout)["IoU"] == pytest.approx(printed["big/IoU"], abs=1e-4)
    else:
        scored = run(tree, str(REPO / "scripts/eval_miou_dis.py"), "--pred-root", "out/dis")
        assert {f"DIS-{s}/IoU" for s in ("VD", "TE1", "TE2", "TE3", "TE4")} <= set(
            metric_lines(scored.stdout))
