"""The segrefiner command: refine masks with SegRefiner.

    segrefiner refine IMAGE COARSE -o OUT.png
    segrefiner refine --images DIR --masks DIR -o DIR
    segrefiner refine-coco --images DIR --results DT.json -o OUT.json
    segrefiner refine-instances --image IMG --results SAM.json|MASKS_DIR -o OUT
    segrefiner serve [--host 127.0.0.1] [--port 7860]

Masks are binarised at half their range (8-bit >= 128, 16-bit >= 32768; colour masks: any
channel; a non-uniform alpha channel is the mask; palette PNGs: index > 0). Outputs are
0/255 PNGs (or a results JSON in the input's order), written atomically, never over an
input. Every input and output is checked before the model loads; errors print one line
and exit with status 2 (--debug shows the traceback).
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

from segrefiner import __version__
from segrefiner.datasets.io import IMAGE_SUFFIXES, mask_png_bytes, read_image, read_mask
from segrefiner.modes import INSTANCE, SEMANTIC
from segrefiner.runtimes import RUNTIMES, TORCH
from segrefiner.utils.errors import UserError, run_cli
from segrefiner.utils.io import write_bytes_atomic, write_json_atomic
from segrefiner.utils.paths import check_input_file, check_output_dir, check_output_file

MODES = ("auto", INSTANCE, SEMANTIC)
STEP_STRIP_SUFFIXES = (".png", ".gif")
PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


def add_model_args(parser: argparse.ArgumentParser, steps_help: str) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--config", help="model config (default: the bundled model's)")
    group.add_argument("--checkpoint", help="weights (default: the bundled checkpoint)")
    group.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ... (default cpu)")
    group.add_argument("--steps", type=int, help=steps_help)
    group.add_argument("--model-size", type=int, help="model input size (default: config's)")
    group.add_argument("--batch-size", type=int,
                       help="crops / patches per sampler chunk (default: config's)")
    precision = group.add_mutually_exclusive_group()
    precision.add_argument("--fast", action="store_const", const=True, dest="fast",
                           help="fast mode: fp16 on GPU, bf16 on CPUs with bf16 kernels "
                                "(other CPUs stay fp32) and the config's fast_test_cfg (the "
                                "bundled model: fewer local patches); within 0.003 IoU / mBA "
                                "of exact on the real sets (means over sampling seeds; default "
                                "on CPU for the bundled model)")
    precision.add_argument("--exact", action="store_const", const=False, dest="fast",
                           help="exact mode: fp32 and the config's test_cfg as it is (default "
                                "on GPU, and for the paper's configs)")
    group.add_argument("--runtime", choices=RUNTIMES, default=TORCH,
                       help="what runs the denoiser: torch (default) or openvino (CPU; "
                            "pip install openvino; in fast mode 1.2-1.8x faster than "
                            "torch's on CPUs with bf16 kernels)")
    group.add_argument("--seed", type=int, default=0, help="seed of the sampling noise")
    group.add_argument("--trust-checkpoint", action="store_true",
                       help="allow a checkpoint that needs pickle beyond plain weights")
    group.add_argument("--no-progress", action="store_true", help="no progress bars")
    group.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segrefiner", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"segrefiner {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    refine = sub.add_parser("refine", help="refine a mask, or folders of image / mask pairs")
    refine.add_argument("image", nargs="?", help="image file")
    refine.add_argument("coarse", nargs="?", help="coarse mask file")
    refine.add_argument("--images", help="folder of images (pairs with --masks by file name)")
    refine.add_argument("--masks", help="folder of coarse masks (NAME.png, ...)")
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
    add_model_args(refine, "diffusion steps to run, 1..T (T = 6 in the released models; "
                           "--mode instance only)")
    coco = sub.add_parser("refine-coco", aliases=["refine-instances"],
                          help="refine instance masks: a COCO results JSON, segment-anything "
                               "records or a folder of instance PNGs (instance path)")
    coco.add_argument("--images", help="folder of the images (COCO results)")
    coco.add_argument("--image", help="the one image of segment-anything records or of a "
                                      "folder of instance masks")
    coco.add_argument("--results", required=True,
                      help="COCO results JSON (RLE or polygons), segment-anything automatic "
                           "mask generator records (JSON), or a folder of instance mask PNGs")
    coco.add_argument("--annotations", help="COCO / LVIS annotations to find image files "
                      "(default: <image_id:012d>.jpg in --images)")
    coco.add_argument("-o", "--output", required=True,
                      help="refined results, in the input's format (JSON, or a folder)")
    coco.add_argument("--skip-missing-images", action="store_true",
                      help="skip detections whose image is missing (counted) instead of failing")
    add_model_args(coco, "diffusion steps to run, 1..T (T = 6 in the released models)")
    serve = sub.add_parser("serve", help="a local web page to try refinement in a browser")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    serve.add_argument("--max-upload-mb", type=float, default=40.0,
                       help="largest image or mask accepted, in MB (default 40)")
    add_model_args(serve, "not used by the page (it refines whole-image masks)")
    return parser


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from segrefiner.web.app import create_app
    except ImportError as err:
        raise UserError(f"segrefiner serve needs the serve extra ({err.name} is missing): "
                        "pip install 'segrefiner[serve]'") from None
    if not 0 < args.port < 65536:
        raise UserError(f"--port must be in 1..65535, got {args.port}")
    if args.steps is not None:
        raise UserError("--steps does not apply to serve (the page runs the semantic mode)")
    refiner = make_refiner(args)
    refiner.progress = False
    print(f"segrefiner {__version__}: open http://{args.host}:{args.port}/ (Ctrl+C to stop)")
    uvicorn.run(create_app(refiner, args.max_upload_mb), host=args.host, port=args.port,
                log_level="warning")
    return 0


def make_refiner(args: argparse.Namespace):
    """The Refiner the options ask for (it checks the device, checkpoint file and config
    before building the model); its warnings (e.g. fast mode falling back to fp32) are
    printed as one ``warning:`` line each."""
    from segrefiner.apis import Refiner

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        refiner = Refiner(args.config, args.checkpoint, args.device, steps=args.steps,
                          model_size=args.model_size, batch_size=args.batch_size,
                          fast=args.fast, seed=args.seed, passes=getattr(args, "passes", 1),
                          runtime=args.runtime, trust_checkpoint=args.trust_checkpoint)
    print_warnings(caught)
    return refiner


def print_warnings(caught) -> None:
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)


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


def read_pair(image_path: Path, coarse_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The image and its coarse mask, decoded; UserError naming the file at fault."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        image, coarse = read_image(image_path), read_mask(coarse_path)
    print_warnings(caught)
    if coarse.shape != image.shape[:2]:
        raise UserError(f"{coarse_path}: mask size {coarse.shape[1]}x{coarse.shape[0]} differs "
                        f"from its image {image_path} {image.shape[1]}x{image.shape[0]}")
    return image, coarse


def refine_pair(refiner, image: np.ndarray, coarse: np.ndarray, out_path: Path, mode: str,
                steps_path: Path | None, overlay_path: Path | None, progress: bool) -> None:
    """Refine one decoded pair and write the result (and pictures) atomically."""
    from segrefiner.visualization.pictures import save_refinement_pictures

    steps: list[tuple[str, np.ndarray]] = []
    if mode == INSTANCE:
        refined = refiner.refine_instances(image, coarse[None], progress=progress)[0]
    else:
        refined = refiner.refine(image, coarse, progress=progress, on_step=(
            (lambda t, m: steps.append((refiner.step_label(t), m))) if steps_path else None))
    write_bytes_atomic(out_path, mask_png_bytes(refined))
    save_refinement_pictures(image, coarse, refined, steps, overlay_path, steps_path)


def check_mode_options(args: argparse.Namespace) -> str:
    mode = SEMANTIC if args.mode == "auto" else args.mode
    if args.passes != 1 and mode != SEMANTIC:
        raise UserError("--passes applies to the semantic mode (--mode semantic or auto)")
    if args.steps is not None and mode == SEMANTIC:
        raise UserError("--steps applies to --mode instance; the semantic mode (auto) runs "
                        "the published global + local schedule")
    return mode


def cmd_refine(args: argparse.Namespace) -> int:
    mode = check_mode_options(args)
    if args.images or args.masks:
        if args.image or args.coarse or not (args.images and args.masks):
            raise UserError("give either IMAGE COARSE, or both --images and --masks")
        return refine_folders(args, mode)
    if not (args.image and args.coarse):
        raise UserError("give IMAGE and COARSE (or --images DIR --masks DIR)")
    out_path = Path(args.output)
    steps_path = Path(args.save_steps) if args.save_steps else None
    overlay_path = Path(args.overlay) if args.overlay else None
    check_output_names(out_path, steps_path, overlay_path)
    inputs = [check_input_file(args.image, "image"), check_input_file(args.coarse, "mask")]
    if inputs[0].resolve() == inputs[1].resolve():
        raise UserError(f"{inputs[0]}: given as both the image and the coarse mask")
    for output in (out_path, steps_path, overlay_path):
        if output:
            check_output_file(output, inputs)
    image, coarse = read_pair(*inputs)
    refiner = make_refiner(args)
    refine_pair(refiner, image, coarse, out_path, mode, steps_path, overlay_path,
                progress=not args.no_progress)
    print(f"written: {args.output}")
    return 0


def folder_pairs(images: Path, masks: Path) -> list[tuple[Path, Path]]:
    """(image, mask) files of the two folders with the same name (``pair_by_name``)."""
    from segrefiner.datasets.pairing import pair_by_name

    for folder, what in ((images, "image"), (masks, "mask")):
        if not folder.is_dir():
            raise UserError(f"{folder}: no such {what} folder")
    pairs, unmatched = pair_by_name(images, masks, IMAGE_SUFFIXES, IMAGE_SUFFIXES)
    if not pairs:
        raise UserError(f"{images}: no image has a mask of the same name in {masks}")
    if unmatched:
        print(f"images without a mask (skipped): {len(unmatched)}, e.g. {unmatched[0]}")
    return [(image, mask) for _, image, mask in pairs]


def refine_folders(args: argparse.Namespace, mode: str) -> int:
    from segrefiner.utils.progress import Progress

    images, masks = Path(args.images), Path(args.masks)
    pairs = folder_pairs(images, masks)
    out_dir = check_output_dir(args.output, [images, masks])
    steps_dir = check_output_dir(args.save_steps, [images, masks]) if args.save_steps else None
    overlay_dir = check_output_dir(args.overlay, [images, masks]) if args.overlay else None
    if args.save_steps and Path(args.save_steps).resolve() == out_dir.resolve():
        raise UserError(f"{args.save_steps}: is the output folder too; give another folder")
    todo = [(img, mask) for img, mask in pairs
            if args.overwrite or not (out_dir / f"{img.stem}.png").is_file()]
    print(f"pairs: {len(pairs)} (already refined: {len(pairs) - len(todo)})")
    if not todo:
        return 0
    refiner = make_refiner(args)
    failed = []
    progress = not args.no_progress
    with Progress("images", total=len(todo), unit="image", enabled=progress) as bar:
        for img, mask in todo:
            steps = steps_dir / f"{img.stem}_steps.png" if steps_dir else None
            overlay = overlay_dir / f"{img.stem}_overlay.jpg" if overlay_dir else None
            try:
                image, coarse = read_pair(img, mask)
                refine_pair(refiner, image, coarse, out_dir / f"{img.stem}.png", mode, steps,
                            overlay, progress)
            except UserError as err:  # one bad pair does not stop the others
                failed.append(str(err))
                print(f"skipped: {err}", file=sys.stderr)
            bar.advance()
    print(f"refined: {len(todo) - len(failed)}")
    if failed:
        raise UserError(f"{len(failed)} of {len(todo)} pairs failed; first: {failed[0]}")
    return 0


def cmd_refine_coco(args: argparse.Namespace) -> int:
    from mmengine.registry import init_default_scope

    from segrefiner.datasets.datasets import COCOResultsDataset
    from segrefiner.evaluation.metrics.instance_metric import encode_masks
    from segrefiner.utils.progress import Progress

    if Path(args.results).is_dir() or args.image:
        return refine_instance_files(args)
    results = check_input_file(args.results, "results")
    if args.images is None:
        raise UserError("give --images DIR for a COCO results JSON (or --image FILE for "
                        "segment-anything records or a folder of instance masks)")
    inputs = [results]
    if args.annotations:
        inputs.append(check_input_file(args.annotations, "annotation"))
    if not Path(args.images).is_dir():
        raise UserError(f"{args.images}: no such image folder")
    out = check_output_file(args.output, inputs)
    init_default_scope("segrefiner")
    dataset = COCOResultsDataset(results_file=str(results), ann_file=args.annotations or "",
                                 data_prefix=dict(img=args.images), test_mode=True,
                                 skip_missing_images=args.skip_missing_images,
                                 pipeline=[dict(type="LoadImage"),
                                           dict(type="DecodeCoarseInstances")])
    refiner = make_refiner(args)
    total = sum(len(dataset.get_data_info(i)["detections"]) for i in range(len(dataset)))
    refined: dict[int, dict] = {}
    with Progress("instances", total=total, unit="instance",
                  enabled=not args.no_progress) as bar:
        for i in range(len(dataset)):
            item = dataset.get_data_info(i)
            loaded = dataset.pipeline(dict(item))
            start = bar.done
            masks = refiner.refine_instances(
                loaded["img"], loaded["coarse_masks"],
                on_progress=lambda done, _total, start=start: bar.advance_to(start + done))
            for index, det, rle in zip(item["indices"], item["detections"], encode_masks(masks),
                                       strict=True):
                refined[index] = {**det, "segmentation": rle}
    write_json_atomic(out, [refined[index] for index in sorted(refined)])
    print(f"images: {len(dataset)} (skipped, image missing: {dataset.num_skipped})")
    print(f"instances: {len(refined)}")
    print(f"written: {out}")
    return 0


def refine_instance_files(args: argparse.Namespace) -> int:
    """One image's instances as segment-anything records or a folder of mask PNGs, refined
    and written back in the same format."""
    from segrefiner.datasets.instance_files import MASK_FOLDER, read_instances, write_instances

    if not args.image:
        raise UserError(f"{args.results}: a folder of instance masks needs --image FILE")
    image_path = check_input_file(args.image, "image")
    results = Path(args.results)
    if not results.is_dir():
        check_input_file(results, "instance masks")
    image = read_image(image_path)
    instances = read_instances(results, image.shape[:2])
    if instances.kind == MASK_FOLDER:
        check_output_dir(args.output, [results, image_path.parent])
    else:
        check_output_file(args.output, [results, image_path])
    refiner = make_refiner(args)
    refined = refiner.refine_instances(image, instances.masks, progress=not args.no_progress)
    write_instances(instances, refined, args.output)
    print(f"instances: {len(refined)} ({instances.kind})")
    print(f"written: {args.output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "refine":
        return cmd_refine(args)
    if args.command == "serve":
        return cmd_serve(args)
    return cmd_refine_coco(args)  # refine-coco, refine-instances


def entry_point() -> None:
    """Console-script entry: expected errors become one line and exit status 2."""
    sys.exit(run_cli(main))


if __name__ == "__main__":
    entry_point()
