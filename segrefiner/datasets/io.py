"""Reading images and masks with clear errors.

Masks may be 8-bit, 16-bit, RGB(A) or palette PNGs: they are binarised at half their
dtype's range (8-bit >= 128, 16-bit >= 32768); a colour mask counts a pixel as
foreground when any channel is at or above that level; a palette PNG is read by index
(index > 0 is foreground). Bool and 0/1 arrays are taken as they are.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from segrefiner.utils.errors import UserError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def read_image(path: str | Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB; UserError naming the file when it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such image file")
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise UserError(f"{path}: not a readable image (corrupt or not an image)")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def binarize_mask(mask: np.ndarray, source: str = "mask") -> np.ndarray:
    """Any mask array -> (H, W) bool (see the module docstring for the rules)."""
    mask = np.asarray(mask)
    if mask.ndim == 3:
        if mask.shape[2] == 4:
            mask = mask[:, :, :3]
        mask = mask.max(axis=2)
    if mask.ndim != 2:
        raise UserError(f"{source}: a mask must be 2-D, got shape {mask.shape}")
    if mask.dtype == bool:
        return mask
    if mask.dtype.kind == "f":
        if not np.isfinite(mask).all():
            raise UserError(f"{source}: mask holds NaN or infinite values")
        return mask >= 0.5 if mask.max(initial=0) <= 1 else mask >= 128
    if mask.dtype == np.uint16:
        return mask >= 32768
    if mask.dtype.kind in "iu":
        return mask >= 128 if mask.max(initial=0) > 1 else mask >= 1
    raise UserError(f"{source}: unsupported mask dtype {mask.dtype}")


def read_mask(path: str | Path) -> np.ndarray:
    """A mask file -> (H, W) bool; UserError naming the file when it is not a mask."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such mask file")
    if path.suffix.lower() == ".png":
        from PIL import Image

        try:
            with Image.open(path) as im:
                if im.mode == "P":
                    return np.asarray(im) > 0
        except OSError:
            raise UserError(f"{path}: not a readable image (corrupt or not an image)") from None
    mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise UserError(f"{path}: not a readable image (corrupt or not an image)")
    return binarize_mask(mask, str(path))


def mask_png_bytes(mask: np.ndarray) -> bytes:
    """(H, W) bool or {0, 1} mask -> the bytes of a 0/255 8-bit PNG (what read_mask reads
    back as the same mask)."""
    ok, buf = cv2.imencode(".png", np.asarray(mask).astype(bool).astype(np.uint8) * 255)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def segmentation_to_mask(segmentation, height: int, width: int) -> np.ndarray:
    """A COCO ``segmentation`` (polygons, uncompressed or compressed RLE) -> (H, W) uint8."""
    import pycocotools.mask as mask_utils

    if isinstance(segmentation, list):
        rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    elif isinstance(segmentation.get("counts"), list):
        rle = mask_utils.frPyObjects(segmentation, height, width)
    else:
        rle = segmentation
    return mask_utils.decode(rle).astype(np.uint8)
