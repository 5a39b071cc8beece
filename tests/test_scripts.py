"""scripts/eval_*.py and lvis2coco.py: printed metrics, JSON output, one-line errors."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from helpers import FIXTURES, REPO, metric_lines

METRICS = FIXTURES / "metrics"
EXPECTED = json.loads((METRICS / "expected.json").read_text())


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "scripts" / script), *args],
                          capture_output=True, text=True, timeout=300)




def test_eval_json_prints_and_writes_both_ap_types(tmp_path):
    out_json = tmp_path / "m.json"
    result = run("eval_json.py", "--gt", str(METRICS / "lvis_v0.5_val_100.json"),
                 "--dt", str(METRICS / "dets.json"), "--json-out", str(out_json))
    assert result.returncode == 0, result.stderr
    printed = metric_lines(result.stdout)
    assert printed["segm_AP"] == pytest.approx(EXPECTED["segm"]["AP"], abs=5e-5)
    assert printed["boundary_AP"] == pytest.approx(EXPECTED["boundary"]["AP"], abs=5e-5)
    written = json.loads(out_json.read_text())
    assert written["boundary_AP"] == pytest.approx(EXPECTED["boundary"]["AP"], abs=1e-6)


def test_eval_json_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run("eval_json.py", "--gt", str(METRICS / "lvis_v0.5_val_100.json"), "--dt", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "bad.json" in result.stderr
    assert result.stderr.count("\n") == 1


def make_pair_folders(tmp_path, gt_name: str, pred_name: str):
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    for i, case in enumerate(EXPECTED["mask_cases"]):
        shutil.copy(METRICS / case["gt"], gt_dir / gt_name.format(i))
        shutil.copy(METRICS / case["pred"], pred_dir / pred_name.format(i))
    return gt_dir, pred_dir


@pytest.mark.parametrize(("gt_name", "pred_name"), [("m{}_gt.png", "m{}_refine.png"),
                                                     ("m{}.png", "m{}.png")])
def test_eval_miou_on_big_and_plain_naming(tmp_path, gt_name, pred_name):
    gt_dir, pred_dir = make_pair_folders(tmp_path, gt_name, pred_name)
    result = run("eval_miou.py", "--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir),
                 "--workers", "2")
    assert result.returncode == 0, result.stderr
    printed = metric_lines(result.stdout)
    assert printed["images"] == 5
    assert printed["IoU"] == pytest.approx(EXPECTED["dataset"]["iou_cumulative"], abs=5e-5)
    assert printed["mBA"] == pytest.approx(EXPECTED["dataset"]["mba_mean"], abs=5e-5)


def test_eval_miou_missing_prediction_is_named(tmp_path):
    gt_dir, pred_dir = make_pair_folders(tmp_path, "m{}.png", "m{}.png")
    (pred_dir / "m3.png").unlink()
    result = run("eval_miou.py", "--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir))
    assert result.returncode == 2 and "m3.png" in result.stderr
    result = run("eval_miou.py", "--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir),
                 "--allow-missing")
    assert result.returncode == 0 and metric_lines(result.stdout)["images"] == 4


def test_eval_miou_dis_per_subset(tmp_path):
    gt_root, pred_root = tmp_path / "dis", tmp_path / "out"
    (gt_root / "DIS-VD" / "gt").mkdir(parents=True)
    (pred_root / "DIS-VD").mkdir(parents=True)
    for i, case in enumerate(EXPECTED["mask_cases"][:3]):
        shutil.copy(METRICS / case["gt"], gt_root / "DIS-VD" / "gt" / f"n{i}.png")
        shutil.copy(METRICS / case["gt"], pred_root / "DIS-VD" / f"n{i}.png")
    result = run("eval_miou_dis.py", "--gt-root", str(gt_root), "--pred-root", str(pred_root))
    assert result.returncode == 0, result.stderr
    printed = metric_lines(result.stdout)
    assert printed["DIS-VD/IoU"] == 1.0 and printed["DIS-VD/MAE"] == 0.0
    assert printed["DIS-VD/images"] == 3 and "DIS-TE1/IoU" not in printed


def test_eval_miou_size_mismatch_is_named(tmp_path):
    gt_dir, pred_dir = make_pair_folders(tmp_path, "m{}.png", "m{}.png")
    cv2.imwrite(str(pred_dir / "m0.png"), np.zeros((5, 5), np.uint8))
    result = run("eval_miou.py", "--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir),
                 "--workers", "1")
    assert result.returncode == 2 and "m0.png" in result.stderr and "size" in result.stderr


def test_lvis2coco_writes_cocofied_annotations(tmp_path):
    out = tmp_path / "cocofied.json"
    result = run("lvis2coco.py", "--lvis", str(METRICS / "lvis_v0.5_val_100.json"),
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert metric_lines(result.stdout)["annotations"] == len(data["annotations"]) > 0
    assert all(c["id"] <= 90 for c in data["categories"])
