"""Losses: hand-computed texture and BCE values, and the official training case."""
from __future__ import annotations

import math

import torch

from segrefiner.models.losses import MaskBCELoss, TextureL1Loss


def test_texture_loss_of_flat_masks_is_zero_and_of_an_edge_is_by_hand():
    loss = TextureL1Loss(loss_weight=5.0)
    flat = torch.zeros(1, 1, 8, 8)
    assert float(loss(torch.full_like(flat, -30.0), flat)) < 1e-6
    # One pixel of difference far from the border: prediction all 0, target one 1-pixel.
    # avg_pool spreads it as 1/9 over a 3x3; the Sobel magnitudes differ on a 5x5 patch.
    target = torch.zeros(1, 1, 9, 9)
    target[0, 0, 4, 4] = 1
    pooled = torch.nn.functional.avg_pool2d(target, 3, 1, 1)
    kx = torch.tensor([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]]).view(1, 1, 3, 3) / 4
    gx = torch.nn.functional.conv2d(pooled, kx, padding=1)
    gy = torch.nn.functional.conv2d(pooled, kx.transpose(2, 3), padding=1)
    mag = torch.sqrt(gx**2 + gy**2 + 1e-4)
    expected = 5.0 * (mag - math.sqrt(1e-4)).abs().mean()
    got = loss(torch.full_like(target, -40.0), target)
    assert abs(float(got) - float(expected)) < 1e-6


def test_bce_by_hand():
    logits = torch.tensor([[[[0.0, 2.0]]]])
    target = torch.tensor([[[[1.0, 0.0]]]])
    expected = (math.log(2) + (2 + math.log(1 + math.exp(-2)))) / 2
    assert abs(float(MaskBCELoss()(logits, target)) - expected) < 1e-6


def test_official_training_losses(small_model, cases):
    from segrefiner.diffusion import ReplayNoise
    case = cases["train_loss"]
    with torch.no_grad():
        losses = small_model.loss_from_masks(case["img"], case["gt"], case["coarse"], case["t"],
                                             ReplayNoise([case["noise"]]))
    assert abs(float(losses["loss_mask"] - case["loss_mask"])) <= 1e-4
    assert abs(float(losses["loss_texture"] - case["loss_texture"])) <= 1e-4
    assert 0.0 <= float(losses["iou"]) <= 1.0
