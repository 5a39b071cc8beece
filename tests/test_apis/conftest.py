"""A tiny model checkpoint (official key layout) for API and CLI tests."""
from __future__ import annotations

import pytest
import torch
from helpers import REPO
from mmengine.config import Config

from segrefiner.registry import MODELS

TINY_SEMANTIC = REPO / "configs/segrefiner/segrefiner_tiny_big.py"
TINY_INSTANCE = REPO / "configs/segrefiner/segrefiner_tiny.py"


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """Random tiny weights saved as a bare state_dict (like a released checkpoint)."""
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(TINY_SEMANTIC).model)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pth"
    torch.save(model.state_dict(), path)
    return path
