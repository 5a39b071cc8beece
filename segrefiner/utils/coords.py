"""Normalised pixel-centre coordinates: n cells spanning [-1, 1], centre of cell i at
``-1 + (2i + 1) / n`` (the convention of ``grid_sample(align_corners=False)``)."""
from __future__ import annotations

import torch

SHIFT_EPS = 1e-6  # added to shifted coordinates; breaks exact ties between two cells


def centre_coords(n: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(n,) float32 pixel centres ``-1 + (2i + 1) / n`` of n cells spanning [-1, 1],
    evaluated as ``float32(2/n) * i + float32(-1 + 1/n)`` (the constants in double)."""
    return torch.arange(n, dtype=torch.float32, device=device) * (2.0 / n) + (-1.0 + 1.0 / n)


def pixel_grid(height: int, width: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(height * width, 2) float32 (y, x) pixel centres, row-major (y major)."""
    ys, xs = centre_coords(height, device), centre_coords(width, device)
    grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij"), dim=-1)
    return grid.reshape(-1, 2)


def nearest_index(coord: torch.Tensor, size: int) -> torch.Tensor:
    """Index of the cell nearest to normalised coordinates in (-1, 1) among ``size``
    cells, as ``grid_sample(mode='nearest', align_corners=False)`` picks it:
    ``nearbyint(((c + 1) * size - 1) / 2)`` (round half to even), clamped to the map."""
    return torch.round(((coord + 1) * size - 1) / 2).long().clamp_(0, size - 1)


def shifted_index(coord: torch.Tensor, direction: int, size: int) -> torch.Tensor:
    """Index of the cell a query at ``coord`` reads when shifted by one cell of ``size``
    cells in ``direction`` (-1 or +1): the nearest cell to the shifted, clamped
    coordinate."""
    shifted = (coord + (direction * (1.0 / size) + SHIFT_EPS)).clamp_(-1 + 1e-6, 1 - 1e-6)
    return nearest_index(shifted, size)
