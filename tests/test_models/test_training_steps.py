"""SegRefiner.training_steps: the official uniform draw, and more at the coarse end."""
from __future__ import annotations

import pytest
import torch
from helpers import REPO
from mmengine.config import Config

from segrefiner.registry import MODELS

TINY = REPO / "configs/segrefiner/segrefiner_tiny.py"


def build(**train_cfg):
    model_cfg = Config.fromfile(TINY).model
    model_cfg.train_cfg = train_cfg
    return MODELS.build(model_cfg)


def test_default_is_uniform_over_all_steps():
    torch.manual_seed(0)
    t = build().training_steps(60000, torch.device("cpu"))
    shares = torch.bincount(t, minlength=6).float() / len(t)
    assert t.dtype == torch.int64 and shares.shape == (6,)
    assert torch.allclose(shares, torch.full((6,), 1 / 6), atol=0.01)


@pytest.mark.parametrize("p", [0.5, 1.0])
def test_coarse_end_prob_moves_that_share_to_the_last_step(p):
    torch.manual_seed(0)
    t = build(coarse_end_prob=p).training_steps(60000, torch.device("cpu"))
    shares = torch.bincount(t, minlength=6).float() / len(t)
    # Each sample is T-1 with probability p, else uniform: T-1 gets p + (1 - p) / 6.
    assert float(shares[5]) == pytest.approx(p + (1 - p) / 6, abs=0.01)
    assert torch.allclose(shares[:5], torch.full((5,), (1 - p) / 6), atol=0.01)


def test_bad_coarse_end_prob_is_refused_when_the_model_is_built():
    with pytest.raises(ValueError, match="coarse_end_prob"):
        build(coarse_end_prob=1.5)
