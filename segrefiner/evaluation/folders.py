"""Scoring folders of mask PNGs (BIG, DIS) against ground truth, on all cores.

Masks are read by :func:`segrefiner.datasets.io.read_mask`, as ``segrefiner refine``
reads them."""
from __future__ import annotations

import os
from multiprocessing import get_context
from pathlib import Path

from segrefiner.datasets.io import read_mask
from segrefiner.datasets.pairing import pair_by_name
from segrefiner.evaluation.functional.summary import iou_mba_record, sod_scores
from segrefiner.utils.errors import UserError

GT_SUFFIXES = ("_gt.png", ".png")
PRED_SUFFIXES = ("_refine.png", ".png")


def detect_suffix(folder: Path, candidates: tuple[str, ...]) -> str:
    """The first candidate suffix that names a file in ``folder``."""
    for suffix in candidates:
        if any(p.name.endswith(suffix) for p in folder.iterdir()):
            return suffix
    raise UserError(f"{folder}: no mask files ({' or '.join(candidates)})")


def find_pairs(gt_dir: str | Path, pred_dir: str | Path, gt_suffix: str | None = None,
               pred_suffix: str | None = None,
               allow_missing: bool = False) -> list[tuple[str, Path, Path]]:
    """(name, gt path, prediction path) for every GT mask, sorted by name.

    Suffixes default to ``_gt.png`` / ``_refine.png`` (BIG naming) when such files are
    present, else ``.png``. A GT without prediction is an error unless ``allow_missing``.
    """
    gt_dir, pred_dir = Path(gt_dir), Path(pred_dir)
    for folder in (gt_dir, pred_dir):
        if not folder.is_dir():
            raise UserError(f"{folder}: no such folder")
    gt_suffix = gt_suffix or detect_suffix(gt_dir, GT_SUFFIXES)
    pred_suffix = pred_suffix or detect_suffix(pred_dir, PRED_SUFFIXES)
    pairs, missing = pair_by_name(gt_dir, pred_dir, (gt_suffix,), (pred_suffix,))
    if missing and not allow_missing:
        raise UserError(f"{pred_dir / (missing[0] + pred_suffix)}: no prediction for this "
                        f"ground truth ({len(missing)} of {len(missing) + len(pairs)} missing)")
    if not pairs:
        raise UserError(f"{pred_dir}: no predictions match the masks in {gt_dir}")
    return pairs


def _score_pair(args: tuple[Path, Path, bool]) -> dict:
    gt_path, pred_path, with_sod = args
    gt, pred = read_mask(gt_path), read_mask(pred_path)
    if gt.shape != pred.shape:
        raise UserError(f"{pred_path}: size {pred.shape[::-1]} differs from its ground truth "
                        f"{gt_path} {gt.shape[::-1]}")
    record = iou_mba_record(gt, pred)
    if with_sod:
        record.update(sod_scores(gt, pred))
    return record


def score_pairs(pairs: list[tuple[str, Path, Path]], with_sod: bool = False,
                num_workers: int | None = None) -> list[dict]:
    """Per-pair records (see ``iou_mba_record`` / ``sod_scores``), in pair order."""
    jobs = [(gt, pred, with_sod) for _, gt, pred in pairs]
    workers = min(num_workers or os.cpu_count() or 1, len(jobs))
    if workers <= 1:
        return [_score_pair(job) for job in jobs]
    with get_context("fork").Pool(workers) as pool:
        return pool.map(_score_pair, jobs, chunksize=max(1, len(jobs) // (workers * 4)))
