"""Overlays (coarse vs refined, side by side) and strips of the diffusion steps."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from segrefiner.utils.io import write_bytes_atomic

COARSE_COLOUR = (255, 64, 64)   # RGB
REFINED_COLOUR = (64, 255, 96)


def tint(image: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int],
         alpha: float = 0.45) -> np.ndarray:
    """(H, W, 3) RGB uint8 with ``mask`` tinted and its outline drawn."""
    out = image.astype(np.float32).copy()
    region = mask.astype(bool)
    out[region] = out[region] * (1 - alpha) + np.array(colour, np.float32) * alpha
    out = out.astype(np.uint8)
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    thickness = max(1, round(max(image.shape[:2]) / 400))
    cv2.drawContours(out, contours, -1, colour, thickness)
    return out


def overlay_pair(image: np.ndarray, coarse: np.ndarray, refined: np.ndarray) -> np.ndarray:
    """Side by side: the coarse mask (red) | the refined mask (green) on the image (RGB)."""
    return np.concatenate([tint(image, coarse, COARSE_COLOUR),
                           tint(image, refined, REFINED_COLOUR)], axis=1)


def step_strip(masks: Sequence[np.ndarray], height: int = 160) -> np.ndarray:
    """Masks (H, W) in [0, 1] -> one grey (height, k * width) strip, a thin gap between."""
    tiles = []
    for mask in masks:
        h, w = mask.shape
        width = max(1, round(w * height / h))
        tile = cv2.resize((np.clip(mask, 0, 1) * 255).astype(np.uint8), (width, height),
                          interpolation=cv2.INTER_NEAREST)
        tiles += [tile, np.full((height, 4), 128, np.uint8)]
    return np.concatenate(tiles[:-1], axis=1)


def save_step_strip(masks: Sequence[np.ndarray], path: str | Path, height: int = 160) -> None:
    """A PNG strip, or a GIF animation when ``path`` ends in .gif (one frame per step)."""
    path = Path(path)
    if path.suffix.lower() == ".gif":
        import io

        from PIL import Image

        frames = [Image.fromarray(step_strip([m], height)) for m in masks]
        buf = io.BytesIO()
        frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:],
                       duration=500, loop=0)
        write_bytes_atomic(path, buf.getvalue())
        return
    _, png = cv2.imencode(".png", step_strip(masks, height))
    write_bytes_atomic(path, png.tobytes())


def save_rgb(image: np.ndarray, path: str | Path) -> None:
    """Write an RGB picture atomically (format from the suffix)."""
    ok, data = cv2.imencode(Path(path).suffix or ".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError(f"{path}: cannot encode a picture with this suffix")
    write_bytes_atomic(path, data.tobytes())
