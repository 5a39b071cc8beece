"""Paths and drawn inputs shared by the tests."""
from pathlib import Path

import numpy as np

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
REPO = TESTS.parent
# --cfg-options that shrink a config's DenoiseUNet for the tests' short training and
# refinement runs: attention only at stride 8, where a 256 px crop has 32 x 32 positions.
SMALL_DENOISER = ["model.denoise_model.model_channels=32", "model.denoise_model.num_res_blocks=1",
                  "model.denoise_model.channel_mult=(1,2,2,2)",
                  "model.denoise_model.attention_strides=(8,)", "model.denoise_model.num_heads=2"]


def metric_lines(stdout: str) -> dict[str, float]:
    """The ``name: value`` lines of a tool's output whose value is a number."""
    out = {}
    for line in stdout.splitlines():
        name, sep, value = line.partition(": ")
        if not sep or " " in name:
            continue
        try:
            out[name] = float(value)
        except ValueError:
            continue
    return out


def disc_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A drawn (160, 240, 3) uint8 RGB scene whose answer is known: a red disc (centre
    (80, 80), radius 40) and, far from it, a red 40 x 40 square (rows 60-99, columns
    180-219) on a blue background, all with uniform noise of +-20; and the (160, 240)
    bool masks of the disc and of the square."""
    rng = np.random.default_rng(0)
    image = np.zeros((160, 240, 3), np.uint8)
    image[..., 2] = 180
    yy, xx = np.mgrid[:160, :240]
    disc = (yy - 80) ** 2 + (xx - 80) ** 2 <= 40 ** 2
    square = np.zeros_like(disc)
    square[60:100, 180:220] = True
    image[disc | square] = (200, 30, 30)
    noisy = image.astype(int) + rng.integers(-20, 21, image.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8), disc, square
