"""Datasets in each official layout, on the fixtures, through their pipelines."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from helpers import FIXTURES, REPO
from mmengine.config import Config
from mmengine.registry import init_default_scope

from segrefiner.registry import DATASETS
from segrefiner.utils.errors import UserError

init_default_scope("segrefiner")


def pipeline_of(config: str, key: str) -> list:
    cfg = Config.fromfile(REPO / "configs" / config)
    return cfg[key]


def test_lvis_dataset_samples_one_instance_per_access():
    pipeline = pipeline_of("_base_/datasets/lvis_train.py", "train_pipeline")
    ds = DATASETS.build(dict(type="LVISRefineDataset",
                             ann_file=str(FIXTURES / "lvis/lvis_mini3.json"),
                             data_prefix=dict(img=str(FIXTURES / "lvis")), pipeline=pipeline))
    assert len(ds) == 3
    assert all(inst for item in ds.data_list for inst in item["instances"])
    np.random.seed(0)
    out = ds[0]
    assert tuple(out["inputs"].shape) == (3, 256, 256) and out["inputs"].dtype == torch.uint8
    sample = out["data_samples"]
    assert sample.gt_mask.shape == (1, 256, 256) and sample.gt_mask.sum() > 0
    assert sample.coarse_mask.shape == (1, 256, 256)
    np.random.seed(0)
    again = ds[0]
    assert torch.equal(again["data_samples"].coarse_mask, sample.coarse_mask)


def test_folder_dataset_pairs_by_stem_and_trains_online():
    pipeline = pipeline_of("segrefiner/segrefiner_compact_train.py", "train_pipeline")
    ds = DATASETS.build(dict(type="FolderRefineDataset", roots=[str(FIXTURES / "folder")],
                             pipeline=pipeline))
    assert len(ds) == 4
    np.random.seed(1)
    out = ds[2]
    assert tuple(out["inputs"].shape) == (3, 128, 128)
    assert out["data_samples"].coarse_mask.max() <= 1


def test_folder_dataset_with_coarse_folder_for_testing():
    pipeline = pipeline_of("_base_/datasets/big_test.py", "test_pipeline")
    ds = DATASETS.build(dict(type="FolderRefineDataset", data_root=str(FIXTURES / "folder"),
                             coarse_dir="coarse", pipeline=pipeline, test_mode=True))
    out = ds[0]
    h, w = out["inputs"].shape[1:]
    assert out["data_samples"].coarse_mask.shape == (1, h, w)
    assert out["data_samples"].gt_mask.shape == (1, h, w)


def test_folder_dataset_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="no such image folder"):
        DATASETS.build(dict(type="FolderRefineDataset", data_root=str(tmp_path), pipeline=[]))


def test_big_dataset_layout_and_output_names():
    pipeline = pipeline_of("_base_/datasets/big_test.py", "test_pipeline")
    ds = DATASETS.build(dict(type="BIGDataset", data_root=str(FIXTURES / "big"),
                             pipeline=pipeline, test_mode=True))
    assert len(ds) == 2
    out = ds[0]
    assert out["data_samples"].metainfo["out_name"].endswith("_refine.png")
    assert out["data_samples"].gt_mask.shape[1:] == out["inputs"].shape[1:]


def test_dis_dataset_layout():
    pipeline = pipeline_of("_base_/datasets/dis_test.py", "test_pipeline")
    ds = DATASETS.build(dict(type="DISDataset", data_root=str(FIXTURES / "dis"),
                             subsets=("DIS-VD",),
                             coarse_root=str(FIXTURES / "dis/coarse/isnet"),
                             pipeline=pipeline, test_mode=True))
    assert len(ds) == 2
    out = ds[1]
    assert out["data_samples"].metainfo["out_name"].startswith("DIS-VD/")
    assert out["data_samples"].coarse_mask.shape[1:] == out["inputs"].shape[1:]


def make_results(tmp_path, drop_image: bool = False) -> str:
    gt = json.loads((FIXTURES / "lvis/lvis_mini3.json").read_text())
    results = [dict(image_id=a["image_id"], category_id=a["category_id"],
                    segmentation=a["segmentation"], bbox=a["bbox"], score=0.5)
               for a in gt["annotations"]]
    if drop_image:
        results.append(dict(image_id=999, category_id=1, score=0.1,
                            segmentation=results[0]["segmentation"]))
    path = tmp_path / "dets.json"
    path.write_text(json.dumps(results))
    return str(path)


def test_coco_results_dataset_decodes_polygons_and_passes_meta_through(tmp_path):
    pipeline = pipeline_of("_base_/datasets/coco_test.py", "test_pipeline")
    ds = DATASETS.build(dict(type="COCOResultsDataset", results_file=make_results(tmp_path),
                             ann_file=str(FIXTURES / "lvis/lvis_mini3.json"),
                             data_prefix=dict(img=str(FIXTURES / "lvis")),
                             pipeline=pipeline, test_mode=True))
    assert len(ds) == 3
    out = ds[0]
    sample = out["data_samples"]
    n = sample.coarse_masks.shape[0]
    assert sample.coarse_masks.shape[1:] == out["inputs"].shape[1:]
    assert sample.scores.shape == (n,) and sample.labels.shape == (n,)
    assert sample.bboxes.shape == (n, 4)


def test_coco_results_for_missing_images_fail_or_are_counted(tmp_path):
    coarse = make_results(tmp_path, drop_image=True)
    cfg = dict(type="COCOResultsDataset", results_file=coarse,
               ann_file=str(FIXTURES / "lvis/lvis_mini3.json"),
               data_prefix=dict(img=str(FIXTURES / "lvis")), pipeline=[], test_mode=True)
    with pytest.raises(UserError, match="image_id 999"):
        DATASETS.build(cfg)
    ds = DATASETS.build({**cfg, "skip_missing_images": True})
    assert len(ds) == 3 and ds.num_skipped == 1


def test_hr_collection_from_the_offline_script(tmp_path):
    import shutil
    for sub in ("dis", "thin_object"):
        shutil.copytree(FIXTURES / sub, tmp_path / sub)
    result = subprocess.run([sys.executable, str(REPO / "scripts/gen_coarse_masks_hr.py"),
                             "--data-root", str(tmp_path), "--workers", "1"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "written: 4" in result.stdout
    assert (tmp_path / "dis/DIS-TR/coarse_expand").is_dir()
    again = subprocess.run([sys.executable, str(REPO / "scripts/gen_coarse_masks_hr.py"),
                            "--data-root", str(tmp_path), "--workers", "1"],
                           capture_output=True, text=True, timeout=300)
    assert "kept: 4" in again.stdout
    pipeline = pipeline_of("_base_/datasets/hr_train.py", "train_pipeline")
    ds = DATASETS.build(dict(type="HRCollectionDataset", data_root=str(tmp_path),
                             ann_file=str(tmp_path / "collection_hr.json"), pipeline=pipeline))
    assert len(ds) == 4
    np.random.seed(0)
    out = ds[3]
    assert tuple(out["inputs"].shape) == (3, 256, 256)
    assert out["data_samples"].coarse_mask.shape == (1, 256, 256)


def test_fill_holes():
    from segrefiner.datasets.hr_collection import fill_holes
    ring = np.zeros((20, 20), np.uint8)
    ring[5:15, 5:15] = 1
    ring[8:12, 8:12] = 0
    assert fill_holes(ring).sum() == 100
