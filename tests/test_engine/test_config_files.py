"""Every config file in the tree loads, names only registered components and builds its
model; the compact training recipe's knobs are the entries its comments name."""
from __future__ import annotations

import pytest
import torch
from helpers import REPO
from mmengine.config import Config

from segrefiner.registry import DATASETS, MODELS, PARAM_SCHEDULERS, TRANSFORMS

BUNDLED = REPO / "segrefiner/model_zoo/segrefiner_compact.py"
CONFIGS = sorted([*(REPO / "configs").rglob("*.py"), BUNDLED])
USER_CONFIGS = {"segrefiner_lr.py", "segrefiner_hr.py", "segrefiner_coco.py",
                "segrefiner_big.py", "segrefiner_dis.py", "segrefiner_compact.py",
                "segrefiner_compact_dense.py", "segrefiner_compact_train.py",
                "segrefiner_compact_ungated.py",
                "segrefiner_tiny.py", "segrefiner_tiny_big.py",
                "segrefiner_tiny_coco.py"}


def test_configs_segrefiner_holds_the_recipes_users_run():
    assert {p.name for p in (REPO / "configs/segrefiner").glob("*.py")} == USER_CONFIGS


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(REPO)))
def test_config_loads_and_builds(path):
    cfg = Config.fromfile(str(path))
    for scheduler in cfg.get("param_scheduler", []):
        assert PARAM_SCHEDULERS.get(scheduler["type"]) is not None, scheduler["type"]
    for loader in ("train_dataloader", "test_dataloader"):
        if loader in cfg:
            dataset = cfg[loader]["dataset"]
            assert DATASETS.get(dataset["type"]) is not None, dataset["type"]
            for step in dataset.get("pipeline", []):
                assert TRANSFORMS.get(step["type"]) is not None, step["type"]
    if "model" in cfg:
        model = MODELS.build(cfg.model)
        assert sum(p.numel() for p in model.parameters()) > 0
        assert model.mode in ("instance", "semantic")


def test_the_bundled_config_is_the_official_architecture_at_32_channels():
    bundled = Config.fromfile(str(BUNDLED))
    assert "_base_" not in BUNDLED.read_text()
    official = Config.fromfile(str(REPO / "configs/_base_/models/segrefiner_lr.py")).model
    official.denoise_model.model_channels = 32
    for key in ("type", "data_preprocessor", "denoise_model", "diffusion_cfg", "loss_mask",
                "loss_texture"):
        assert bundled.model[key] == official[key], key
    compact = Config.fromfile(str(REPO / "configs/segrefiner/segrefiner_compact.py"))
    assert compact.model.to_dict() == bundled.model.to_dict()


def test_compact_recipe_knobs_are_overridable_entries():
    cfg = Config.fromfile(str(REPO / "configs/segrefiner/segrefiner_compact_train.py"))
    cfg.merge_from_dict({"model.train_cfg.coarse_end_prob": 0.9,
                         "train_dataloader.dataset.pipeline.2.mild_prob": 0.5,
                         "optim_wrapper.optimizer.lr": 5e-5, "param_scheduler.1.eta_min": 0.0,
                         "train_cfg.max_iters": 4000, "param_scheduler.1.end": 4000})
    coarse_step = cfg.train_dataloader.dataset.pipeline[2]
    assert coarse_step.type == "GenerateCoarseMask" and coarse_step.mild_prob == 0.5
    assert TRANSFORMS.build(coarse_step).mild_prob == 0.5
    model = MODELS.build(cfg.model)
    assert model.coarse_end_prob == 0.9
    t = model.training_steps(4000, torch.device("cpu"))
    assert 0.88 < float((t == 5).float().mean()) < 0.94  # 0.9 + 0.1 / 6 = 0.917
    cosine = cfg.param_scheduler[1]
    assert (cosine.begin, cosine.end) == (cfg.param_scheduler[0].end, cfg.train_cfg.max_iters)
