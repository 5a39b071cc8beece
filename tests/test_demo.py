"""The demo and the bundled checkpoint work out of the box."""
from __future__ import annotations

import shutil
import subprocess
import sys

from helpers import REPO

from segrefiner.apis.refiner import DEFAULT_CHECKPOINT, DEFAULT_CONFIG, Refiner

SAMPLES = REPO / "data/samples"
# The two low-resolution samples (the high-resolution path has tests of its own): the
# whole demo on them, in a fifth of the time of all three.
NAMES = ["berkeley_101087", "grabcut_153077"]


def test_bundled_checkpoint_loads_strictly_and_is_small():
    assert DEFAULT_CHECKPOINT.stat().st_size <= 30 * 2**20
    refiner = Refiner()  # bundled config + checkpoint; load_weights is strict
    assert refiner.config_path == DEFAULT_CONFIG
    assert sum(p.numel() for p in refiner.model.denoise_model.parameters()) < 10_000_000


def test_demo_writes_pictures_and_improves_both_metrics_of_every_sample(tmp_path):
    samples, out = tmp_path / "samples", tmp_path / "out"
    for folder, suffix in (("images", ".jpg"), ("coarse", ".png"), ("masks", ".png")):
        (samples / folder).mkdir(parents=True)
        for name in NAMES:
            shutil.copy(SAMPLES / folder / f"{name}{suffix}", samples / folder)
    result = subprocess.run([sys.executable, str(REPO / "tools/demo.py"), "--samples",
                             str(samples), "--out", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    for name in NAMES:
        for suffix in ("_refined.png", "_overlay.jpg", "_steps.png"):
            assert (out / f"{name}{suffix}").stat().st_size > 0
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    assert set(NAMES) | {"mean"} <= set(rows)
    for name in NAMES:
        iou_before, iou_after, mba_before, mba_after = map(float, rows[name][2:6])
        assert iou_after > iou_before and mba_after > mba_before, rows[name]
