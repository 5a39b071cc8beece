"""The tight bounding box of a mask: the one implementation (torch, batched)."""
from __future__ import annotations

import numpy as np
import torch


def tight_boxes(masks: torch.Tensor) -> torch.Tensor:
    """(N, H, W) bool masks, each with at least one pixel -> (N, 4) int64 ``x1, y1, x2, y2``
    with exclusive ends (x2 = last column + 1)."""
    h, w = masks.shape[-2:]
    cols, rows = masks.any(dim=1), masks.any(dim=2)  # (N, W), (N, H)
    col_idx = torch.arange(w, device=masks.device)
    row_idx = torch.arange(h, device=masks.device)
    x1 = torch.where(cols, col_idx, w).amin(dim=1)
    x2 = torch.where(cols, col_idx, -1).amax(dim=1) + 1
    y1 = torch.where(rows, row_idx, h).amin(dim=1)
    y2 = torch.where(rows, row_idx, -1).amax(dim=1) + 1
    return torch.stack([x1, y1, x2, y2], dim=1)


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(H, W) mask (bool or {0, 1}) -> its tight box ``(x1, y1, x2, y2)``, exclusive ends;
    None for an empty mask."""
    mask = torch.from_numpy(np.asarray(mask, dtype=bool))
    if not bool(mask.any()):
        return None
    x1, y1, x2, y2 = tight_boxes(mask[None])[0].tolist()
    return x1, y1, x2, y2
