#!/usr/bin/env bash
# Build a wheel from this checkout, install it into a fresh virtual environment in an empty
# temporary folder, and refine a bundled sample from there with the installed command and
# the bundled weights it carries; the refined mask's IoU with the accurate mask must rise.
#   bash tools/wheel_smoke_test.sh        (PYTHON=python3.11, TORCH="torch==2.13.0")
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3.11}
TORCH=${TORCH:-torch==2.13.0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Built from a copy of what the wheel holds, so that the checkout gets no build/ folder.
mkdir "$work/src"
cp -r "$repo/segrefiner" "$repo/pyproject.toml" "$repo/README.md" "$work/src/"
"$PYTHON" -m pip wheel -q --no-deps -w "$work/dist" "$work/src"
"$PYTHON" -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install -q $TORCH
"$py" -m pip install -q "$work"/dist/segrefiner-*.whl

mkdir "$work/run"
cp "$repo/data/samples/images/grabcut_153077.jpg" "$work/run/image.jpg"
cp "$repo/data/samples/coarse/grabcut_153077.png" "$work/run/coarse.png"
cp "$repo/data/samples/masks/grabcut_153077.png" "$work/run/accurate.png"
cd "$work/run"
"$work/venv/bin/segrefiner" --version
"$work/venv/bin/segrefiner" refine image.jpg coarse.png -o refined.png --no-progress
"$py" - <<'PY'
import segrefiner
from segrefiner.datasets.io import read_mask
from segrefiner.evaluation.functional import mask_iou

assert "/venv/" in segrefiner.__file__, segrefiner.__file__  # the installed package
gt = read_mask("accurate.png")
before, after = mask_iou(gt, read_mask("coarse.png")), mask_iou(gt, read_mask("refined.png"))
print(f"wheel smoke test: IoU {before:.3f} -> {after:.3f}")
assert after > before, "refinement did not raise IoU"
PY
