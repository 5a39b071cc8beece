"""Samples per second of a config's training pipeline, in one worker process.

    python tools/analysis_tools/benchmark_data.py CONFIG [--num N]
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from mmengine.config import DictAction
from mmengine.registry import init_default_scope

from segrefiner.engine.launch import load_config
from segrefiner.registry import DATASETS
from segrefiner.utils.errors import run_cli


def measure(dataset, num: int, seed: int = 0) -> float:
    """Samples per second over ``num`` samples (after one warm-up sample)."""
    np.random.seed(seed)
    dataset[0]
    start = time.perf_counter()
    for i in range(num):
        dataset[i % len(dataset)]
    return num / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--num", type=int, default=100, help="samples to time")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction)
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get("default_scope", "segrefiner"))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    rate = measure(dataset, args.num)
    print(f"samples: {args.num}")
    print(f"samples_per_s_per_worker: {rate:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
