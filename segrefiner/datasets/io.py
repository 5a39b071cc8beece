"""Reading images and masks: the one reader of each, with one-line errors.

Images: any format Pillow reads, turned upright by their EXIF orientation, (H, W, 3)
uint8 RGB; a truncated or corrupt file is refused (never refined half grey).

Masks are binarised by one rule set (:func:`binarize_mask`, :func:`mask_from_pil`):

- bool arrays as they are; integer masks whose values are only 0 and 1 at >= 1;
- 8-bit at >= 128, 16-bit at >= 32768 (half the dtype's range); float at >= 0.5 when
  within [0, 1], else >= 128;
- colour (RGB): a pixel is foreground when any channel is at or above that level;
- with an alpha channel (RGBA, LA) that is not uniform, the alpha channel is the mask
  (a transparent cutout, as background removers and editors write it); a one-line
  :class:`MaskWarning` says so when the colour channels would give another binary mask;
- palette PNGs by index: index > 0 is foreground.

The same function reads masks for ``segrefiner refine``, the datasets and the evaluation
scripts, so every tool sees the same mask in a file.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from segrefiner.utils.errors import UserError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
EXIF_ORIENTATION = 0x0112  # the EXIF tag of the orientation


class MaskWarning(UserWarning):
    """A mask file or array was read in a way its user may not expect (one line)."""


def open_picture(path: str | Path, what: str) -> Image.Image:
    """The fully decoded, upright (EXIF orientation applied) Pillow image of ``path``;
    UserError naming the file when it is missing, not an image, truncated or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such {what} file")
    return decode_picture(path, str(path), what)


def decode_picture(source: str | Path | BinaryIO, name: str, what: str) -> Image.Image:
    """:func:`open_picture` of a path or a binary file object (e.g. uploaded bytes), named
    ``name`` in errors."""
    try:
        with Image.open(source) as im:
            im.load()
            upright = im
            if im.getexif().get(EXIF_ORIENTATION, 1) != 1:
                upright = ImageOps.exif_transpose(im)
    except UnidentifiedImageError:
        raise UserError(f"{name}: not an image file") from None
    except Image.DecompressionBombError as err:
        raise UserError(f"{name}: {err}") from None
    except (OSError, SyntaxError, ValueError) as err:
        reason = "truncated" if "truncated" in str(err).lower() else "corrupt"
        raise UserError(f"{name}: the {what} file is {reason} ({err})") from None
    if upright.width == 0 or upright.height == 0:
        raise UserError(f"{name}: the {what} is empty")
    return upright


def image_from_pil(im: Image.Image) -> np.ndarray:
    """A Pillow image -> (H, W, 3) uint8 RGB (16-bit and float grey scaled to 8 bits)."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        grey = np.asarray(im).astype(np.float64)
        top = 65535.0 if grey.max(initial=0) > 255 else 255.0
        grey = np.clip(grey / top * 255 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if im.mode == "F":
        grey = np.nan_to_num(np.asarray(im, np.float64))
        top = 1.0 if grey.max(initial=0) <= 1 else 255.0
        grey = np.clip(grey / top * 255 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    return np.asarray(im.convert("RGB"))


def read_image(path: str | Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB, upright; UserError naming the file when it cannot be read."""
    return np.require(image_from_pil(open_picture(path, "image")), requirements=("C", "W"))


def _threshold(values: np.ndarray, source: str) -> np.ndarray:
    """One channel (H, W) of any dtype -> bool at half its range (module rules)."""
    if values.dtype == bool:
        return values
    if values.dtype.kind == "f":
        if not np.isfinite(values).all():
            raise UserError(f"{source}: mask holds NaN or infinite values")
        return values >= 0.5 if values.max(initial=0) <= 1 else values >= 128
    if values.dtype == np.uint16:
        return values >= 32768
    if values.dtype.kind in "iu":
        top = values.max(initial=0)
        if top > 255:
            return values >= 32768
        return values >= 128 if top > 1 else values >= 1
    raise UserError(f"{source}: unsupported mask dtype {values.dtype}")


def _colour_mask(colour: np.ndarray, source: str) -> np.ndarray:
    """(H, W, C) colour channels -> bool: any channel at or above half range."""
    return _threshold(colour.max(axis=2), source)


def binarize_mask(mask: np.ndarray, source: str = "mask") -> np.ndarray:
    """Any mask array -> (H, W) bool (module rules). (H, W, 2) is grey + alpha, (H, W, 4)
    RGBA; the alpha channel is used where it is not uniform."""
    mask = np.asarray(mask)
    if mask.ndim == 3 and mask.shape[2] in (2, 4):
        alpha = mask[:, :, -1]
        colour = mask[:, :, :-1]
        if alpha.size and alpha.min() != alpha.max():
            alpha_mask = _threshold(alpha, source)
            colour_binary = np.unique(colour).size <= 2 and colour.min() != colour.max()
            if colour_binary and not np.array_equal(_colour_mask(colour, source), alpha_mask):
                warnings.warn(f"{source}: the alpha channel and the colour channels hold "
                              "different masks; using the alpha channel", MaskWarning,
                              stacklevel=2)
            return alpha_mask
        return _colour_mask(colour, source)
    if mask.ndim == 3 and mask.shape[2] in (1, 3):
        return _colour_mask(mask, source)
    if mask.ndim != 2:
        raise UserError(f"{source}: a mask must be 2-D (or colour), got shape {mask.shape}")
    return _threshold(mask, source)


def mask_from_pil(im: Image.Image, source: str = "mask") -> np.ndarray:
    """A Pillow image -> (H, W) bool (module rules; palette images by index > 0)."""
    if im.mode == "P":
        if "transparency" in im.info:
            return binarize_mask(np.asarray(im.convert("RGBA")), source)
        return np.asarray(im) > 0
    if im.mode == "PA":
        return binarize_mask(np.asarray(im.convert("RGBA")), source)
    if im.mode == "1":
        return np.asarray(im, dtype=bool)
    if im.mode in ("I;16", "I;16B", "I;16L"):
        return binarize_mask(np.asarray(im).astype(np.uint16), source)
    if im.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        im = im.convert("RGB")
    return binarize_mask(np.asarray(im), source)


def read_mask(path: str | Path) -> np.ndarray:
    """A mask file -> (H, W) bool (module rules); UserError naming the file when it is
    not a readable, complete image."""
    return np.require(mask_from_pil(open_picture(path, "mask"), str(path)),
                      requirements=("C", "W"))


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
