"""The demo and the bundled checkpoint work out of the box."""
from __future__ import annotations

import subprocess
import sys

from helpers import REPO

from segrefiner.apis.refiner import DEFAULT_CHECKPOINT, DEFAULT_CONFIG, Refiner


def test_bundled_checkpoint_loads_strictly_and_is_small():
    assert DEFAULT_CHECKPOINT.stat().st_size <= 30 * 2**20
    refiner = Refiner()  # bundled config + checkpoint; load_weights is strict
    assert refiner.config_path == DEFAULT_CONFIG
    assert sum(p.numel() for p in refiner.model.denoise_model.parameters()) < 10_000_000


def test_demo_writes_pictures_and_prints_metrics(tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "tools/demo.py"), "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    names = sorted(p.stem for p in (REPO / "data/samples/images").glob("*.jpg"))
    for name in names:
        for suffix in ("_refined.png", "_overlay.jpg", "_steps.png"):
            assert (tmp_path / f"{name}{suffix}").stat().st_size > 0
    lines = result.stdout.splitlines()
    assert any(line.startswith("mean") for line in lines)
    assert sum(line.split()[0] in names for line in lines if line.strip()) == len(names)
