"""tools/gpu_check.sh where no CUDA device is present: one line, exit status 2, no checks."""
from __future__ import annotations

import os
import subprocess
import sys

import torch
from helpers import REPO


def test_gpu_check_without_a_cuda_device_stops_in_one_line(tmp_path):
    out = tmp_path / "gpu_check"
    env = {**os.environ, "PYTHON": sys.executable, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(["bash", str(REPO / "tools/gpu_check.sh"), str(out)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"gpu_check: no CUDA device (torch {torch.__version__})"]
    assert done.stdout == ""
    assert out.is_dir() and list(out.iterdir()) == []  # no test or benchmark ran
