"""A tiny model checkpoint (official key layout) and an image / coarse mask pair for API and
CLI tests."""
from __future__ import annotations

import shutil

import pytest
import torch
from helpers import FIXTURES, REPO
from mmengine.config import Config

from segrefiner.datasets.io import read_image, read_mask
from segrefiner.registry import MODELS

TINY_SEMANTIC = REPO / "configs/segrefiner/segrefiner_tiny_big.py"
TINY_INSTANCE = REPO / "configs/segrefiner/segrefiner_tiny.py"
BIG = FIXTURES / "big"
NAME = "grabcut_106024"


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """Random tiny weights saved as a bare state_dict (like a released checkpoint)."""
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(TINY_SEMANTIC).model)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pth"
    torch.save(model.state_dict(), path)
    return path


@pytest.fixture
def pair(tmp_path):
    """A BIG-fixture image and its coarse mask, copied into the test's folder."""
    image, coarse = tmp_path / "img.jpg", tmp_path / "coarse.png"
    shutil.copy(BIG / f"{NAME}_im.jpg", image)
    shutil.copy(BIG / f"{NAME}_seg.png", coarse)
    return image, coarse


@pytest.fixture(scope="module")
def sample():
    """The BIG-fixture image (H, W, 3) uint8 and its coarse mask (H, W) bool, as arrays."""
    return (read_image(BIG / f"{NAME}_im.jpg"), read_mask(BIG / f"{NAME}_seg.png"))
