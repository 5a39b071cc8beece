"""IoU and mBA of refiners on the real sets, before and after refinement.

    python tools/analysis_tools/eval_real_sets.py [--data-root data/real]
        [--sets grabcut berkeley dis_hr] [--methods coarse segrefiner crm grabcut guided]
        [--coarse auto|mask-head|box-grabcut] [--config C --checkpoint K]
        [--crm-config C --crm-checkpoint K]
        [--test-cfg K=V ...] [--diffusion K=V ...]
        [--seed S] [--sampling-seed S] [--passes N] [--runtime torch|openvino]
        [--limit N] [--json-out F]
        [--save-dir DIR]

grabcut / berkeley: coarse masks made from the accurate ones by the LR perturbation,
seeded per image (``--seed``, default 0), so every run and every method sees the same
inputs; ``--sampling-seed`` (default 0) seeds segrefiner's own sampling noise.
dis_hr: its real SAM coarse masks (``coarse_sam/``). ``--coarse mask-head``:
instead, every set's accurate masks at a 28 x 28 mask head's resolution (Mask R-CNN-style
outputs; the bundled model's training includes a related low-pass kind, blur and
threshold). ``--coarse box-grabcut``: every set's coarse masks segmented by cv2.grabCut from
the box around the accurate mask (a real, classical segmentation method's errors, which
no model here was trained on; seeded, deterministic). IoU is cumulative over the set,
mBA the mean over images (CascadePSP).
Prints ``<set>/<method>/<metric>: v``: IoU, mBA, ``harmed`` (the share of images whose IoU
fell by more than 0.01 below the coarse mask's) and ``seconds_per_image``.
``--test-cfg k=v`` overrides refinement settings of the model's test_cfg, ``--diffusion
k=v`` those of its mask process (``model.diffusion``: start_step, sampling_steps, eta...).
``crm`` is CRM (``--crm-config`` / ``--crm-checkpoint``, default the compact CRM of
``segrefiner/model_zoo``), on the same coarse masks and the same path (``--mode``).
``segrefiner`` is the exact mode (``Refiner(fast=False)``), ``segrefiner_fast`` the fast
mode (bf16 / fp16); with both segrefiner methods the
share of pixels on which they agree is printed too. ``--save-dir DIR`` also writes every
method's mask (the coarse one included) as ``DIR/<set>/<method>/<name>.png`` (0/255), to
look at or to score other post-processing without refining again.
"""
from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

import numpy as np
from mmengine.config import DictAction
from tqdm import tqdm

from segrefiner.analysis.baselines import grabcut_refine, guided_filter_refine
from segrefiner.analysis.box_segmentation import box_grabcut_mask
from segrefiner.analysis.mask_head import mask_head_mask
from segrefiner.datasets.coarse_masks import make_coarse_mask
from segrefiner.datasets.io import mask_png_bytes, read_image, read_mask
from segrefiner.diffusion import MaskProcess, build_process
from segrefiner.evaluation.functional import mask_iou
from segrefiner.evaluation.functional.summary import iou_mba_record, summarize_iou_mba
from segrefiner.evaluation.report import report
from segrefiner.model_zoo import CRM_CHECKPOINT, CRM_CONFIG
from segrefiner.modes import INSTANCE, SEMANTIC
from segrefiner.runtimes import RUNTIMES, TORCH
from segrefiner.utils.config import read_config
from segrefiner.utils.errors import UserError, run_cli
from segrefiner.utils.io import write_bytes_atomic

METHODS = ("coarse", "segrefiner", "segrefiner_fast", "crm", "grabcut", "guided")
HARM_MARGIN = 0.01  # an image is "harmed" when its IoU falls by more than this


COARSE_KINDS = ("auto", "mask-head", "box-grabcut")


def coarse_mask_of(root: Path, name: str, image: np.ndarray, gt: np.ndarray, seed: int,
                   kind: str = "auto") -> np.ndarray:
    """The coarse mask of one image: ``auto`` is the set's real one (``coarse_sam/``) where
    it has them, else the seeded LR perturbation; ``mask-head`` is the 28 x 28 mask-head
    resolution limit applied to the accurate mask; ``box-grabcut`` is cv2.grabCut from the
    accurate mask's box, OpenCV seeded with ``seed`` (both for every set)."""
    if kind == "mask-head":
        return mask_head_mask(gt).astype(bool)
    if kind == "box-grabcut":
        return box_grabcut_mask(image, gt, seed=seed).astype(bool)
    sam = root / "coarse_sam" / f"{name}.png"
    if sam.is_file():
        return read_mask(sam)
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    return make_coarse_mask(gt, rng).astype(bool)


def refine_with(method: str, refiner, image: np.ndarray, coarse: np.ndarray,
                mode: str = SEMANTIC) -> np.ndarray:
    """The (H, W) bool result of one method ('coarse' returns the input); the learned
    refiners (segrefiner, crm: ``refiner`` is that method's Refiner) on the semantic path
    or, with ``mode`` 'instance', the instance path."""
    def learned() -> np.ndarray:
        if mode == INSTANCE:
            return refiner.refine_instances(image, coarse[None])[0].astype(bool)
        return refiner.refine(image, coarse).astype(bool)

    if method in ("segrefiner", "crm"):
        return learned()
    if method == "segrefiner_fast":
        refiner.fast = True
        try:
            return learned()
        finally:
            refiner.fast = False
    if method == "grabcut":
        return grabcut_refine(image, coarse)
    if method == "guided":
        return guided_filter_refine(image, coarse)
    return coarse


def overridden_process(config: Path, overrides: dict) -> MaskProcess:
    """The mask process of ``config``'s model (``diffusion``, or the official
    ``diffusion_cfg`` of DiscreteDiffusion) with ``overrides`` applied."""
    model = read_config(config).model
    process = model.get("diffusion") or dict(type="DiscreteDiffusion",
                                              **(model.get("diffusion_cfg") or {}))
    try:
        return build_process({**process, **overrides})
    except (TypeError, ValueError) as err:
        raise UserError(f"--diffusion: {err}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default="data/real")
    parser.add_argument("--sets", nargs="+", default=["grabcut", "berkeley", "dis_hr"])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--config")
    parser.add_argument("--checkpoint")
    parser.add_argument("--crm-config", default=str(CRM_CONFIG),
                        help="crm: its config (default the compact CRM)")
    parser.add_argument("--crm-checkpoint", default=str(CRM_CHECKPOINT),
                        help="crm: its weights (default the compact CRM's)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the coarse masks (perturbation, box-grabcut)")
    parser.add_argument("--sampling-seed", type=int, default=0,
                        help="seed of segrefiner's sampling noise (Refiner(seed=...))")
    parser.add_argument("--runtime", choices=RUNTIMES, default=TORCH,
                        help="what runs segrefiner's denoiser (Refiner(runtime=...))")
    parser.add_argument("--passes", type=int, default=1,
                        help="segrefiner passes per image (Refiner(passes=...))")
    parser.add_argument("--coarse", choices=COARSE_KINDS, default="auto",
                        help="auto: real coarse masks where the set has them, else the "
                             "seeded perturbation; mask-head: 28x28 mask-head resolution; "
                             "box-grabcut: cv2.grabCut from the object's box")
    parser.add_argument("--test-cfg", nargs="+", action=DictAction, default={},
                        help="override the model's test_cfg, e.g. patch_size=128 "
                             "global_steps=[5,3,1] (refinement settings to compare)")
    parser.add_argument("--diffusion", nargs="+", action=DictAction, default={},
                        help="override the model's mask process (model.diffusion), e.g. "
                             "start_step=50 sampling_steps=10 eta=1.0")
    parser.add_argument("--mode", choices=[SEMANTIC, INSTANCE], default=SEMANTIC,
                        help="segrefiner's path: semantic (global + local, the default) or "
                             "instance (a crop around the mask)")
    parser.add_argument("--limit", type=int, help="first N images of each set")
    parser.add_argument("--json-out")
    parser.add_argument("--save-dir", type=Path,
                        help="also write each method's masks to DIR/<set>/<method>/<name>.png")
    args = parser.parse_args(argv)
    refiners: dict[str, object] = {}
    if {"segrefiner", "segrefiner_fast"} & set(args.methods):
        from segrefiner.apis import Refiner
        refiner = Refiner(args.config, args.checkpoint, args.device, fast=False,
                          seed=args.sampling_seed, passes=args.passes, runtime=args.runtime)
        refiner.model.override_test_cfg(args.test_cfg)
        if args.diffusion:
            refiner.model.diffusion = overridden_process(refiner.config_path, args.diffusion)
        refiners.update(segrefiner=refiner, segrefiner_fast=refiner)
    if "crm" in args.methods:
        from segrefiner.apis import Refiner
        refiners["crm"] = Refiner(args.crm_config, args.crm_checkpoint, args.device)
    metrics: dict[str, float] = {}
    for set_name in args.sets:
        root = Path(args.data_root) / set_name
        if not (root / "images").is_dir():
            raise UserError(f"{root}/images: no such folder")
        names = sorted(p.stem for p in (root / "images").glob("*.jpg"))[: args.limit]
        records: dict[str, list] = {m: [] for m in args.methods}
        seconds: dict[str, float] = {m: 0.0 for m in args.methods}
        harmed: dict[str, int] = {m: 0 for m in args.methods}
        same = total = 0
        for name in tqdm(names, desc=set_name):
            image = read_image(root / "images" / f"{name}.jpg")
            gt = read_mask(root / "masks" / f"{name}.png")
            coarse = coarse_mask_of(root, name, image, gt, args.seed, args.coarse)
            coarse_iou = mask_iou(gt, coarse)
            outputs = {}
            for method in args.methods:
                start = time.perf_counter()
                outputs[method] = refine_with(method, refiners.get(method), image, coarse,
                                              args.mode)
                seconds[method] += time.perf_counter() - start
                harmed[method] += mask_iou(gt, outputs[method]) < coarse_iou - HARM_MARGIN
            for method, refined in outputs.items():
                records[method].append(iou_mba_record(gt, refined))
                if args.save_dir is not None:
                    write_bytes_atomic(args.save_dir / set_name / method / f"{name}.png",
                                       mask_png_bytes(refined))
            if {"segrefiner", "segrefiner_fast"} <= set(outputs):
                same += int((outputs["segrefiner"] == outputs["segrefiner_fast"]).sum())
                total += gt.size
        for method in args.methods:
            values = summarize_iou_mba(records[method])
            values["harmed"] = harmed[method] / max(1, len(names))
            values["seconds_per_image"] = seconds[method] / max(1, len(names))
            metrics.update({f"{set_name}/{method}/{k}": v for k, v in values.items()})
        if total:
            metrics[f"{set_name}/fast_vs_exact_pixel_agreement"] = same / total
    report(metrics, args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
