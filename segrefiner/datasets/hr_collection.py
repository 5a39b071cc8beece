"""Offline coarse masks for HR training (DIS5K-TR + ThinObject-5K) and their listing.

For every (image, GT) pair: ``<set>/coarse/NAME.png`` (the LR perturbation of the GT)
and ``<set>/coarse_expand/NAME.png`` (the same with its holes filled), both 0/255, and
one ``collection_hr.json`` listing image, GT and both coarse paths relative to the data
root. Files that already exist are kept (a re-run resumes); writes are atomic.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from segrefiner.datasets.coarse_masks import make_coarse_mask
from segrefiner.datasets.io import mask_png_bytes, read_mask
from segrefiner.utils.io import write_bytes_atomic


@dataclass(frozen=True)
class HRPair:
    """One training pair of an HR set, paths relative to the data root."""

    img: str
    gt: str
    coarse: str
    coarse_expand: str


def dis_pairs(data_root: Path, subset: str = "dis/DIS-TR") -> list[HRPair]:
    """DIS5K layout: ``<subset>/im/NAME.jpg``, ``<subset>/gt/NAME.png``."""
    gt_dir = data_root / subset / "gt"
    if not gt_dir.is_dir():
        return []
    return [HRPair(f"{subset}/im/{p.stem}.jpg", f"{subset}/gt/{p.name}",
                   f"{subset}/coarse/{p.name}", f"{subset}/coarse_expand/{p.name}")
            for p in sorted(gt_dir.glob("*.png"))]


def thin_object_pairs(data_root: Path, subset: str = "thin_object") -> list[HRPair]:
    """ThinObject-5K: ``list/train.txt`` names ``masks/NAME.png``; images ``images/NAME.jpg``."""
    listing = data_root / subset / "list" / "train.txt"
    if not listing.is_file():
        return []
    names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    return [HRPair(f"{subset}/images/{Path(n).stem}.jpg", f"{subset}/masks/{n}",
                   f"{subset}/coarse/{n}", f"{subset}/coarse_expand/{n}") for n in names]


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """(H, W) {0,1} -> the same with every hole (background enclosed by foreground) filled."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    filled = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled | mask.astype(np.uint8)


def make_pair_masks(args: tuple[Path, HRPair, int]) -> str:
    """Write the two coarse masks of one pair unless both exist; returns 'done' / 'kept'."""
    data_root, pair, seed = args
    coarse_path, expand_path = data_root / pair.coarse, data_root / pair.coarse_expand
    if coarse_path.is_file() and expand_path.is_file():
        return "kept"
    rng = np.random.default_rng([seed, zlib.crc32(pair.gt.encode())])
    gt = read_mask(data_root / pair.gt)
    coarse = make_coarse_mask(gt, rng)
    write_bytes_atomic(coarse_path, mask_png_bytes(coarse))
    write_bytes_atomic(expand_path, mask_png_bytes(fill_holes(coarse)))
    return "done"


def collection_entries(pairs: list[HRPair]) -> list[dict]:
    return [dict(img_path=p.img, gt_mask_path=p.gt,
                 coarse_mask_paths=[p.coarse, p.coarse_expand]) for p in pairs]
