"""tools/train.py, dist_train.sh, test.py, dist_test.sh on the tiny config (CPU, gloo)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from helpers import FIXTURES, REPO, metric_lines
from mmengine.config import Config

from segrefiner.registry import MODELS
from segrefiner.utils.checkpoint import read_checkpoint
from segrefiner.utils.precision import cpu_has_bf16_kernels

TINY = "configs/segrefiner/segrefiner_tiny.py"
ENV = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}


def run(cmd: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout,
                            env=ENV)
    return result




@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 2-process gloo run of 6 iterations, then resumed to 10."""
    work = tmp_path_factory.mktemp("dist")
    first = run(["bash", "tools/dist_train.sh", TINY, "2", "--work-dir", str(work),
                 "--cfg-options", "train_cfg.max_iters=6", "default_hooks.checkpoint.interval=3"],
                )
    assert first.returncode == 0, first.stderr[-3000:]
    second = run(["bash", "tools/dist_train.sh", TINY, "2", "--work-dir", str(work), "--resume",
                  "--cfg-options", "train_cfg.max_iters=10",
                  "default_hooks.checkpoint.interval=5"])
    assert second.returncode == 0, second.stderr[-3000:]
    return work, first, second


def test_distributed_training_checkpoints_and_resumes(trained):
    work, first, second = trained
    log = first.stdout + first.stderr
    assert "Distributed training: True" in log and "GPU number: 2" in log  # mmengine: processes
    assert "resumed epoch: 0, iter: 6" in second.stdout + second.stderr
    ckpt = read_checkpoint(work / "iter_10.pth")  # safe loading (weights_only)
    assert ckpt["meta"]["iter"] == 10
    assert "loss_texture" in (second.stdout + second.stderr)
    assert "iou:" in (second.stdout + second.stderr)


@pytest.fixture(scope="module")
def bare_state_dict(tmp_path_factory, trained):
    """The trained weights as a released-style bare state_dict (official key names)."""
    work, _, _ = trained
    path = tmp_path_factory.mktemp("bare") / "tiny_bare.pth"
    torch.save(read_checkpoint(work / "iter_10.pth")["state_dict"], path)
    return path


@pytest.mark.parametrize("kind", ["own", "bare"])
def test_coco_results_refined_and_scored(tmp_path, trained, bare_state_dict, kind):
    ckpt = trained[0] / "iter_10.pth" if kind == "own" else bare_state_dict
    prefix = tmp_path / "refined"
    result = run([sys.executable, "tools/test.py", "configs/segrefiner/segrefiner_tiny_coco.py",
                  str(ckpt), "--out_prefix", str(prefix), "--step", "3",
                  "--work-dir", str(tmp_path / "work")])
    assert result.returncode == 0, result.stderr[-3000:]
    printed = metric_lines(result.stdout)
    refined = json.loads((prefix.with_suffix(".segm.json")).read_text())
    coarse = json.loads((FIXTURES / "lvis/dets_mini3.json").read_text())
    assert len(refined) == len(coarse)
    assert sorted(r["score"] for r in refined) == sorted(c["score"] for c in coarse)
    scored = run([sys.executable, "scripts/eval_json.py", "--gt",
                  str(FIXTURES / "lvis/lvis_mini3.json"), "--dt", str(prefix) + ".segm.json"])
    assert scored.returncode == 0, scored.stderr
    assert metric_lines(scored.stdout)["segm_AP"] == pytest.approx(printed["lvis/segm_AP"],
                                                                    abs=1e-4)


def test_big_pngs_written_and_scored(tmp_path, bare_state_dict):
    out = tmp_path / "big"
    result = run([sys.executable, "tools/test.py", "configs/segrefiner/segrefiner_tiny_big.py",
                  str(bare_state_dict), "--out-dir", str(out),
                  "--work-dir", str(tmp_path / "work")])
    assert result.returncode == 0, result.stderr[-3000:]
    names = sorted(p.name for p in out.iterdir())
    assert names == ["berkeley_101085_refine.png", "grabcut_106024_refine.png"]
    scored = run([sys.executable, "scripts/eval_miou.py", "--gt-dir", str(FIXTURES / "big"),
                  "--pred-dir", str(out)])
    assert scored.returncode == 0, scored.stderr
    assert metric_lines(scored.stdout)["IoU"] == pytest.approx(
        metric_lines(result.stdout)["big/IoU"], abs=1e-4)


def test_distributed_test_gives_the_single_process_results(tmp_path, bare_state_dict):
    single, multi = tmp_path / "single", tmp_path / "multi"
    run([sys.executable, "tools/test.py", "configs/segrefiner/segrefiner_tiny_coco.py",
         str(bare_state_dict), "--out-prefix", str(single), "--steps", "1",
         "--work-dir", str(tmp_path / "work1")])
    result = run(["bash", "tools/dist_test.sh", "configs/segrefiner/segrefiner_tiny_coco.py",
                  str(bare_state_dict), "2", "--out-prefix", str(multi), "--steps", "1",
                  "--work-dir", str(tmp_path / "work2")])
    assert result.returncode == 0, result.stderr[-3000:]

    def key(r):
        return (r["image_id"], r["score"], r["category_id"])
    a = sorted(json.loads((tmp_path / "single.segm.json").read_text()), key=key)
    b = sorted(json.loads((tmp_path / "multi.segm.json").read_text()), key=key)
    # One step: x = sigmoid(logits), no random draws, so both runs refine identically.
    assert [r["segmentation"] for r in a] == [r["segmentation"] for r in b]


def test_resume_from_bare_weights_starts_from_them(tmp_path, bare_state_dict):
    result = run([sys.executable, "tools/train.py", TINY, "--work-dir", str(tmp_path),
                  "--resume", str(bare_state_dict), "--cfg-options", "train_cfg.max_iters=2"])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "bare weights (no training state): starting from them" in result.stdout
    assert "Load checkpoint from" in result.stdout + result.stderr


def test_nan_loss_stops_with_a_clear_message(tmp_path):
    result = run([sys.executable, "tools/train.py", TINY, "--work-dir", str(tmp_path),
                  "--cfg-options", "model.loss_mask.loss_weight=nan", "train_cfg.max_iters=3"])
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: training stopped: loss") and "iteration 1" in last


def test_amp_on_cpu_uses_bf16_autocast_where_the_cpu_has_bf16_kernels(tmp_path):
    result = run([sys.executable, "tools/train.py", TINY, "--work-dir", str(tmp_path), "--amp",
                  "--cfg-options", "train_cfg.max_iters=2"])
    assert result.returncode == 0, result.stderr[-3000:]
    dumped = Config.fromfile(tmp_path / "segrefiner_tiny.py")
    if cpu_has_bf16_kernels():
        assert dumped.optim_wrapper.type == "AutocastOptimWrapper"
        assert "no bf16 kernels" not in result.stdout
    else:
        assert dumped.optim_wrapper.type == "OptimWrapper"
        assert "--amp: this CPU has no bf16 kernels" in result.stdout


def test_tiny_config_builds_the_official_key_names():
    model = MODELS.build(Config.fromfile(REPO / TINY).model)
    keys = list(model.state_dict())
    assert all(k.startswith(("denoise_model.", "loss_texture.sobel.")) for k in keys)


@pytest.mark.parametrize(("config", "steps", "expected"), [
    ("configs/segrefiner/segrefiner_tiny_coco.py", "9",
     "--steps must be a whole number in 1..6, got 9"),
    ("configs/segrefiner/segrefiner_tiny_big.py", "2", "--steps applies to instance configs")])
def test_test_steps_checked_before_anything_runs(tmp_path, bare_state_dict, config, steps,
                                                 expected):
    result = run([sys.executable, "tools/test.py", config, str(bare_state_dict), "--steps", steps,
                  "--work-dir", str(tmp_path / "work")])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr
