"""The segrefiner command: outputs, folder resume, COCO results, bad input, no data loss."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import TINY_INSTANCE, TINY_SEMANTIC
from helpers import FIXTURES
from PIL import Image

from segrefiner.cli import build_parser, main, make_refiner
from segrefiner.utils import precision
from segrefiner.utils.errors import run_cli

BIG = FIXTURES / "big"
NAME = "grabcut_106024"


def digest(*paths) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def cli(capsys, *args: str, model=TINY_SEMANTIC, ckpt=None) -> tuple[int, str, str]:
    extra = ["--config", str(model)] + (["--checkpoint", str(ckpt)] if ckpt else [])
    code = run_cli(main, [*args, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_refine_one_pair_with_pictures(capsys, pair, tmp_path, tiny_checkpoint):
    image, coarse = pair
    before = digest(image, coarse)
    out = tmp_path / "out" / "refined.png"
    code, stdout, _ = cli(capsys, "refine", str(image), str(coarse), "-o", str(out),
                          "--save-steps", str(tmp_path / "steps.gif"),
                          "--overlay", str(tmp_path / "overlay.jpg"), ckpt=tiny_checkpoint)
    assert code == 0 and "written" in stdout
    result = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert result.shape == cv2.imread(str(coarse), 0).shape
    assert set(np.unique(result)) <= {0, 255}
    assert (tmp_path / "steps.gif").stat().st_size > 0
    overlay = cv2.imread(str(tmp_path / "overlay.jpg"))
    assert overlay.shape[:2] == (result.shape[0] + 28, 2 * result.shape[1] + 4)  # labels, gap
    assert digest(image, coarse) == before
    assert not list(out.parent.glob(".*.tmp"))


@pytest.mark.parametrize("form", ["uint16", "rgb", "palette"])
def test_other_mask_encodings_are_accepted(capsys, pair, tmp_path, tiny_checkpoint, form):
    image, coarse = pair
    mask = cv2.imread(str(coarse), 0) >= 128
    other = tmp_path / f"coarse_{form}.png"
    if form == "uint16":
        cv2.imwrite(str(other), mask.astype(np.uint16) * 65535)
    elif form == "rgb":
        cv2.imwrite(str(other), np.repeat(mask[:, :, None].astype(np.uint8) * 200, 3, axis=2))
    else:
        im = Image.fromarray(mask.astype(np.uint8), mode="P")
        im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
        im.save(other)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    for mask, out in ((coarse, a), (other, b)):
        code, _, err = cli(capsys, "refine", str(image), str(mask), "-o", str(out),
                           ckpt=tiny_checkpoint)
        assert code == 0, err
    assert np.array_equal(cv2.imread(str(a), 0), cv2.imread(str(b), 0))


def bad_case(tmp_path, pair, case: str):
    image, coarse = pair
    if case == "missing image":
        return [str(tmp_path / "none.jpg"), str(coarse)], "none.jpg"
    if case == "corrupt image":
        bad = tmp_path / "corrupt.jpg"
        bad.write_bytes(image.read_bytes()[:200])
        return [str(bad), str(coarse)], "corrupt.jpg"
    if case == "text as mask":
        bad = tmp_path / "mask.png"
        bad.write_text("this is not a mask")
        return [str(image), str(bad)], "mask.png"
    if case == "size mismatch":
        bad = tmp_path / "small.png"
        cv2.imwrite(str(bad), np.zeros((10, 10), np.uint8))
        return [str(image), str(bad)], "small.png"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["missing image", "corrupt image", "text as mask",
                                  "size mismatch"])
def test_bad_input_is_one_line_naming_the_file(capsys, pair, tmp_path, tiny_checkpoint, case):
    args, name = bad_case(tmp_path, pair, case)
    before = digest(*pair)
    out = tmp_path / "out.png"
    code, _, err = cli(capsys, "refine", *args, "-o", str(out), ckpt=tiny_checkpoint)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and name in err
    assert "Traceback" not in err
    assert not out.exists()
    assert digest(*pair) == before


def test_passes_refine_again_and_need_the_semantic_mode(capsys, pair, tmp_path,
                                                        tiny_checkpoint):
    image, coarse = pair
    once, again, twice = tmp_path / "once.png", tmp_path / "again.png", tmp_path / "twice.png"
    for args in ([str(image), str(coarse), "-o", str(once)],
                 [str(image), str(once), "-o", str(again)],
                 [str(image), str(coarse), "-o", str(twice), "--passes", "2"]):
        code, _, err = cli(capsys, "refine", *args, ckpt=tiny_checkpoint)
        assert code == 0, err
    assert np.array_equal(cv2.imread(str(twice), 0), cv2.imread(str(again), 0))
    code, _, err = cli(capsys, "refine", str(image), str(coarse), "-o", str(tmp_path / "x.png"),
                       "--passes", "2", "--mode", "instance", ckpt=tiny_checkpoint)
    assert code == 2 and "--passes" in err


def test_output_over_an_input_is_refused(capsys, pair, tiny_checkpoint):
    image, coarse = pair
    before = digest(image, coarse)
    code, _, err = cli(capsys, "refine", str(image), str(coarse), "-o", str(coarse),
                       ckpt=tiny_checkpoint)
    assert code == 2 and "refusing to overwrite" in err
    assert digest(image, coarse) == before


def test_folders_resume_where_they_stopped(capsys, tmp_path, tiny_checkpoint):
    images, masks, out = tmp_path / "images", tmp_path / "masks", tmp_path / "out"
    shutil.copytree(FIXTURES / "folder" / "images", images)
    shutil.copytree(FIXTURES / "folder" / "coarse", masks)
    out.mkdir()
    # A run that stopped after one image: its output exists.
    first = sorted(images.iterdir())[0].stem
    cv2.imwrite(str(out / f"{first}.png"), np.zeros((5, 5), np.uint8))
    code, stdout, _ = cli(capsys, "refine", "--images", str(images), "--masks", str(masks),
                          "-o", str(out), ckpt=tiny_checkpoint)
    assert code == 0 and "already refined: 1" in stdout and "refined: 3" in stdout
    assert cv2.imread(str(out / f"{first}.png"), 0).shape == (5, 5)  # kept
    assert len(list(out.glob("*.png"))) == 4
    code, stdout, _ = cli(capsys, "refine", "--images", str(images), "--masks", str(masks),
                          "-o", str(out), ckpt=tiny_checkpoint)
    assert code == 0 and "already refined: 4" in stdout


def test_refine_coco_and_missing_images(capsys, tmp_path, tiny_checkpoint):
    out = tmp_path / "refined.json"
    args = ["refine-coco", "--images", str(FIXTURES / "lvis/val2017"),
            "--results", str(FIXTURES / "lvis/dets_mini3.json"), "-o", str(out)]
    code, stdout, err = cli(capsys, *args, model=TINY_INSTANCE, ckpt=tiny_checkpoint)
    assert code == 0, err
    coarse = json.loads((FIXTURES / "lvis/dets_mini3.json").read_text())
    refined = json.loads(out.read_text())
    # In the input's order (the fixture's detections are not sorted by image).
    assert [c["image_id"] for c in coarse] != sorted(c["image_id"] for c in coarse)
    assert [(r["image_id"], r["score"], r["bbox"]) for r in refined] == [
        (c["image_id"], c["score"], c["bbox"]) for c in coarse]
    with_missing = tmp_path / "dets.json"
    with_missing.write_text(json.dumps([*coarse, {**coarse[0], "image_id": 42}]))
    args[4] = str(with_missing)
    code, _, err = cli(capsys, *args, model=TINY_INSTANCE, ckpt=tiny_checkpoint)
    assert code == 2 and "image_id 42" in err and "--skip-missing-images" in err
    code, stdout, _ = cli(capsys, *args, "--skip-missing-images", model=TINY_INSTANCE,
                          ckpt=tiny_checkpoint)
    assert code == 0 and "skipped, image missing: 1" in stdout


def test_malformed_results_json(capsys, tmp_path, tiny_checkpoint):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"image_id": 1}]')
    code, _, err = cli(capsys, "refine-coco", "--images", str(tmp_path), "--results", str(bad),
                       "-o", str(tmp_path / "o.json"), ckpt=tiny_checkpoint)
    assert code == 2 and "bad.json" in err and "segmentation" in err


def test_console_command_and_debug_traceback(pair, tmp_path, tiny_checkpoint):
    image, _ = pair
    cmd = [sys.executable, "-c", "from segrefiner.cli import entry_point; entry_point()",
           "refine", str(image), str(tmp_path / "nothere.png"), "-o", str(tmp_path / "o.png"),
           "--config", str(TINY_SEMANTIC), "--checkpoint", str(tiny_checkpoint)]
    quiet = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 2 and quiet.stderr.count("\n") == 1
    loud = subprocess.run([*cmd, "--debug"], capture_output=True, text=True, timeout=300)
    assert loud.returncode != 0 and "Traceback" in loud.stderr


@pytest.mark.parametrize(("args", "expected"), [
    (["--steps", "9", "--mode", "instance"], "steps must be a whole number in 1..6"),
    (["--steps", "3"], "--steps applies to --mode instance"),
    (["--model-size", "-32"], "model_size must be a positive multiple of"),
    (["--batch-size", "0"], "batch_size must be a whole number >= 1")])
def test_bad_options_are_one_line(capsys, pair, tmp_path, tiny_checkpoint, args, expected):
    image, coarse = pair
    out = tmp_path / "out.png"
    code, _, err = cli(capsys, "refine", str(image), str(coarse), "-o", str(out), *args,
                       ckpt=tiny_checkpoint)
    assert code == 2 and err.count("\n") == 1 and expected in err
    assert not out.exists()


def test_pictures_never_overwrite_an_input(capsys, pair, tmp_path, tiny_checkpoint):
    image, coarse = pair
    before = digest(image, coarse)
    out = tmp_path / "out.png"
    for option in ("--overlay", "--save-steps"):
        target = image if option == "--overlay" else coarse
        code, _, err = cli(capsys, "refine", str(image), str(coarse), "-o", str(out),
                           option, str(target), ckpt=tiny_checkpoint)
        assert code == 2 and "refusing to overwrite" in err and target.name in err
    assert digest(image, coarse) == before
    assert not out.exists()


@pytest.mark.parametrize(("extra", "expected"), [
    (["-o", "out.jpg"], "give a .png name"),
    (["-o", "out.png", "--save-steps", "steps.txt"], ".png strip or a .gif"),
    (["-o", "out.png", "--overlay", "overlay.xyz"], "--overlay writes a picture"),
    (["-o", "out.png", "--overlay", "out.png"], "given for two outputs")])
def test_output_names_checked_before_refining(capsys, pair, tmp_path, tiny_checkpoint, extra,
                                              expected, monkeypatch):
    image, coarse = pair
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "refine", str(image), str(coarse), *extra, ckpt=tiny_checkpoint)
    assert code == 2 and err.count("\n") == 1 and expected in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coarse.png", "img.jpg"]


@pytest.mark.parametrize("option", ["-o", "--overlay", "--save-steps"])
def test_folder_outputs_must_be_folders(capsys, tmp_path, tiny_checkpoint, option):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    shutil.copy(BIG / f"{NAME}_im.jpg", images / "a.jpg")
    shutil.copy(BIG / f"{NAME}_seg.png", masks / "a.png")
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    outputs = {"-o": str(tmp_path / "out"), option: str(a_file)}
    code, _, err = cli(capsys, "refine", "--images", str(images), "--masks", str(masks),
                       *[x for item in outputs.items() for x in item], ckpt=tiny_checkpoint)
    assert code == 2 and err.count("\n") == 1 and "is not a folder" in err
    assert a_file.read_text() == "keep me" and not (tmp_path / "out").exists()


def test_fast_on_a_cpu_without_bf16_kernels_says_so_in_one_line(capsys, monkeypatch, pair,
                                                                 tmp_path, tiny_checkpoint):
    monkeypatch.setattr(precision, "cpu_has_bf16_kernels", lambda: False)
    image, coarse = pair
    out = tmp_path / "refined.png"
    code, _, stderr = cli(capsys, "refine", str(image), str(coarse), "-o", str(out), "--fast",
                          "--no-progress", ckpt=tiny_checkpoint)
    assert code == 0 and out.is_file()
    assert stderr.strip() == ("warning: fast mode: this CPU has no bf16 kernels (bf16 would be "
                              "many times slower than fp32 here): running in fp32")


def test_exact_and_fast_choose_the_mode_and_exclude_each_other(capsys, tmp_path,
                                                              tiny_checkpoint):
    config = tmp_path / "fast_default.py"
    config.write_text(f"_base_ = [{str(TINY_SEMANTIC)!r}]\nfast_on_cpu = True\n")
    parser = build_parser()
    common = ["refine", "a.jpg", "b.png", "-o", "c.png", "--config", str(config),
              "--checkpoint", str(tiny_checkpoint)]
    modes = {option: make_refiner(parser.parse_args([*common, *option])).fast
             for option in ((), ("--exact",), ("--fast",))}
    assert modes == {(): True, ("--exact",): False, ("--fast",): True}
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args([*common, "--fast", "--exact"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
