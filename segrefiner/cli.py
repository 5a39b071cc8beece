"""The ``segrefiner`` command.

    segrefiner refine IMAGE COARSE -o OUT.png
    segrefiner refine --images DIR --masks DIR -o DIR
    segrefiner refine-coco --images DIR --results DT.json -o OUT.json

Masks are binarised at half their dtype's range (8-bit >= 128, 16-bit >= 32768; colour
masks: any channel; palette PNGs: index > 0); outputs are 0/255 PNGs, written
atomically, never over an input. Errors print one line and exit with status 2
(``--debug`` shows the traceback).
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np

from segrefiner.datasets.io import IMAGE_SUFFIXES, mask_png_bytes, read_image, read_mask
from segrefiner.utils.errors import UserError, run_cli
from segrefiner.utils.io import write_bytes_atomic, write_json_atomic

MODES = ("auto", "instance", "semantic")
STEP_STRIP_SUFFIXES = (".png", ".gif")
PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


def add_model_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--config", help="model config (default: the bundled model's)")
    group.add_argument("--checkpoint", help="weights (default: the bundled checkpoint)")
    group.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ... (default cpu)")
    group.add_argument("--steps", type=int,
                       help="diffusion steps to run, 1..T (T = 6 in the released models; "
                            "--mode instance only)")
    group.add_argument("--model-size", type=int, help="model input size (default: config's)")
    group.add_argument("--batch-size", type=int, help="crops per forward (default: config's)")
    group.add_argument("--fast", action="store_true",
                       help="lower precision: fp16 on GPU, bf16 on CPUs with bf16 kernels "
                            "(slightly different; other CPUs stay fp32)")
    group.add_argument("--seed", type=int, default=0, help="seed of the sampling noise")
    group.add_argument("--trust-checkpoint", action="store_true",
                       help="allow a checkpoint that needs pickle beyond plain weights")
    group.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segrefiner", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    refine = sub.add_parser("refine", help="refine a mask, or folders of image / mask pairs")
    refine.add_argument("image", nargs="?", help="image file")
    refine.add_argument("coarse", nargs="?", help="coarse mask file")
    refine.add_argument("--images", help="folder of images (pairs with --masks by file stem)")
    refine.add_argument("--masks", help="folder of coarse masks (NAME.png)")
    refine.add_argument("-o", "--output", required=True, help="output PNG, or output folder")
    refine.add_argument("--mode", choices=MODES, default="auto",
                        help="auto/semantic: whole-image global + local refinement; "
                             "instance: crop around the mask (COCO-style)")
    refine.add_argument("--overwrite", action="store_true",
                        help="folders: refine again pairs whose output exists")
    refine.add_argument("--save-steps", metavar="PATH",
                        help="also save the diffusion steps as a PNG strip or GIF "
                             "(folders: a folder)")
    refine.add_argument("--overlay", metavar="PATH",
                        help="also save coarse | refined on the image (folders: a folder)")
    refine.add_argument("--passes", type=int, default=1,
                        help="semantic mode: refine the result again, N passes in all "
                             "(2: sharper boundaries on rough masks, twice the time; default 1)")
    add_model_args(refine)
    coco = sub.add_parser("refine-coco", help="refine a COCO results JSON (instance path)")
    coco.add_argument("--images", required=True, help="folder of the images")
    coco.add_argument("--results", required=True, help="COCO results JSON (RLE or polygons)")
    coco.add_argument("--annotations", help="COCO / LVIS annotations to find image files "
                      "(default: <image_id:012d>.jpg in --images)")
    coco.add_argument("-o", "--output", required=True, help="refined results JSON")
    coco.add_argument("--skip-missing-images", action="store_true",
                      help="skip detections whose image is missing (counted) instead of failing")
    add_model_args(coco)
    return parser


def make_refiner(args: argparse.Namespace):
    """The Refiner the options ask for; its warnings (e.g. fast mode falling back to fp32)
    are printed as one ``warning:`` line each."""
    from segrefiner.apis import Refiner

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        refiner = Refiner(args.config, args.checkpoint, args.device, steps=args.steps,
                          model_size=args.model_size, batch_size=args.batch_size,
                          fast=args.fast, seed=args.seed, passes=getattr(args, "passes", 1),
                          trust_checkpoint=args.trust_checkpoint)
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    return refiner


def refuse_input_overwrite(output: Path, inputs: list[Path]) -> None:
    if output.exists() and any(output.resolve() == p.resolve() for p in inputs):
        raise UserError(f"{output}: is an input file; refusing to overwrite it")


def check_output_names(out_path: Path, steps_path: Path | None,
                       overlay_path: Path | None) -> None:
    """One pair's output files: a .png mask, a .png / .gif step strip, a picture for the
    overlay, no two the same; UserError naming the first that is not."""
    if out_path.suffix.lower() != ".png":
        raise UserError(f"{out_path}: refined masks are written as PNG; give a .png name")
    if steps_path and steps_path.suffix.lower() not in STEP_STRIP_SUFFIXES:
        raise UserError(f"{steps_path}: --save-steps writes a .png strip or a .gif animation")
    if overlay_path and overlay_path.suffix.lower() not in PICTURE_SUFFIXES:
        raise UserError(f"{overlay_path}: --overlay writes a picture: "
                        f"{', '.join(PICTURE_SUFFIXES)}")
    outputs = [p.resolve() for p in (out_path, steps_path, overlay_path) if p]
    for i, path in enumerate(outputs):
        if path in outputs[:i]:
            raise UserError(f"{path}: given for two outputs")


def refine_pair(refiner, image_path: Path, coarse_path: Path, out_path: Path, mode: str,
                steps_path: Path | None, overlay_path: Path | None) -> None:
    """Refine one image / mask pair and write the result (and pictures) atomically."""
    from segrefiner.visualization.pictures import overlay_pair, save_rgb, save_step_strip

    for output in (out_path, steps_path, overlay_path):
        if output:
            refuse_input_overwrite(output, [image_path, coarse_path])
    image = read_image(image_path)
    coarse = read_mask(coarse_path)
    if coarse.shape != image.shape[:2]:
        raise UserError(f"{coarse_path}: mask size {coarse.shape[1]}x{coarse.shape[0]} differs "
                        f"from its image {image_path} {image.shape[1]}x{image.shape[0]}")
    steps: list[np.ndarray] = []
    if mode == "instance":
        refined = refiner.refine_instances(image, coarse[None])[0]
    else:
        refined = refiner.refine(image, coarse,
                                 on_step=(lambda t, m: steps.append(m)) if steps_path else None)
    write_bytes_atomic(out_path, mask_png_bytes(refined))
    if steps_path:
        size = (image.shape[1], image.shape[0])
        frames = [coarse.astype(np.float32)]
        frames += [cv2.resize(m, size, interpolation=cv2.INTER_NEAREST) for m in steps]
        save_step_strip([*frames, refined.astype(np.float32)], steps_path)
    if overlay_path:
        save_rgb(overlay_pair(image, coarse, refined), overlay_path)


def folder_pairs(images: Path, masks: Path) -> list[tuple[Path, Path]]:
    for folder, what in ((images, "image"), (masks, "mask")):
        if not folder.is_dir():
            raise UserError(f"{folder}: no such {what} folder")
    by_stem = {p.stem: p for p in masks.iterdir() if p.is_file()}
    pairs = [(p, by_stem[p.stem]) for p in sorted(images.iterdir())
             if p.suffix.lower() in IMAGE_SUFFIXES and p.stem in by_stem]
    if not pairs:
        raise UserError(f"{images}: no image has a mask of the same name in {masks}")
    return pairs


def cmd_refine(args: argparse.Namespace) -> int:
    mode = "semantic" if args.mode == "auto" else args.mode
    if args.passes != 1 and mode != "semantic":
        raise UserError("--passes applies to the semantic mode (--mode semantic or auto)")
    if args.steps is not None and mode == "semantic":
        raise UserError("--steps applies to --mode instance; the semantic mode (auto) runs "
                        "the published global + local schedule")
    if args.images or args.masks:
        if args.image or args.coarse or not (args.images and args.masks):
            raise UserError("give either IMAGE COARSE, or both --images and --masks")
        return refine_folders(args, mode)
    if not (args.image and args.coarse):
        raise UserError("give IMAGE and COARSE (or --images DIR --masks DIR)")
    steps_path = Path(args.save_steps) if args.save_steps else None
    overlay_path = Path(args.overlay) if args.overlay else None
    check_output_names(Path(args.output), steps_path, overlay_path)
    refiner = make_refiner(args)
    refine_pair(refiner, Path(args.image), Path(args.coarse), Path(args.output), mode,
                steps_path, overlay_path)
    print(f"written: {args.output}")
    return 0


def refine_folders(args: argparse.Namespace, mode: str) -> int:
    from tqdm import tqdm

    pairs = folder_pairs(Path(args.images), Path(args.masks))
    out_dir = Path(args.output)
    for folder in (out_dir, args.save_steps, args.overlay):
        if folder and Path(folder).exists() and not Path(folder).is_dir():
            raise UserError(f"{folder}: exists and is not a folder (folder runs write a folder)")
    todo = [(img, mask) for img, mask in pairs
            if args.overwrite or not (out_dir / f"{img.stem}.png").is_file()]
    print(f"pairs: {len(pairs)} (already refined: {len(pairs) - len(todo)})")
    if not todo:
        return 0
    refiner = make_refiner(args)
    failed = []
    for img, mask in tqdm(todo, desc="refine"):
        steps = Path(args.save_steps) / f"{img.stem}_steps.png" if args.save_steps else None
        overlay = Path(args.overlay) / f"{img.stem}_overlay.jpg" if args.overlay else None
        try:
            refine_pair(refiner, img, mask, out_dir / f"{img.stem}.png", mode, steps, overlay)
        except UserError as err:  # one bad pair does not stop the others
            failed.append(str(err))
            print(f"skipped: {err}", file=sys.stderr)
    print(f"refined: {len(todo) - len(failed)}")
    if failed:
        raise UserError(f"{len(failed)} of {len(todo)} pairs failed; first: {failed[0]}")
    return 0


def cmd_refine_coco(args: argparse.Namespace) -> int:
    from mmengine.registry import init_default_scope
    from tqdm import tqdm

    from segrefiner.datasets.datasets import COCOResultsDataset
    from segrefiner.evaluation.metrics.instance_metric import encode_masks

    out = Path(args.output)
    refuse_input_overwrite(out, [Path(args.results)] + (
        [Path(args.annotations)] if args.annotations else []))
    init_default_scope("segrefiner")
    dataset = COCOResultsDataset(coarse_file=args.results, ann_file=args.annotations or "",
                                 data_prefix=dict(img=args.images), test_mode=True,
                                 skip_missing_images=args.skip_missing_images,
                                 pipeline=[dict(type="LoadImage"),
                                           dict(type="DecodeCoarseInstances")])
    refiner = make_refiner(args)
    refined_results = []
    for i in tqdm(range(len(dataset)), desc="refine"):
        item = dataset.get_data_info(i)
        loaded = dataset.pipeline(dict(item))
        masks = refiner.refine_instances(loaded["img"], loaded["coarse_masks"])
        for det, rle in zip(item["detections"], encode_masks(masks), strict=True):
            refined_results.append({**det, "segmentation": rle})
    write_json_atomic(out, refined_results)
    print(f"images: {len(dataset)} (skipped, image missing: {dataset.num_skipped})")
    print(f"instances: {len(refined_results)}")
    print(f"written: {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "refine":
        return cmd_refine(args)
    return cmd_refine_coco(args)


def entry_point() -> None:
    """Console-script entry: expected errors become one line and exit status 2."""
    sys.exit(run_cli(main))


if __name__ == "__main__":
    entry_point()
