"""Losses of SegRefiner (BCE on the fine-mask logits, the texture (gradient) L1 loss) and
the Sobel magnitude that CRM's gradient loss shares."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from segrefiner.registry import MODELS

SOBEL_X = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]) / 4


def sobel_magnitude(x: torch.Tensor, kernel_x: torch.Tensor | None = None,
                    kernel_y: torch.Tensor | None = None) -> torch.Tensor:
    """(B, 1, H, W) -> ``sqrt(gx^2 + gy^2 + 1e-4)`` (B, 1, H, W), gx / gy the
    cross-correlations (zero padding 1) with the Sobel kernels /4 (or the (1, 1, 3, 3)
    ``kernel_x`` / ``kernel_y`` given)."""
    if kernel_x is None:
        kernel_x = SOBEL_X.to(x).view(1, 1, 3, 3)
    if kernel_y is None:
        kernel_y = SOBEL_X.t().to(x).reshape(1, 1, 3, 3)
    gx, gy = F.conv2d(x, kernel_x, padding=1), F.conv2d(x, kernel_y, padding=1)
    return torch.sqrt(gx * gx + gy * gy + 1e-4)


def smoothed_sobel_magnitude(mask: torch.Tensor) -> torch.Tensor:
    """Sobel magnitude of a (B, 1, H, W) mask after a 3x3 mean (zero padding counted)."""
    return sobel_magnitude(F.avg_pool2d(mask, 3, stride=1, padding=1))


class Sobel(nn.Module):
    """Fixed Sobel filters /4 (official parameter names ``conv_x``, ``conv_y``; not trained)."""

    def __init__(self) -> None:
        super().__init__()
        kernel_x = SOBEL_X
        self.conv_x = nn.Conv2d(1, 1, 3, padding=1, bias=False)
        self.conv_y = nn.Conv2d(1, 1, 3, padding=1, bias=False)
        with torch.no_grad():
            self.conv_x.weight.copy_(kernel_x.view(1, 1, 3, 3))
            self.conv_y.weight.copy_(kernel_x.t().reshape(1, 1, 3, 3))
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) -> gradient magnitude (B, 1, H, W), ``sqrt(gx^2 + gy^2 + 1e-4)``."""
        return sobel_magnitude(x, self.conv_x.weight, self.conv_y.weight)


@MODELS.register_module()
class TextureL1Loss(nn.Module):
    """L1 between gradient magnitudes of the (3x3-smoothed) predicted and target masks.

    forward(logits (B,1,H,W), target (B,1,H,W) in {0,1}) -> scalar, times ``loss_weight``.
    """

    def __init__(self, loss_weight: float = 5.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.sobel = Sobel()

    def magnitude(self, mask: torch.Tensor) -> torch.Tensor:
        return self.sobel(F.avg_pool2d(mask, 3, stride=1, padding=1))

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        pred = self.magnitude(torch.sigmoid(logits.float()))
        return self.loss_weight * F.l1_loss(pred, self.magnitude(target.float()))


@MODELS.register_module()
class MaskBCELoss(nn.Module):
    """Binary cross-entropy with logits (mean), times ``loss_weight``."""

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * F.binary_cross_entropy_with_logits(logits.float(), target.float())
