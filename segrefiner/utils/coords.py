"""Normalised pixel-centre coordinates: n cells spanning [-1, 1], centre of cell i at
``-1 + (2i + 1) / n`` (the convention of ``grid_sample(align_corners=False)``)."""
from __future__ import annotations

import torch


def centre_coords(n: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(n,) float32 pixel centres ``-1 + (2i + 1) / n`` of n cells spanning [-1, 1],
    evaluated as ``float32(2/n) * i + float32(-1 + 1/n)`` (the constants in double)."""
    return torch.arange(n, dtype=torch.float32, device=device) * (2.0 / n) + (-1.0 + 1.0 / n)


def pixel_grid(height: int, width: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(height * width, 2) float32 (y, x) pixel centres, row-major (y major)."""
    ys, xs = centre_coords(height, device), centre_coords(width, device)
    grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij"), dim=-1)
    return grid.reshape(-1, 2)
