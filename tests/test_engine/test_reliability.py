"""Interrupted training resumes exactly; untrusted checkpoints never run code."""
from __future__ import annotations

import os
import pickle
import signal
import stat
import subprocess
import sys
import time

import pytest
import torch
from helpers import REPO

from segrefiner.utils import io as io_module
from segrefiner.utils.checkpoint import CheckpointError, read_checkpoint
from segrefiner.utils.io import write_bytes_atomic

TINY = "configs/segrefiner/segrefiner_tiny.py"
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def test_sigkill_mid_training_then_resume_restores_iteration_optimizer_scheduler(tmp_path):
    cmd = [sys.executable, "tools/train.py", TINY, "--work-dir", str(tmp_path),
           "--cfg-options", "train_cfg.max_iters=400", "default_hooks.checkpoint.interval=3",
           "default_hooks.checkpoint.max_keep_ckpts=10", "param_scheduler.0.end=1000"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and not (tmp_path / "iter_6.pth").exists():
        time.sleep(0.2)
    time.sleep(0.4)  # somewhere inside the following iterations
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (tmp_path / "iter_6.pth").exists(), "training did not reach iteration 6"
    last = (tmp_path / "last_checkpoint").read_text().strip()
    saved = read_checkpoint(last)  # complete, safe to load: written atomically
    saved_iter = saved["meta"]["iter"]
    assert saved_iter >= 6 and not list(tmp_path.glob(".*.tmp"))

    # Resume from the file named explicitly (the checkpoint was read in this process
    # first, as tools/train.py does: the allow-list must survive that read).
    resume = subprocess.run([*cmd[:5], "--resume", last, "--cfg-options",
                             f"train_cfg.max_iters={saved_iter + 1}", "param_scheduler.0.end=1000",
                             "default_hooks.checkpoint.interval=1"],
                            cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert resume.returncode == 0, resume.stderr[-2000:]
    log = resume.stdout + resume.stderr
    assert f"resumed epoch: 0, iter: {saved_iter}" in log
    assert f"the sampler skips {saved_iter} batches without loading them" in log
    after = read_checkpoint(tmp_path / f"iter_{saved_iter + 1}.pth")
    # The optimizer continued from the saved moments (AdamW step count went on by one).
    steps_before = saved["optimizer"]["state"][0]["step"]
    steps_after = after["optimizer"]["state"][0]["step"]
    assert float(steps_after) == float(steps_before) + 1
    # The warm-up schedule went on from where it stopped (one more step).
    before_sched, after_sched = saved["param_schedulers"][0], after["param_schedulers"][0]
    assert after_sched["last_step"] == before_sched["last_step"] + 1
    assert after_sched["_last_value"][0] > before_sched["_last_value"][0]


class Malicious:
    """Unpickling this runs a command (what a hostile checkpoint would do)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def write_malicious(path, marker) -> None:
    state = {"denoise_model.time_embed.weight": torch.zeros(1), "payload": Malicious(marker)}
    with open(path, "wb") as f:
        torch.save(state, f, pickle_module=pickle)


def test_malicious_pickle_is_refused_and_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    write_malicious(path, marker)
    with pytest.raises(CheckpointError, match=r"evil\.pth: refused.*--trust-checkpoint"):
        read_checkpoint(path)
    assert not marker.exists()


def test_malicious_checkpoint_through_the_command(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    write_malicious(path, marker)
    image = REPO / "data/samples/images/grabcut_153077.jpg"
    coarse = REPO / "data/samples/coarse/grabcut_153077.png"
    result = subprocess.run([sys.executable, "-m", "segrefiner.cli", "refine", str(image),
                             str(coarse), "-o", str(tmp_path / "o.png"), "--checkpoint",
                             str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "evil.pth: refused" in result.stderr and result.stderr.count("\n") == 1
    assert not marker.exists() and not (tmp_path / "o.png").exists()


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    good = tmp_path / "good.pth"
    torch.save({"a": torch.zeros(3)}, good)
    bad = tmp_path / "bad.pth"
    bad.write_bytes(good.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=r"bad\.pth: not a readable PyTorch checkpoint"):
        read_checkpoint(bad)


def test_atomic_writes_get_the_usual_permissions(tmp_path):
    """As open() would give (0o666 less the umask), not the temporary file's 0o600."""
    target = tmp_path / "out.png"
    write_bytes_atomic(target, b"data")
    assert target.read_bytes() == b"data"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~io_module._UMASK
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_importing_the_engine_patches_nothing_of_mmengine():
    code = ("from mmengine.fileio.backends import LocalBackend\n"
            "from mmengine.logging.history_buffer import HistoryBuffer\n"
            "before = LocalBackend.put, HistoryBuffer.__getstate__\n"
            "import segrefiner.engine, segrefiner.apis, segrefiner.evaluation.instance_eval\n"
            "import numpy as np\n"
            "assert (LocalBackend.put, HistoryBuffer.__getstate__) == before\n"
            "assert not hasattr(np, 'float')\n"
            "print('untouched')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == "untouched", result.stderr
