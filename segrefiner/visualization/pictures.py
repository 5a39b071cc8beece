"""Pictures of a refinement: the overlay (coarse | refined, side by side, with a legend)
and the strip / animation of the diffusion steps (each frame labelled)."""
from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from segrefiner.utils.io import write_bytes_atomic

# RGB colours an outline may take; the one farthest from the object's own colours is used.
PALETTE = ((255, 40, 40), (40, 220, 60), (40, 120, 255), (255, 220, 0), (255, 0, 255),
           (0, 230, 255))
LABEL_HEIGHT = 28

Frame = tuple[str, np.ndarray]  # (label, (H, W) mask in [0, 1])


def contrasting_colour(image: np.ndarray, mask: np.ndarray) -> tuple[int, int, int]:
    """The PALETTE colour farthest (RGB distance) from the mean colour of the (H, W, 3)
    image under the (H, W) mask (the whole image when the mask is empty)."""
    region = image[mask.astype(bool)] if mask.any() else image.reshape(-1, 3)
    mean = region.reshape(-1, 3).mean(axis=0)
    return max(PALETTE, key=lambda c: float(np.sum((np.array(c) - mean) ** 2)))


def tint(image: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int],
         alpha: float = 0.4) -> np.ndarray:
    """(H, W, 3) RGB uint8 with ``mask`` tinted and its outline drawn (a dark halo under
    the colour, so it reads on any background)."""
    out = image.astype(np.float32).copy()
    region = mask.astype(bool)
    out[region] = out[region] * (1 - alpha) + np.array(colour, np.float32) * alpha
    out = out.astype(np.uint8)
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    thickness = max(1, round(max(image.shape[:2]) / 400))
    cv2.drawContours(out, contours, -1, (0, 0, 0), thickness + 2)
    cv2.drawContours(out, contours, -1, colour, thickness)
    return out


def with_label(picture: np.ndarray, text: str) -> np.ndarray:
    """The picture (H, W[, 3]) uint8 with a dark band on top holding ``text`` in white."""
    colour = picture.ndim == 3
    band = np.zeros((LABEL_HEIGHT, picture.shape[1], 3) if colour
                    else (LABEL_HEIGHT, picture.shape[1]), np.uint8)
    cv2.putText(band, text, (6, LABEL_HEIGHT - 9), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (255, 255, 255) if colour else 255, 1, cv2.LINE_AA)
    return np.concatenate([band, picture], axis=0)


def overlay_pair(image: np.ndarray, coarse: np.ndarray, refined: np.ndarray) -> np.ndarray:
    """Side by side, labelled: the coarse mask | the refined mask on the (H, W, 3) RGB image,
    each in the palette colour that contrasts most with the object."""
    colour = contrasting_colour(image, refined)
    return np.concatenate([with_label(tint(image, coarse, colour), "coarse"),
                           np.full((image.shape[0] + LABEL_HEIGHT, 4, 3), 255, np.uint8),
                           with_label(tint(image, refined, colour), "refined")], axis=1)


def step_tile(frame: Frame, height: int) -> np.ndarray:
    """One labelled grey tile of ``height`` (+ the label band) for a (label, mask) frame."""
    label, mask = frame
    h, w = mask.shape
    width = max(120, round(w * height / h))
    tile = cv2.resize((np.clip(mask, 0, 1) * 255).astype(np.uint8), (width, height),
                      interpolation=cv2.INTER_NEAREST)
    return with_label(tile, label)


def step_strip(frames: Sequence[Frame], height: int = 160) -> np.ndarray:
    """(label, mask) frames -> one grey strip of labelled tiles, a thin gap between."""
    tiles = []
    for frame in frames:
        tile = step_tile(frame, height)
        tiles += [tile, np.full((tile.shape[0], 4), 128, np.uint8)]
    return np.concatenate(tiles[:-1], axis=1)


def step_frames(coarse: np.ndarray, steps: Sequence[tuple[str, np.ndarray]],
                refined: np.ndarray) -> list[Frame]:
    """The frames of a refinement: the coarse mask, each step's mask (any size, resized to
    the image's) with its label (``Refiner.step_label``), and the result."""
    size = (coarse.shape[1], coarse.shape[0])
    frames: list[Frame] = [("coarse", coarse.astype(np.float32))]
    frames += [(label, cv2.resize(np.asarray(m, np.float32), size,
                                  interpolation=cv2.INTER_NEAREST)) for label, m in steps]
    frames.append(("refined", refined.astype(np.float32)))
    return frames


def step_strip_bytes(frames: Sequence[Frame], suffix: str = ".png", height: int = 160) -> bytes:
    """The encoded step strip: a PNG strip, or a GIF animation (one frame per step) for
    ``suffix`` '.gif'."""
    if suffix.lower() == ".gif":
        from PIL import Image

        tiles = [Image.fromarray(step_tile(frame, height)) for frame in frames]
        buf = io.BytesIO()
        tiles[0].save(buf, format="GIF", save_all=True, append_images=tiles[1:],
                      duration=600, loop=0)
        return buf.getvalue()
    _, png = cv2.imencode(".png", step_strip(frames, height))
    return png.tobytes()


def save_step_strip(frames: Sequence[Frame], path: str | Path, height: int = 160) -> None:
    """A PNG strip, or a GIF animation when ``path`` ends in .gif (one frame per step)."""
    write_bytes_atomic(path, step_strip_bytes(frames, Path(path).suffix, height))


def rgb_bytes(image: np.ndarray, suffix: str = ".png") -> bytes:
    """An (H, W, 3) RGB picture encoded in the format of ``suffix``."""
    ok, data = cv2.imencode(suffix, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError(f"cannot encode a picture as {suffix}")
    return data.tobytes()


def save_rgb(image: np.ndarray, path: str | Path) -> None:
    """Write an RGB picture atomically (format from the suffix)."""
    write_bytes_atomic(path, rgb_bytes(image, Path(path).suffix or ".png"))


def save_refinement_pictures(image: np.ndarray, coarse: np.ndarray, refined: np.ndarray,
                             steps: Sequence[tuple[str, np.ndarray]] = (),
                             overlay_path: str | Path | None = None,
                             steps_path: str | Path | None = None) -> None:
    """Write the overlay and / or the step strip (PNG) or animation (GIF) of one
    refinement. image: (H, W, 3) RGB uint8; coarse, refined: (H, W) masks; steps:
    ``(t, mask)`` of the global pass as ``Refiner.refine(on_step=...)`` gives them."""
    if overlay_path:
        save_rgb(overlay_pair(image, coarse, refined), overlay_path)
    if steps_path:
        save_step_strip(step_frames(coarse, steps, refined), steps_path)
