"""What a new user meets first: every bad input and output caught up front in one line
(before the model loads), awkward inputs read right, progress, API conventions."""
from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import TINY_INSTANCE, TINY_SEMANTIC
from helpers import FIXTURES, REPO
from PIL import Image

from segrefiner import __version__
from segrefiner.apis import Refiner
from segrefiner.cli import build_parser, main
from segrefiner.datasets.io import MaskWarning, read_image, read_mask
from segrefiner.model_zoo import BUNDLED_CONFIG
from segrefiner.utils.errors import run_cli
from segrefiner.visualization.pictures import (
    LABEL_HEIGHT,
    contrasting_colour,
    save_step_strip,
    step_frames,
)

BIG = FIXTURES / "big"
NAME = "grabcut_106024"
MISSING_CKPT = "/nonexistent/never_loaded.pth"


def tree_digest(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cli(capsys, *args: str, model=TINY_SEMANTIC, ckpt=None) -> tuple[int, str, str]:
    extra = ["--config", str(model), "--no-progress"]
    extra += ["--checkpoint", str(ckpt)] if ckpt else []
    code = run_cli(main, [*args, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


@pytest.fixture
def folders(tmp_path):
    """Copies of the folder fixture's images and coarse masks: (images, masks)."""
    images, masks = tmp_path / "images", tmp_path / "masks"
    shutil.copytree(FIXTURES / "folder/images", images)
    shutil.copytree(FIXTURES / "folder/coarse", masks)
    return images, masks


# ----------------------------------------------------- outputs checked up front
@pytest.mark.parametrize("where", ["unwritable folder", "parent is a file"])
def test_unwritable_outputs_are_refused_before_the_model_loads(capsys, pair, tmp_path, where):
    image, coarse = pair
    before = tree_digest(tmp_path)
    if where == "unwritable folder":
        out, needle = "/sys/refined.png", "/sys is not writable"
    else:
        out, needle = str(coarse / "refined.png"), f"{coarse} is a file"
    # The checkpoint does not exist: the output is refused before anything loads.
    code, _, err = cli(capsys, "refine", str(image), str(coarse), "-o", out, ckpt=MISSING_CKPT)
    one_line_error(code, err, needle)
    assert tree_digest(tmp_path) == before


def test_folder_output_that_cannot_be_written_is_refused_up_front(capsys, tmp_path, folders):
    images, masks = folders
    before = tree_digest(tmp_path)
    code, _, err = cli(capsys, "refine", "--images", str(images), "--masks", str(masks),
                       "-o", "/sys/refined", ckpt=MISSING_CKPT)
    one_line_error(code, err, "/sys is not writable")
    code, _, err = cli(capsys, "refine", "--images", str(images), "--masks", str(masks),
                       "-o", str(images / "grabcut_124080.jpg" / "out"), ckpt=MISSING_CKPT)
    one_line_error(code, err, "is a file, not a folder")
    assert tree_digest(tmp_path) == before


def test_output_folder_equal_to_the_masks_folder_is_refused(capsys, tmp_path, folders):
    images, masks = folders
    before = tree_digest(tmp_path)
    for out in (masks, images):
        code, stdout, err = cli(capsys, "refine", "--images", str(images), "--masks",
                                str(masks), "-o", str(out), ckpt=MISSING_CKPT)
        one_line_error(code, err, "is an input folder")
        assert "already refined" not in stdout
    assert tree_digest(tmp_path) == before


# ------------------------------------------------------ inputs checked up front
def test_input_typo_is_found_before_the_model_loads(capsys, pair, tmp_path):
    _image, coarse = pair
    code, _, err = cli(capsys, "refine", str(tmp_path / "imgg.jpg"), str(coarse),
                       "-o", str(tmp_path / "o.png"), ckpt=MISSING_CKPT)
    one_line_error(code, err, "imgg.jpg: no such image file")


@pytest.mark.parametrize("which", ["image", "mask"])
def test_truncated_files_are_refused_in_one_line(capsys, pair, tmp_path, which):
    image, coarse = pair
    if which == "image":
        bad = tmp_path / "truncated.jpg"
        bad.write_bytes(image.read_bytes()[: image.stat().st_size // 2])
        args = [str(bad), str(coarse)]
    else:
        bad = tmp_path / "truncated.png"
        bad.write_bytes(coarse.read_bytes()[: coarse.stat().st_size // 2])
        args = [str(image), str(bad)]
    before = tree_digest(tmp_path)
    out = tmp_path / "out.png"
    code, stdout, err = cli(capsys, "refine", *args, "-o", str(out), ckpt=MISSING_CKPT)
    one_line_error(code, err, bad.name, "truncated")
    assert "written" not in stdout and not out.exists()
    assert tree_digest(tmp_path) == before


def test_config_with_a_syntax_error_is_one_line(capsys, pair, tmp_path):
    image, coarse = pair
    bad = tmp_path / "bad_config.py"
    bad.write_text("model = dict(type='SegRefiner'\n")
    code = run_cli(main, ["refine", str(image), str(coarse), "-o", str(tmp_path / "o.png"),
                          "--config", str(bad), "--no-progress"])
    one_line_error(code, capsys.readouterr().err, "bad_config.py: not a valid config")


@pytest.mark.parametrize(("device", "needle"), [("mps", "MPS is not available"),
                                                ("cuda:99", "CUDA"),
                                                ("tpu9", "not a device name")])
def test_unavailable_devices_are_one_line(capsys, pair, tmp_path, device, needle):
    import torch

    if device == "cuda:99":  # what this machine lacks: CUDA itself, or a 100th GPU
        needle = ("CUDA device(s)" if torch.cuda.is_available()
                  else "CUDA is not available on this machine")
    image, coarse = pair
    code, _, err = cli(capsys, "refine", str(image), str(coarse), "-o", str(tmp_path / "o.png"),
                       "--device", device)
    one_line_error(code, err, needle)


def test_a_file_that_is_not_a_checkpoint_is_called_so(capsys, pair, tmp_path):
    image, coarse = pair
    code, _, err = cli(capsys, "refine", str(image), str(coarse), "-o", str(tmp_path / "o.png"),
                       ckpt=coarse)
    one_line_error(code, err, "coarse.png: not a PyTorch checkpoint")
    assert "trust" not in err and "weights_only" not in err


def test_a_checkpoint_of_another_architecture_names_the_first_mismatching_key(
        capsys, pair, tmp_path, tiny_checkpoint):
    image, coarse = pair
    code, _, err = cli(capsys, "refine", str(image), str(coarse), "-o", str(tmp_path / "o.png"),
                       ckpt=tiny_checkpoint, model=BUNDLED_CONFIG)
    one_line_error(code, err, "tiny.pth: weights do not fit the model", "key '")


# ------------------------------------------------------------- awkward masks
def cutout(image_path, mask: np.ndarray, tmp_path, colour: str) -> tuple:
    """An RGBA file whose alpha is the mask; its colour channels hold the photo or a
    different binary mask."""
    rgb = np.asarray(Image.open(image_path).convert("RGB"))
    if colour == "binary":
        rgb = np.zeros_like(rgb)
        rgb[: rgb.shape[0] // 2] = 255  # another mask: the top half
    rgba = np.dstack([rgb, mask.astype(np.uint8) * 255])
    path = tmp_path / f"cutout_{colour}.png"
    Image.fromarray(rgba, "RGBA").save(path)
    return path


def test_an_alpha_cutout_is_read_by_its_alpha_channel(pair, tmp_path):
    image, coarse = pair
    mask = read_mask(coarse)
    photo = cutout(image, mask, tmp_path, "photo")
    assert np.array_equal(read_mask(photo), mask)
    binary = cutout(image, mask, tmp_path, "binary")
    with pytest.warns(MaskWarning, match="cutout_binary.png: the alpha channel and the colour"):
        assert np.array_equal(read_mask(binary), mask)


def test_an_alpha_cutout_refines_as_its_mask_and_the_command_says_so(capsys, pair, tmp_path,
                                                                      tiny_checkpoint):
    image, coarse = pair
    binary = cutout(image, read_mask(coarse), tmp_path, "binary")
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    code, _, _ = cli(capsys, "refine", str(image), str(coarse), "-o", str(a),
                     ckpt=tiny_checkpoint)
    assert code == 0
    code, _, err = cli(capsys, "refine", str(image), str(binary), "-o", str(b),
                       ckpt=tiny_checkpoint)
    assert code == 0 and err.count("\n") == 1 and err.startswith("warning: ")
    assert "using the alpha channel" in err
    assert np.array_equal(read_mask(a), read_mask(b))


def test_every_mask_kind_reads_the_same_for_refinement_and_evaluation(tmp_path):
    from segrefiner.apis.refiner import as_masks
    from segrefiner.evaluation.folders import find_pairs, score_pairs

    rng = np.random.default_rng(0)
    truth = np.zeros((40, 60), bool)
    truth[8:30, 10:45] = True
    truth[rng.random(truth.shape) < 0.05] ^= True
    files = {
        "bool": Image.fromarray(truth),                                  # mode '1'
        "zero_one": Image.fromarray(truth.astype(np.uint8)),             # 0/1 L
        "zero_255": Image.fromarray(truth.astype(np.uint8) * 255),
        "uint16": Image.fromarray(truth.astype(np.uint16) * 65535),    # I;16
        "rgb": Image.fromarray(np.dstack([truth.astype(np.uint8) * 200] * 3)),
        "rgba_opaque": Image.fromarray(np.dstack([truth.astype(np.uint8) * 255] * 3
                                                 + [np.full(truth.shape, 255, np.uint8)])),
        "rgba_alpha": Image.fromarray(np.dstack([np.full(truth.shape, 90, np.uint8)] * 3
                                                + [truth.astype(np.uint8) * 255])),
    }
    palette = Image.fromarray(truth.astype(np.uint8), mode="P")
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    files["palette"] = palette
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    for name, im in files.items():
        im.save(gt_dir / f"{name}.png")
        Image.fromarray(truth.astype(np.uint8) * 255).save(pred_dir / f"{name}.png")
        refiner_view = as_masks(gt_dir / f"{name}.png", truth.shape)  # what Refiner reads
        assert refiner_view.dtype == bool and np.array_equal(refiner_view, truth), name
    records = score_pairs(find_pairs(gt_dir, pred_dir), num_workers=1)
    assert all(r["inter"] == r["union"] == truth.sum() for r in records)  # IoU 1 each


def test_exif_orientation_is_applied(tmp_path):
    upright = np.zeros((20, 40, 3), np.uint8)
    upright[:, :10] = 255  # a white band on the left
    # Stored rotated by 90 degrees clockwise with orientation 8 (rotate 270 to view):
    stored = np.ascontiguousarray(np.rot90(upright, k=-1))
    exif = Image.Exif()
    exif[0x0112] = 8
    path = tmp_path / "rotated.jpg"
    Image.fromarray(stored).save(path, exif=exif, quality=100)
    image = read_image(path)
    assert image.shape == (20, 40, 3)
    assert image[:, :10].mean() > 200 and image[:, 12:].mean() < 50


# ------------------------------------------------------------------ progress
def final_counts(err: str, desc: str) -> tuple[int, int]:
    counts = re.findall(rf"{desc}: .*?(\d+)/(\d+)", err)
    assert counts, err
    return tuple(int(x) for x in counts[-1])


def test_progress_on_a_folder_run_reaches_the_total(capsys, tmp_path, folders, tiny_checkpoint):
    images, masks = folders
    code = run_cli(main, ["refine", "--images", str(images), "--masks", str(masks), "-o",
                          str(tmp_path / "out"), "--config", str(TINY_SEMANTIC),
                          "--checkpoint", str(tiny_checkpoint)])
    err = capsys.readouterr().err
    assert code == 0
    assert final_counts(err, "images") == (4, 4)
    done, total = final_counts(err, "refine")  # one image's passes: 5 global steps + patches
    assert done == total >= 5


def test_progress_on_refine_coco_counts_instances(capsys, tmp_path, tiny_checkpoint):
    results = FIXTURES / "lvis/dets_mini3.json"
    code = run_cli(main, ["refine-coco", "--images", str(FIXTURES / "lvis/val2017"),
                          "--results", str(results), "-o", str(tmp_path / "r.json"),
                          "--config", str(TINY_INSTANCE), "--checkpoint", str(tiny_checkpoint)])
    err = capsys.readouterr().err
    assert code == 0
    count = len(json.loads(results.read_text()))
    assert final_counts(err, "instances") == (count, count)


# --------------------------------------------------------------- conventions
def test_version_and_plain_help(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"segrefiner {__version__}"
    parser = build_parser()
    assert "``" not in parser.format_help()
    subparsers = parser._subparsers._group_actions[0].choices
    refine_help = " ".join(subparsers["refine"].format_help().split())
    coco_help = " ".join(subparsers["refine-coco"].format_help().split())
    assert "--mode instance only" in refine_help and "--mode" not in coco_help.replace(
        "--model-size", "")


def test_the_api_takes_paths_pil_images_and_arrays(pair, tiny_checkpoint):
    image, coarse = pair
    refiner = Refiner(TINY_SEMANTIC, tiny_checkpoint)
    from_paths = refiner.refine(image, coarse)
    from_pil = refiner.refine(Image.open(image), Image.open(coarse))
    from_arrays = refiner.refine(read_image(image), read_mask(coarse))
    assert from_paths.dtype == np.uint8 and set(np.unique(from_paths)) <= {0, 1}
    assert np.array_equal(from_paths, from_pil) and np.array_equal(from_paths, from_arrays)
    as_255, confidence = refiner.refine(image, coarse, foreground_value=255,
                                        return_confidence=True)
    assert np.array_equal(as_255, from_paths * 255)
    assert 0.0 <= confidence <= 1.0
    full = np.ones(read_mask(coarse).shape, bool)
    assert np.isnan(refiner.refine(image, full, return_confidence=True)[1])


def test_boundary_confidence_by_hand():
    import torch

    from segrefiner.apis.refiner import boundary_confidence

    sure = torch.zeros(32, 32)
    sure[:, 16:] = 1.0
    assert boundary_confidence(sure) == 1.0
    unsure = torch.where(sure > 0, torch.tensor(0.75), torch.tensor(0.25))
    assert boundary_confidence(unsure) == pytest.approx(0.5)


def test_tools_test_checks_the_checkpoint_quietly_and_leaves_no_work_dir(tmp_path):
    cmd = [sys.executable, str(REPO / "tools/test.py"),
           str(REPO / "configs/segrefiner/segrefiner_tiny_big.py"), str(tmp_path / "none.pth"),
           "--out-dir", str(tmp_path / "out")]
    result = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'none.pth'}: no such checkpoint file"
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ pictures
def test_overlay_colour_contrasts_with_the_object():
    red = np.zeros((20, 20, 3), np.uint8)
    red[..., 0] = 220
    mask = np.ones((20, 20), bool)
    colour = np.array(contrasting_colour(red, mask))
    assert np.abs(colour - (220, 0, 0)).sum() > 300


def test_step_strips_and_animations_are_labelled(tmp_path):
    coarse = np.zeros((30, 40), np.float32)
    coarse[5:20, 5:30] = 1
    steps = [(f"step t={t}", coarse) for t in (5, 4, 3, 2, 1)]
    frames = step_frames(coarse, steps, coarse)
    assert [label for label, _ in frames] == ["coarse", "step t=5", "step t=4", "step t=3",
                                             "step t=2", "step t=1", "refined"]
    save_step_strip(frames, tmp_path / "s.png", height=60)
    strip = cv2.imread(str(tmp_path / "s.png"), cv2.IMREAD_GRAYSCALE)
    assert strip.shape[0] == 60 + LABEL_HEIGHT
    assert strip[:LABEL_HEIGHT].max() > 200  # the white label text
    save_step_strip(frames, tmp_path / "s.gif", height=60)
    with Image.open(io.BytesIO((tmp_path / "s.gif").read_bytes())) as gif:
        assert gif.n_frames == len(frames)


def test_tiny_and_empty_masks_come_back_unchanged(pair, tiny_checkpoint):
    image, _ = pair
    refiner = Refiner(TINY_SEMANTIC, tiny_checkpoint)
    shape = read_image(image).shape[:2]
    tiny = np.zeros(shape, bool)
    tiny[10:20, 10:20] = True  # 100 pixels: the semantic path would return nothing
    assert np.array_equal(refiner.refine(image, tiny), tiny.astype(np.uint8))
    empty = np.zeros(shape, bool)
    assert not refiner.refine(image, empty).any()


def test_a_config_without_its_checkpoint_says_what_is_missing(capsys, pair, tmp_path):
    image, coarse = pair
    code = run_cli(main, ["refine", str(image), str(coarse), "-o", str(tmp_path / "o.png"),
                          "--config", str(TINY_SEMANTIC), "--no-progress"])
    one_line_error(code, capsys.readouterr().err, "weights do not fit the model",
                   "needs its own weights: give a checkpoint with it (--checkpoint)")


def test_the_same_file_as_image_and_mask_is_refused(capsys, pair, tmp_path):
    image, _ = pair
    code, _, err = cli(capsys, "refine", str(image), str(image), "-o", str(tmp_path / "o.png"),
                       ckpt=MISSING_CKPT)
    one_line_error(code, err, "given as both the image and the coarse mask")
