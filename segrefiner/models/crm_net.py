"""CRM's network: a 4-channel dilated ResNet, a three-branch head and the implicit MLP.

Module names follow the released checkpoint (``feats``, ``aspp_``, ``imnet`` under
``module.``), so its state_dict loads strictly. ``base_width`` and ``blocks`` scale the
network down for CPU training (64 and (3, 4, 6, 3): the released ResNet-50).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn


class Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck: 1x1 -> 3x3 (stride, dilation) -> 1x1 (x4), residual, ReLU."""

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1, dilation: int = 1,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=dilation,
                               dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, width * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += x if self.downsample is None else self.downsample(x)
        return self.relu(out)


def _layer(in_channels: int, width: int, blocks: int, stride: int,
           dilation: int) -> nn.Sequential:
    """A ResNet stage; its first block has dilation 1, the others ``dilation``."""
    out_channels = width * Bottleneck.expansion
    downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                               nn.BatchNorm2d(out_channels))
    layers = [Bottleneck(in_channels, width, stride, 1, downsample)]
    layers += [Bottleneck(out_channels, width, 1, dilation) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class CRMBackbone(nn.Module):
    """Image + mask (4 channels) -> x1 (stride 2), x2 (stride 4), x3 (stride 8).

    Widths ``w, 4w, 16w`` channels (w = ``base_width``). layer3 keeps stride 8 with
    dilation 2. ``layer4`` (dilation 4) exists only for the released key layout
    (``with_layer4``): its output is never used, so it is not computed.
    """

    def __init__(self, base_width: int = 64, blocks: Sequence[int] = (3, 4, 6, 3),
                 with_layer4: bool = True) -> None:
        super().__init__()
        w = base_width
        self.conv1 = nn.Conv2d(4, w, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = _layer(w, w, blocks[0], 1, 1)
        self.layer2 = _layer(4 * w, 2 * w, blocks[1], 2, 1)
        self.layer3 = _layer(8 * w, 4 * w, blocks[2], 1, 2)
        if with_layer4:
            self.layer4 = _layer(16 * w, 8 * w, blocks[3], 1, 4)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 4, H, W) -> x1 (B, w, ceil(H/2), ceil(W/2))."""
        return self.relu(self.bn1(self.conv1(x)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x1 = self.stem(x)
        x2 = self.layer1(self.maxpool(x1))
        x3 = self.layer3(self.layer2(x2))
        return x1, x2, x3

    def forward_reduced(self, x: torch.Tensor, reduce_x2: Callable[[torch.Tensor], torch.Tensor],
                        reduce_x3: Callable[[torch.Tensor], torch.Tensor]
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(x1, reduce_x2(x2), reduce_x3(x3))`` with x2 released once layer2's first
        block has read it and x3 once reduced (the same values as :meth:`forward`, less
        memory held at once)."""
        x1 = self.stem(x)
        x2 = self.layer1(self.maxpool(x1))
        reduced_x2 = reduce_x2(x2)
        h = self.layer2[0](x2)
        del x2
        for block in list(self.layer2)[1:] + list(self.layer3):
            h = block(h)
        return x1, reduced_x2, reduce_x3(h)


class _Branch(nn.Module):
    """1x1 conv + BN + ReLU (official names ``atrous_conv``, ``bn``)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.atrous_conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.atrous_conv(x)))


class CRMHead(nn.Module):
    """x1, x2, x3 -> feat (4w channels at x1's size): each input through a 1x1 branch,
    BN, ReLU, dropout; x2 and x3 resized to x1 (bilinear, align_corners=True);
    concatenated; 3x3 conv, BN, ReLU, dropout. (Official name: ``ASPP_no4level``.)"""

    def __init__(self, base_width: int = 64, dropout: float = 0.5) -> None:
        super().__init__()
        w = base_width
        self.aspp1_128 = _Branch(w, w)
        self.aspp1_256 = _Branch(4 * w, w)
        self.aspp1_1024 = _Branch(16 * w, 2 * w)
        self.bn1_128 = nn.BatchNorm2d(w)
        self.bn1_256 = nn.BatchNorm2d(w)
        self.bn1_1024 = nn.BatchNorm2d(2 * w)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)
        self.last_conv = nn.Sequential(nn.Conv2d(4 * w, 4 * w, 3, padding=1, bias=False),
                                       nn.BatchNorm2d(4 * w), nn.ReLU(inplace=True),
                                       nn.Dropout(dropout))

    @property
    def out_channels(self) -> int:
        return self.last_conv[0].out_channels

    def branches(self, x1: torch.Tensor, x2: torch.Tensor,
                 x3: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The three branch outputs at their own sizes (before resizing)."""
        b1 = self.dropout(self.relu(self.bn1_128(self.aspp1_128(x1))))
        return b1, self.branch_x2(x2), self.branch_x3(x3)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor, x3: torch.Tensor) -> torch.Tensor:
        b1, b2, b3 = self.branches(x1, x2, x3)
        size = b1.shape[-2:]
        b2 = F.interpolate(b2, size, mode="bilinear", align_corners=True)
        b3 = F.interpolate(b3, size, mode="bilinear", align_corners=True)
        return self.last_conv(torch.cat([b1, b2, b3], dim=1))


    def branch_x2(self, x2: torch.Tensor) -> torch.Tensor:
        """The x2 branch at x2's size (what :meth:`rows` resizes)."""
        return self.dropout(self.relu(self.bn1_256(self.aspp1_256(x2))))

    def branch_x3(self, x3: torch.Tensor) -> torch.Tensor:
        """The x3 branch at x3's size."""
        return self.dropout(self.relu(self.bn1_1024(self.aspp1_1024(x3))))

    def rows(self, parts: tuple[torch.Tensor, torch.Tensor, torch.Tensor], start: int,
             stop: int) -> torch.Tensor:
        """Rows ``start:stop`` of :meth:`forward`'s output from ``parts`` =
        ``(x1, branch_x2(x2), branch_x3(x3))``, computing only those rows (and one row
        either side for the 3x3 convolution): equal to the whole map up to float
        rounding (the resize of the branches runs rows first, then columns)."""
        x1, b2, b3 = parts
        height, width = x1.shape[-2:]
        first, last = max(start - 1, 0), min(stop + 1, height)
        b1 = self.dropout(self.relu(self.bn1_128(self.aspp1_128(x1[:, :, first:last]))))
        cat = torch.cat([b1, _resize_rows(b2, first, last, height, width),
                         _resize_rows(b3, first, last, height, width)], dim=1)
        cat = F.pad(cat, (0, 0, int(start == 0), int(stop == height)))
        conv, rest = self.last_conv[0], self.last_conv[1:]
        return rest(F.conv2d(cat, conv.weight, padding=(0, 1)))


def _resize_rows(x: torch.Tensor, first: int, last: int, height: int,
                 width: int) -> torch.Tensor:
    """Rows ``first:last`` of ``F.interpolate(x, (height, width), mode='bilinear',
    align_corners=True)``: rows interpolated here, then columns by F.interpolate."""
    in_height = x.shape[2]
    scale = (torch.tensor(in_height - 1, dtype=torch.float32) / (height - 1)
             if height > 1 else torch.tensor(0.0))
    source = torch.arange(first, last, dtype=torch.float32, device=x.device) * scale.to(x.device)
    top = source.floor().long().clamp_(0, in_height - 1)
    bottom = (top + 1).clamp_(max=in_height - 1)
    weight = (source - top.float()).view(1, 1, -1, 1).to(x.dtype)
    rows = x[:, :, top] * (1 - weight) + x[:, :, bottom] * weight
    return F.interpolate(rows, (last - first, width), mode="bilinear", align_corners=True)


class ImplicitMLP(nn.Module):
    """in -> hidden x ``depth`` (ReLU) -> 1; Linear layers at ``layers.0, 2, 4, ...``."""

    def __init__(self, in_channels: int, hidden: int = 32, depth: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        last = in_channels
        for _ in range(depth):
            layers += [nn.Linear(last, hidden), nn.ReLU()]
            last = hidden
        layers.append(nn.Linear(last, 1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
