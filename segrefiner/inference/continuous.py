"""CRM's refinement: the multi-resolution loop of a continuous (implicit-function) refiner.

The image and the coarse mask are padded by ``pad`` pixels (reflect) on every side. For
each scale s of ``scales`` (ascending), image and current mask are resized to
``round(Hp * s), round(Wp * s)`` (bilinear, align_corners=True), the network computes its
features once and every full-resolution padded pixel centre is queried on them, in
chunks of ``query_chunk`` queries (chunking changes no value, only the memory). The
probability becomes the next scale's mask, ``2 p - 1`` over the whole padded canvas. The
last scale's probability, cropped, is the result; its 8-bit value ``uint8(255 p)`` above
128 is the mask. With ``max_feature_mb``, a feature map larger than that is made and
queried in strips of rows (:func:`query_image_in_strips`), so memory stays bounded at 4K.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import torch
import torch.nn.functional as F

from segrefiner.utils.coords import centre_coords, pixel_grid, shifted_index

# The released evaluation keeps the input mask when its 8-bit values sum to less than this.
MIN_INPUT_MASK_SUM = 32 * 32
MASK_PNG_THRESHOLD = 128  # the result is uint8(255 p) > 128

ScaleCallback = Callable[[int, torch.Tensor], None]


class ContinuousRefinerNet(Protocol):
    feature_channels: int  # channels of the feature map (used with max_feature_mb)

    def features(self, x: torch.Tensor) -> torch.Tensor: ...  # (B, 4, H, W) -> (B, C, h, w)

    def feature_parts(self, x: torch.Tensor) -> Any: ...  # what feature_rows needs

    def feature_rows(self, parts: Any, start: int, stop: int) -> torch.Tensor: ...

    def query(self, feat: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor,
              row_offset: int = 0,
              full_height: int | None = None) -> torch.Tensor: ...  # -> (B, Q, 1) logits


@dataclass(frozen=True)
class ContinuousTestCfg:
    """Refinement settings of CRM (the released test.py's values)."""

    scales: tuple[float, ...] = (0.125, 0.25, 0.5, 1.0)
    pad: int = 32
    query_chunk: int = 262_144  # queries per MLP call (the released code: 802,816)
    # Features larger than this (MB, float32) are computed in strips of rows, each
    # queried before the next is made; None: always the whole map (the released way).
    max_feature_mb: float | None = None

    def __post_init__(self) -> None:
        if not self.scales or any(s <= 0 for s in self.scales):
            raise ValueError(f"scales must be positive, got {self.scales!r}")
        if self.max_feature_mb is not None and self.max_feature_mb <= 0:
            raise ValueError(f"max_feature_mb must be positive, got {self.max_feature_mb}")
        if self.pad < 0 or self.query_chunk < 1:
            raise ValueError(f"pad must be >= 0 and query_chunk >= 1, got {self.pad}, "
                             f"{self.query_chunk}")


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """(round(H s), round(W s)) with Python's rounding (half to even), at least 1."""
    return max(1, round(height * scale)), max(1, round(width * scale))


def pad_reflect(x: torch.Tensor, pad: int) -> torch.Tensor:
    """Mirror-pad (B, C, H, W) by ``pad`` on every side (edge pixel not repeated)."""
    return F.pad(x, (pad, pad, pad, pad), mode="reflect") if pad else x


def query_image(net: ContinuousRefinerNet, feat: torch.Tensor, height: int, width: int,
                chunk: int) -> torch.Tensor:
    """Probability at every pixel centre of a (height, width) grid -> (B, 1, H, W)."""
    batch = feat.shape[0]
    coord = pixel_grid(height, width, feat.device)
    cell = torch.tensor([2.0 / height, 2.0 / width], dtype=torch.float32, device=feat.device)
    out = torch.empty(batch, height * width, dtype=torch.float32, device=feat.device)
    for start in range(0, height * width, chunk):
        part = coord[start:start + chunk]
        coords = part[None].expand(batch, -1, -1)
        cells = cell.expand(batch, len(part), 2)
        out[:, start:start + len(part)] = net.query(feat, coords, cells)[..., 0].float()
    # One sigmoid over all logits: its vectorised body and scalar tail round differently,
    # so a sigmoid per chunk would make the chunking show in the last bit.
    return torch.sigmoid_(out).view(batch, 1, height, width)


def query_image_in_strips(net: ContinuousRefinerNet, parts: Any, feat_size: tuple[int, int],
                          height: int, width: int, chunk: int,
                          max_feature_mb: float) -> torch.Tensor:
    """:func:`query_image` with the (h, w) feature map made strip by strip: each strip of
    feature rows answers the pixel rows whose upper neighbouring cell lies in it (their
    lower neighbour lies in it or one row below, which the strip includes)."""
    h, w = feat_size
    rows_per_strip = max(1, int(max_feature_mb * 2**20 / (4 * net.feature_channels * w)))
    device = parts[0].device
    ys = centre_coords(height, device)
    upper, lower = shifted_index(ys, -1, h), shifted_index(ys, 1, h)
    xs = centre_coords(width, device)
    cell = torch.tensor([2.0 / height, 2.0 / width], dtype=torch.float32, device=device)
    out = torch.empty(height, width, dtype=torch.float32, device=device)  # logits, then p
    for start in range(0, h, rows_per_strip):
        rows = torch.nonzero((upper >= start) & (upper < start + rows_per_strip)).flatten()
        if len(rows) == 0:
            continue
        stop = int(lower[rows].max()) + 1
        feat = net.feature_rows(parts, start, stop)
        coord = torch.stack(torch.meshgrid(ys[rows], xs, indexing="ij"), dim=-1).reshape(-1, 2)
        logits = torch.empty(len(coord), dtype=torch.float32, device=device)
        for first in range(0, len(coord), chunk):
            part = coord[first:first + chunk][None]
            logits[first:first + part.shape[1]] = net.query(
                feat, part, cell.expand_as(part), row_offset=start, full_height=h)[0, :, 0]
        out[rows] = logits.view(len(rows), width)
        del feat
    return torch.sigmoid_(out).view(1, 1, height, width)


def multiscale_probs(net: ContinuousRefinerNet, img: torch.Tensor, seg: torch.Tensor,
                     cfg: ContinuousTestCfg = ContinuousTestCfg(),
                     on_scale: ScaleCallback | None = None) -> list[torch.Tensor]:
    """The padded full-resolution probability after each scale.

    img: (1, 3, H, W) normalised image; seg: (1, 1, H, W) mask in [-1, 1] (0 -> -1,
    255 -> +1). Returns a list of (1, 1, H + 2 pad, W + 2 pad) float32 in [0, 1].
    ``on_scale(i, prob)`` is called after scale i with its padded probability.
    """
    img_p, seg_p = pad_reflect(img.float(), cfg.pad), pad_reflect(seg.float(), cfg.pad)
    height, width = img_p.shape[-2:]
    probs = []
    for index, scale in enumerate(cfg.scales):
        size = scaled_size(height, width, scale)
        if size == (height, width):  # the resize would be an exact copy
            im_s, seg_s = img_p, seg_p
        else:
            im_s = F.interpolate(img_p, size, mode="bilinear", align_corners=True)
            seg_s = F.interpolate(seg_p, size, mode="bilinear", align_corners=True)
        x = torch.cat([im_s, seg_s], dim=1)
        del im_s, seg_s
        feat_size = ((size[0] + 1) // 2, (size[1] + 1) // 2)  # stride 2, ceil
        if (cfg.max_feature_mb is not None and 4 * net.feature_channels * feat_size[0]
                * feat_size[1] / 2**20 > cfg.max_feature_mb):
            parts = net.feature_parts(x)
            del x
            prob = query_image_in_strips(net, parts, feat_size, height, width,
                                         cfg.query_chunk, cfg.max_feature_mb)
            del parts
        else:
            feat = net.features(x)
            del x
            prob = query_image(net, feat, height, width, cfg.query_chunk)
            del feat
        if float((seg_p + 1).sum()) < 2:  # an empty mask stays empty
            prob.zero_()
        probs.append(prob)
        if on_scale is not None:
            on_scale(index, prob)
        seg_p = (prob - 0.5) * 2
    return probs


def mask_png(prob: torch.Tensor) -> torch.Tensor:
    """uint8(255 p): the released 8-bit output (float32 product, truncated)."""
    return (prob.float() * 255).to(torch.uint8)


def final_mask(prob: torch.Tensor, coarse_u8: torch.Tensor) -> torch.Tensor:
    """(H, W) probability and (H, W) uint8 0/255 input mask -> (H, W) uint8 {0, 1}:
    ``uint8(255 p) > 128``, or the input mask (> 128) when its values sum to less than
    32 * 32 (the released evaluation's rule for a nearly empty input)."""
    if int(coarse_u8.long().sum()) < MIN_INPUT_MASK_SUM:
        return (coarse_u8 > MASK_PNG_THRESHOLD).to(torch.uint8)
    return (mask_png(prob) > MASK_PNG_THRESHOLD).to(torch.uint8)


def refine_continuous(net: ContinuousRefinerNet, img: torch.Tensor, coarse_mask: torch.Tensor,
                      cfg: ContinuousTestCfg = ContinuousTestCfg(),
                      on_scale: ScaleCallback | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Refine one whole-image mask.

    img: (1, 3, H, W) normalised; coarse_mask: (H, W) bool / {0, 1}.
    Returns the (H, W) uint8 {0, 1} mask and the (H, W) float32 probability.
    """
    coarse_u8 = coarse_mask.to(torch.uint8) * 255
    seg = (coarse_u8.float() / 255 - 0.5) / 0.5
    probs = multiscale_probs(net, img, seg[None, None], cfg, on_scale)
    pad = cfg.pad
    prob = probs[-1][0, 0]
    if pad:
        prob = prob[pad:-pad, pad:-pad]
    return final_mask(prob, coarse_u8), prob

