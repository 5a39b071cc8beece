"""Write what a config's training pipeline feeds the model, as pictures.

    python tools/analysis_tools/browse_dataset.py CONFIG --output-dir D [--num N]

One PNG per sample: image | coarse mask | target (GT) mask, side by side.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from mmengine.config import DictAction
from mmengine.registry import init_default_scope

from segrefiner.engine.launch import load_config
from segrefiner.registry import DATASETS
from segrefiner.utils.errors import run_cli
from segrefiner.utils.io import write_bytes_atomic


def sample_picture(inputs, sample) -> np.ndarray:
    """(3, H, W) uint8 RGB + masks -> (H, 3W, 3) BGR picture."""
    img = cv2.cvtColor(inputs.permute(1, 2, 0).numpy(), cv2.COLOR_RGB2BGR)
    panels = [img]
    for key in ("coarse_mask", "gt_mask"):
        mask = getattr(sample, key, None)
        panel = np.zeros_like(img) if mask is None else np.repeat(
            mask[0].numpy()[:, :, None] * 255, 3, axis=2).astype(np.uint8)
        panels.append(panel)
    return np.concatenate(panels, axis=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--num", type=int, default=8, help="samples to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get("default_scope", "segrefiner"))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    np.random.seed(args.seed)
    out = Path(args.output_dir)
    for i in range(min(args.num, len(dataset))):
        item = dataset[i]
        _, png = cv2.imencode(".png", sample_picture(item["inputs"], item["data_samples"]))
        write_bytes_atomic(out / f"sample_{i:04d}.png", png.tobytes())
    print(f"written: {min(args.num, len(dataset))} pictures to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
