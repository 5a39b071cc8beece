"""The continuous (LIIF-style) decoder of CRM: features queried at any coordinate.

Coordinates are (row, column) = (y, x) pairs normalised to [-1, 1] with the pixel-centre
convention. A query takes the four feature cells around it (nearest cell after shifting
by one cell in y and x), feeds each cell's feature with the relative offset, the
coordinate and the cell size to an MLP and blends the four predictions with the area of
the opposite rectangle (bilinear-like weights).
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from segrefiner.utils.coords import centre_coords, shifted_index

AREA_EPS = 1e-9


def query_logits(feat: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor,
                 mlp: Callable[[torch.Tensor], torch.Tensor],
                 row_offset: int = 0, full_height: int | None = None) -> torch.Tensor:
    """Logits of the implicit function at ``coord``.

    Args:
        feat: (B, C, h, w) features; or rows ``row_offset .. row_offset + h`` of a map
            ``full_height`` rows tall (every query must then fall on those rows).
        coord: (B, Q, 2) float32 (y, x) in [-1, 1].
        cell: (B, Q, 2) float32 (y, x) size of a query cell in normalised units.
        mlp: (N, C + 6) -> (N, 1).
        row_offset, full_height: where ``feat`` sits in the full map (default: it is
            the full map).

    Returns:
        (B, Q, 1) float32 logits.
    """
    batch, channels, h_part, w = feat.shape
    h = h_part if full_height is None else full_height
    num = coord.shape[1]
    rows_y, cols_x = centre_coords(h, feat.device), centre_coords(w, feat.device)
    flat = feat.reshape(batch, channels, h_part * w)
    rel_cell = cell.clone()
    rel_cell[:, :, 0] *= h
    rel_cell[:, :, 1] *= w
    preds, areas = [], []
    for vy in (-1, 1):
        for vx in (-1, 1):
            iy = shifted_index(coord[:, :, 0], vy, h)
            ix = shifted_index(coord[:, :, 1], vx, w)
            index = (iy - row_offset) * w + ix  # (B, Q)
            q_feat = torch.gather(flat, 2, index[:, None, :].expand(batch, channels, num))
            q_coord = torch.stack([rows_y[iy], cols_x[ix]], dim=-1)
            rel = coord - q_coord
            rel[:, :, 0] *= h
            rel[:, :, 1] *= w
            inputs = torch.cat([q_feat.transpose(1, 2), rel, coord, rel_cell], dim=-1)
            preds.append(mlp(inputs.reshape(batch * num, -1)).reshape(batch, num, -1))
            areas.append(torch.abs(rel[:, :, 0] * rel[:, :, 1]) + AREA_EPS)
    total = areas[0] + areas[1] + areas[2] + areas[3]
    out = 0
    for pred, area in zip(preds, reversed(areas), strict=True):  # opposite areas: 0<->3, 1<->2
        out = out + pred * (area / total).unsqueeze(-1)
    return out
