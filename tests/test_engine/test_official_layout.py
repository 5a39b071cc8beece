"""The official README's commands on the official data/ tree (only lvis_v1_{train,val}.json
under data/lvis/annotations): the cocofied file is made when missing, and dataloader
overrides such as num_workers=0 work. The LR configs run with a tiny denoiser."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from helpers import FIXTURES, REPO, SMALL_DENOISER
from mmengine.config import Config

from segrefiner.registry import MODELS

TINY_DENOISER = ["model.denoise_model.model_channels=32", "model.denoise_model.num_res_blocks=1",
                 "model.denoise_model.channel_mult=(1,2,2)",
                 "model.denoise_model.attention_strides=(4,)", "model.denoise_model.num_heads=2"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture
def official_tree(tmp_path):
    annotations = tmp_path / "data/lvis/annotations"
    annotations.mkdir(parents=True)
    for split in ("train", "val"):
        shutil.copy(FIXTURES / "lvis/lvis_mini3.json", annotations / f"lvis_v1_{split}.json")
    for split in ("train2017", "val2017"):
        shutil.copytree(FIXTURES / "lvis/val2017", tmp_path / "data/coco" / split)
    results = tmp_path / "all_json/coarse_coco"
    results.mkdir(parents=True)
    shutil.copy(FIXTURES / "lvis/dets_mini3.json", results / "maskrcnn_3x_r50.json")
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(REPO / "configs/segrefiner/segrefiner_tiny.py")).model)
    torch.save(model.state_dict(), tmp_path / "tiny.pth")
    return tmp_path


def run(cwd, *cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *cmd], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=ENV)


def test_test_py_and_eval_json_on_the_official_tree(official_tree):
    cocofied = official_tree / "data/lvis/annotations/lvis_v1_val_cocofied.json"
    result = run(official_tree, str(REPO / "tools/test.py"),
                 str(REPO / "configs/segrefiner/segrefiner_coco.py"), "tiny.pth",
                 "--out-prefix", "out/m", "--cfg-options", *TINY_DENOISER,
                 "model.test_cfg.model_size=64", "test_dataloader.num_workers=0")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "created data/lvis/annotations/lvis_v1_val_cocofied.json" in result.stdout
    assert cocofied.is_file() and "lvis/segm_AP" in result.stdout
    refined = json.loads((official_tree / "out/m.segm.json").read_text())
    assert len(refined) == len(json.loads((FIXTURES / "lvis/dets_mini3.json").read_text()))
    assert not (official_tree / "work_dirs").exists()
    cocofied.unlink()
    result = run(official_tree, str(REPO / "scripts/eval_json.py"), "--gt", str(cocofied),
                 "--dt", "out/m.segm.json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "created" in result.stdout and cocofied.is_file()
    categories = {c["id"] for c in json.loads(cocofied.read_text())["categories"]}
    assert categories <= set(range(1, 91))  # COCO category ids


def test_train_py_with_num_workers_zero_on_the_official_tree(official_tree):
    result = run(official_tree, str(REPO / "tools/train.py"),
                 str(REPO / "configs/segrefiner/segrefiner_lr.py"), "--work-dir", "w",
                 "--cfg-options", *SMALL_DENOISER, "train_cfg.max_iters=2",
                 "train_dataloader.num_workers=0", "train_dataloader.batch_size=2",
                 "default_hooks.checkpoint.interval=2")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (official_tree / "w/iter_2.pth").is_file()
