"""Refine the bundled samples with the bundled checkpoint and show what changed.

    python tools/demo.py [--samples data/samples] [--out outputs/demo] [--device cpu]
                         [--exact]

For every sample in data/samples/ (images/, coarse/, masks/): refines the coarse mask,
writes NAME_refined.png, NAME_overlay.jpg (coarse | refined, labelled) and
NAME_steps.png (coarse, the diffusion steps, the result, labelled) to outputs/demo/, and prints
IoU and mBA against the accurate mask before and after refinement.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from segrefiner.apis import Refiner
from segrefiner.datasets.io import mask_png_bytes, read_image, read_mask
from segrefiner.evaluation.functional import boundary_accuracy, mask_iou
from segrefiner.utils.errors import UserError, run_cli
from segrefiner.utils.io import write_bytes_atomic
from segrefiner.visualization.pictures import save_refinement_pictures

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", default=str(REPO / "data/samples"))
    parser.add_argument("--out", default=str(REPO / "outputs/demo"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--config", help="model config (default: the bundled model's)")
    parser.add_argument("--checkpoint", help="weights (default: the bundled checkpoint)")
    parser.add_argument("--exact", action="store_const", const=False, dest="fast",
                        help="the exact mode (default: the config's; the bundled model's is "
                             "the fast mode on CPU)")
    args = parser.parse_args(argv)
    samples, out = Path(args.samples), Path(args.out)
    names = sorted(p.stem for p in (samples / "images").glob("*.jpg"))
    if not names:
        raise UserError(f"{samples}/images: no samples")
    refiner = Refiner(args.config, args.checkpoint, args.device, fast=args.fast)
    precision = str(refiner.autocast_dtype or torch.float32).removeprefix("torch.")
    print(f"model: {refiner.config_path.name} + {refiner.checkpoint_path.name} "
          f"on {refiner.device}, {'fast' if refiner.fast else 'exact'} mode ({precision})")
    print(f"{'sample':<18} {'size':>10} {'IoU before':>10} {'after':>7} "
          f"{'mBA before':>10} {'after':>7} {'time':>6}")
    rows = []
    for name in names:
        image = read_image(samples / "images" / f"{name}.jpg")
        coarse = read_mask(samples / "coarse" / f"{name}.png")
        gt = read_mask(samples / "masks" / f"{name}.png")
        steps: list[tuple[str, np.ndarray]] = []
        start = time.perf_counter()
        refined = refiner.refine(image, coarse, on_step=lambda t, m, acc=steps: acc.append(
            (refiner.step_label(t), m)))
        seconds = time.perf_counter() - start
        write_bytes_atomic(out / f"{name}_refined.png", mask_png_bytes(refined))
        save_refinement_pictures(image, coarse, refined, steps,
                                 overlay_path=out / f"{name}_overlay.jpg",
                                 steps_path=out / f"{name}_steps.png")
        size = (image.shape[1], image.shape[0])
        row = (mask_iou(gt, coarse), mask_iou(gt, refined.astype(bool)),
               boundary_accuracy(gt, coarse), boundary_accuracy(gt, refined.astype(bool)))
        rows.append(row)
        print(f"{name:<18} {size[0]:>5}x{size[1]:<4} {row[0]:>10.3f} {row[1]:>7.3f} "
              f"{row[2]:>10.3f} {row[3]:>7.3f} {seconds:>5.1f}s")
    mean = np.mean(rows, axis=0)
    print(f"{'mean':<18} {'':>10} {mean[0]:>10.3f} {mean[1]:>7.3f} {mean[2]:>10.3f} "
          f"{mean[3]:>7.3f}")
    print(f"pictures: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
