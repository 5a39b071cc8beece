"""Every config file in configs/segrefiner/ loads and names only registered components."""
from __future__ import annotations

import pytest
from helpers import REPO
from mmengine.config import Config

from segrefiner.registry import MODELS, PARAM_SCHEDULERS

CONFIGS = sorted((REPO / "configs/segrefiner").glob("*.py"))


def test_the_config_folder_is_found():
    assert {"segrefiner_lr.py", "segrefiner_compact_realsets.py"} <= {p.name for p in CONFIGS}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_config_loads_with_registered_model_and_schedulers(path):
    cfg = Config.fromfile(str(path))
    assert MODELS.get(cfg.model.type) is not None
    for scheduler in cfg.get("param_scheduler", []):
        assert PARAM_SCHEDULERS.get(scheduler["type"]) is not None, scheduler["type"]


@pytest.mark.parametrize("stage", ["anneal", "mixed", "smooth", "hires", "restart", "coarse_end",
                                   "coarse_end_long", "coarse_end_more",
                                   "coarse_end_restart"])
def test_annealed_stages_decay_to_zero_at_their_last_iteration(stage):
    # A stage that sets anneal_iters must restate param_scheduler: the base file's list
    # was built with the base's value (mmengine replaces lists whole).
    cfg = Config.fromfile(str(REPO / f"configs/segrefiner/segrefiner_compact_{stage}.py"))
    cosine = cfg.param_scheduler[-1]
    assert cfg.train_cfg.max_iters == cosine.end and cosine.eta_min == 0.0
    assert cfg.model.denoise_model.model_channels == 32  # the compact architecture


def test_hires_stage_trains_at_the_size_it_refines_at():
    cfg = Config.fromfile(str(REPO / "configs/segrefiner/segrefiner_compact_hires.py"))
    pipeline = cfg.train_dataloader.dataset.pipeline
    sizes = {t["size"] for t in pipeline if t["type"] in ("RandomPatchCrop", "ResizeTo")}
    assert sizes == {cfg.model.test_cfg.model_size} == {256}
    cosine = cfg.param_scheduler[-1]
    assert cfg.train_cfg.max_iters == cosine.end and cosine.eta_min == 0.0
