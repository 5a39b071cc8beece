"""Shared setup of tools/train.py and tools/test.py: config overrides and distribution.

mmengine's launcher calls ``torch.cuda.set_device`` unconditionally and its DDP wrapper
defaults to ``device_ids=[LOCAL_RANK]``; both fail without a GPU. On a CPU-only machine
the process group is initialised here with gloo, before the Runner exists (the Runner
then skips its own initialisation), and the wrapper gets ``device_ids=None``.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.distributed as dist
from mmengine.config import Config

from segrefiner.utils.config import read_config


def setup_distributed(cfg: Config, launcher: str) -> None:
    """Record the launcher in ``cfg``; on CPU, start a gloo process group for it."""
    cfg.launcher = launcher
    if launcher == "none":
        return
    if torch.cuda.is_available():
        cfg.setdefault("env_cfg", {}).setdefault("dist_cfg", {})["backend"] = "nccl"
        return
    cfg.setdefault("env_cfg", {}).setdefault("dist_cfg", {})["backend"] = "gloo"
    cfg.model_wrapper_cfg = dict(type="MMDistributedDataParallel", device_ids=None)
    if dist.is_initialized():
        return
    if launcher == "slurm":
        os.environ.setdefault("RANK", os.environ["SLURM_PROCID"])
        os.environ.setdefault("LOCAL_RANK", os.environ.get("SLURM_LOCALID", "0"))
        os.environ.setdefault("WORLD_SIZE", os.environ["SLURM_NTASKS"])
        os.environ.setdefault("MASTER_PORT", "29500")
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    dist.init_process_group(backend="gloo", rank=int(os.environ["RANK"]),
                            world_size=int(os.environ["WORLD_SIZE"]))


def fit_workers(loader: dict) -> None:
    """Drop the options that torch's DataLoader refuses without worker processes
    (``persistent_workers``, ``prefetch_factor``), so ``num_workers=0`` works as an override."""
    if loader.get("num_workers", 0) == 0:
        loader.pop("persistent_workers", None)
        loader.pop("prefetch_factor", None)


def load_config(path: str, options: dict | None = None, work_dir: str | None = None) -> Config:
    """Read a config, merge ``--cfg-options``, make its dataloaders' options consistent
    (:func:`fit_workers`) and set ``work_dir`` (default ``work_dirs/<config name>``);
    UserError when the file is missing or broken."""
    cfg = read_config(path)
    if options:
        cfg.merge_from_dict(options)
    for loader in ("train_dataloader", "val_dataloader", "test_dataloader"):
        if cfg.get(loader):
            fit_workers(cfg[loader])
    cfg.work_dir = work_dir or cfg.get("work_dir") or str(Path("work_dirs") / Path(path).stem)
    return cfg
