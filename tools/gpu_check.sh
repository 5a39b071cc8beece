#!/usr/bin/env bash
# The GPU checks, meant to take under 8 minutes on one CUDA GPU (each step is stopped
# at its timeout: 90, 150 and 420 s):
#   1. the test files that name CUDA devices (test_precision, test_refiner,
#      test_first_hour: 63 tests, about 20 s on a 2-core CPU), here with a CUDA device
#      present; CUDA refinement agrees with the CPU (exact mode), fast mode (fp16) nearly so;
#   2. tools/benchmark.py --device cuda: LR instance refinement of a 640x480 image with 8
#      instances at 6 steps (official, exact, fast), the 4096x2160 semantic-path image
#      (time, peak GPU memory), the default path rows;
#   3. one summary table (also in OUT/summary.txt, the raw rows in OUT/benchmark_cuda.json).
#   bash tools/gpu_check.sh [OUT]          (OUT default outputs/gpu_check)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-outputs/gpu_check}
mkdir -p "$out"
PY=${PYTHON:-python}
$PY - <<'PY' || exit 2
import sys
import torch
if not torch.cuda.is_available():
    sys.exit(f"gpu_check: no CUDA device (torch {torch.__version__})")
print("GPU:", torch.cuda.get_device_name(), f"{torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB",
      "torch", torch.__version__)
PY
status=0
timeout 90 $PY -m pytest -q tests/test_utils/test_precision.py \
    tests/test_apis/test_refiner.py tests/test_apis/test_first_hour.py || status=1
timeout 150 $PY - <<'PY' || status=1
import numpy as np
from segrefiner.apis import Refiner
from segrefiner.datasets.io import read_image, read_mask

image = read_image("data/samples/images/dis_bag.jpg")
coarse = read_mask("data/samples/coarse/dis_bag.png")
cpu = Refiner(fast=False).refine(image, coarse)
gpu_refiner = Refiner(device="cuda", fast=False)
gpu = gpu_refiner.refine(image, coarse)
gpu_refiner.fast = True
fast = gpu_refiner.refine(image, coarse)
exact_agreement, fast_agreement = (cpu == gpu).mean(), (cpu == fast).mean()
print(f"cuda vs cpu pixel agreement: exact {exact_agreement:.5f}, fast (fp16) {fast_agreement:.5f}")
assert exact_agreement >= 0.999 and fast_agreement >= 0.995
PY
timeout 420 $PY tools/benchmark.py --device cuda --only instance hr default default-fast \
    --instance-counts 8 --hr-sizes 4096x2160 --json "$out/benchmark_cuda.json" || status=1
$PY - "$out" <<'PY' | tee "$out/summary.txt"
import json, sys
data = json.load(open(f"{sys.argv[1]}/benchmark_cuda.json"))
print(json.dumps(data["machine"]))
print(f"{'task':<52} {'case':<14} {'mode':<16} {'seconds':>8} {'GPU MB':>8} {'passes':>7}")
for row in data["rows"]:
    gpu_mb = row.get("peak_gpu_mb")
    print(f"{row['task']:<52} {row['case']:<14} {row['mode']:<16} {row['seconds']:>8.3f} "
          f"{'' if gpu_mb is None else f'{gpu_mb:.0f}':>8} {row.get('passes', ''):>7}")
PY
exit $status
