"""CRM reachable from everything SegRefiner is: the API, the command, tools/test.py,
tools/train.py (BIG and DIS layouts), and check_official for CRM bundles."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from helpers import FIXTURES, REPO, metric_lines

from segrefiner.apis import Refiner
from segrefiner.datasets.io import read_mask
from segrefiner.models.crm import CRM
from segrefiner.utils.errors import UserError

CRM_BIG = REPO / "configs/crm/crm_big.py"
TINY = "configs/crm/crm_tiny.py"


def run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def released_checkpoint(tmp_path_factory):
    """Random weights of the released architecture saved as CRM releases them: a bare
    state_dict of an nn.DataParallel model (every key starts with 'module.')."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("crm") / "model_45705"
    torch.save({f"module.{k}": v for k, v in CRM().state_dict().items()}, path)
    return path


@pytest.fixture(scope="module")
def tiny_trained(tmp_path_factory):
    """tools/train.py on the tiny CRM config: 10 iterations, checkpoint at the end."""
    work = tmp_path_factory.mktemp("crm_tiny")
    result = run([sys.executable, "tools/train.py", TINY, "--work-dir", str(work)])
    assert result.returncode == 0, result.stderr[-3000:]
    return work / "iter_10.pth"


def small_pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (70, 90, 3), dtype=np.uint8)
    mask = np.zeros((70, 90), np.uint8)
    mask[15:55, 20:70] = 1
    return image, mask


def test_released_format_loads_strictly_and_refines(released_checkpoint):
    refiner = Refiner(CRM_BIG, released_checkpoint)
    assert isinstance(refiner.model, CRM)
    image, mask = small_pair()
    out, confidence = refiner.refine(image, mask, return_confidence=True, foreground_value=255)
    assert out.shape == (70, 90) and set(np.unique(out)) <= {0, 255}
    assert 0.0 <= confidence <= 1.0
    img = refiner.model.data_preprocessor.image_tensor(image)
    direct = refiner.model.refine_semantic(img, torch.from_numpy(mask.astype(bool)))
    assert np.array_equal(out // 255, direct.numpy())
    instances = refiner.refine_instances(image, np.stack([mask, mask]))
    assert instances.shape == (2, 70, 90)


def test_command_refines_with_the_released_format(tmp_path, released_checkpoint):
    out = tmp_path / "refined.png"
    image, coarse = FIXTURES / "big/grabcut_106024_im.jpg", FIXTURES / "big/grabcut_106024_seg.png"
    result = run([sys.executable, "-m", "segrefiner", "refine", str(image), str(coarse),
                  "-o", str(out), "--config", str(CRM_BIG), "--checkpoint",
                  str(released_checkpoint), "--no-progress"])
    assert result.returncode == 0, result.stderr
    expected = Refiner(CRM_BIG, released_checkpoint).refine(image, coarse)
    assert np.array_equal(read_mask(out), expected.astype(bool))


def test_wrong_architecture_names_the_file_and_the_first_key(released_checkpoint):
    with pytest.raises(UserError) as err:
        Refiner(CRM_BIG, REPO / "segrefiner/model_zoo/segrefiner_compact.pth")
    message = str(err.value)
    assert "segrefiner_compact.pth" in message and "feats.conv1.weight" in message
    assert "\n" not in message
    result = run([sys.executable, "-m", "segrefiner", "refine",
                  str(FIXTURES / "big/grabcut_106024_im.jpg"),
                  str(FIXTURES / "big/grabcut_106024_seg.png"), "-o", "/dev/null/x.png",
                  "--config", str(CRM_BIG), "--checkpoint", str(released_checkpoint),
                  "--steps", "2"])
    assert result.returncode == 2 and result.stderr.count("\n") == 1


def test_diffusion_settings_are_refused(released_checkpoint):
    with pytest.raises(UserError, match="steps does not apply"):
        Refiner(CRM_BIG, released_checkpoint, steps=3)


def test_command_refines_a_pair_and_a_folder(tmp_path, tiny_trained):
    out = tmp_path / "out.png"
    folder = FIXTURES / "folder"
    result = run([sys.executable, "-m", "segrefiner", "refine",
                  str(folder / "images/grabcut_106024.jpg"),
                  str(folder / "coarse/grabcut_106024.png"), "-o", str(out), "--config", TINY,
                  "--checkpoint", str(tiny_trained), "--no-progress"])
    assert result.returncode == 0, result.stderr
    refined = Refiner(TINY, tiny_trained).refine(folder / "images/grabcut_106024.jpg",
                                                 folder / "coarse/grabcut_106024.png",
                                                 foreground_value=255)
    assert np.array_equal(read_mask(out), refined > 0)
    outs = tmp_path / "folder_out"
    result = run([sys.executable, "-m", "segrefiner", "refine", "--images", str(folder / "images"),
                  "--masks", str(folder / "coarse"), "-o", str(outs), "--config", TINY,
                  "--checkpoint", str(tiny_trained), "--no-progress"])
    assert result.returncode == 0, result.stderr
    assert len(list(outs.glob("*.png"))) == len(list((folder / "images").iterdir()))


@pytest.mark.parametrize("config, expected", [
    ("configs/crm/crm_tiny_big.py", ["berkeley_101085_refine.png", "grabcut_106024_refine.png"]),
    ("configs/crm/crm_tiny_dis.py", None)])
def test_tools_test_writes_and_scores(tmp_path, tiny_trained, config, expected):
    out = tmp_path / "out"
    result = run([sys.executable, "tools/test.py", config, str(tiny_trained), "--out-dir",
                  str(out), "--work-dir", str(tmp_path / "work")])
    assert result.returncode == 0, result.stderr[-3000:]
    written = sorted(p.name for p in out.rglob("*.png"))
    if expected is not None:
        assert written == expected
        assert 0.0 <= metric_lines(result.stdout)["big/IoU"] <= 1.0
    else:
        assert written == sorted(f"{p.stem}.png" for p in (FIXTURES / "dis/DIS-VD/im").iterdir()
                                 if p.suffix == ".jpg")
        assert "dis/maxF" in metric_lines(result.stdout)


def test_training_resumes(tmp_path, tiny_trained):
    work = tmp_path / "work"
    work.mkdir()
    import shutil
    shutil.copy(tiny_trained.with_name("iter_5.pth"), work / "iter_5.pth")
    (work / "last_checkpoint").write_text(str(work / "iter_5.pth"))
    result = run([sys.executable, "tools/train.py", TINY, "--work-dir", str(work), "--resume"])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Iter(train) [10/10]" in result.stdout + result.stderr
    assert "Iter(train) [ 1/10]" not in result.stdout + result.stderr


def test_tools_test_takes_a_released_format_checkpoint(tmp_path, tiny_trained):
    """The trained tiny weights saved as CRM releases them (bare, 'module.' keys) give the
    same PNGs as the training checkpoint itself."""
    from segrefiner.utils.checkpoint import extract_state_dict, read_checkpoint

    bare = tmp_path / "released_style.pth"
    weights = extract_state_dict(read_checkpoint(tiny_trained))
    torch.save({f"module.{k}": v for k, v in weights.items()}, bare)
    outputs = []
    for name, checkpoint in (("own", tiny_trained), ("bare", bare)):
        out = tmp_path / name
        result = run([sys.executable, "tools/test.py", "configs/crm/crm_tiny_big.py",
                      str(checkpoint), "--out-dir", str(out), "--work-dir", str(tmp_path / "w")])
        assert result.returncode == 0, result.stderr[-3000:]
        outputs.append({p.name: p.read_bytes() for p in out.glob("*.png")})
    assert outputs[0] == outputs[1] and len(outputs[0]) == 2


def test_step_pictures_are_labelled_by_what_each_model_steps_through(released_checkpoint):
    from segrefiner.visualization.pictures import step_frames

    image, mask = small_pair()
    crm = Refiner(CRM_BIG, released_checkpoint)
    seen: list[tuple[str, np.ndarray]] = []
    refined = crm.refine(image, mask, on_step=lambda t, m: seen.append((crm.step_label(t), m)))
    labels = [label for label, _ in step_frames(mask, seen, refined)]
    assert labels == ["coarse", "scale 0.125", "scale 0.25", "scale 0.5", "scale 1", "refined"]
    assert Refiner().step_label(5) == "step t=5"
