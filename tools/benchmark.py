"""Speed and memory of segrefiner next to the official algorithm, in one run.

    python tools/benchmark.py [--json OUT] [--device cpu|cuda] [--quick]

Rows:
- the default path: ``Refiner(config).refine`` of the bundled model on a real photo at
  0.15 MP, 2 MP and 4096x2160 (a fresh process each): denoiser passes, time per pass,
  total time and peak memory, for the bundled config and the denser local pass it had
  before (``segrefiner_compact_dense.py``), exact and fast mode, and (``--only
  default-openvino``) the bundled config in fast mode with ``runtime='openvino'``;
- CRM's refinement (``--only crm``) on the same images: the compact CRM and the released
  ResNet-50 size, time and peak memory (random weights);

Then each row the official way, segrefiner exact and fast mode:
- denoiser forward, LR model (118.6 M parameters), 256x256, per batch size;
- instance refinement of one image with N instances (6 steps, LR model);
- high-resolution refinement (global + local) of a 2K and a 4K image (bundled model):
  time and peak resident memory of the whole process;
- training step (batch 8) and data pipeline samples/s (bundled model's recipe).
"Official" = the same weights and algorithm run as the official code does: fp32,
contiguous tensors, the whole chunk of up to 32 crops (or patches) in one forward.
"Exact" = ``Refiner(fast=False)``: channels_last weights and micro-batches that suit the
device (identical outputs up to float rounding; the chunks and random draws are the
official ones). "Fast" = what ``Refiner(fast=True)`` runs (the bundled model's default on
CPU): exact + fp16 autocast on GPU,
bf16 autocast on CPUs with bf16 kernels, fp32 on other CPUs (``machine.cpu_bf16_kernels``
in the JSON). "fast+openvino" (CPU, where openvino is installed) = fast mode with the
denoiser run by OpenVINO (``Refiner(fast=True, runtime='openvino')``). Random weights:
speed does not depend on them. ``machine.cpu_capability`` is the instruction set of torch's
CPU kernels (AVX2, AVX512); with ``ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2`` in the
environment torch and oneDNN run as on a CPU with AVX2 only (OpenVINO does not follow them).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config

from segrefiner.inference.openvino_denoiser import openvino_installed
from segrefiner.modes import SEMANTIC
from segrefiner.runtimes import OPENVINO, TORCH
from segrefiner.utils.precision import autocast as precision_autocast
from segrefiner.utils.precision import cpu_has_bf16_kernels, fast_dtype

REPO = Path(__file__).resolve().parents[1]
LR_CONFIG = REPO / "configs/segrefiner/segrefiner_lr.py"
COMPACT_CONFIG = REPO / "configs/segrefiner/segrefiner_compact.py"


OPENVINO_MODE = "fast+openvino"  # fast mode with Refiner(runtime='openvino')


def compared_modes(device: str) -> tuple[str, ...]:
    """'official', 'exact', 'fast', and on a CPU with openvino installed the OpenVINO
    runtime in fast mode."""
    extra = (OPENVINO_MODE,) if device == "cpu" and openvino_installed() else ()
    return ("official", "exact", "fast", *extra)


def build(config: Path, device: str, mode: str):
    """A SegRefiner set up the official way ('official') or segrefiner's ('exact', 'fast',
    'fast+openvino': the denoiser converted into a temporary cache folder)."""
    from segrefiner.registry import MODELS

    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model).to(device).eval()
    if mode == "official":
        model.test_cfg["micro_batch_size"] = 0
    else:
        model.prepare_for_refinement()
    if mode == OPENVINO_MODE:
        import tempfile

        from segrefiner.inference.openvino_denoiser import OpenVINODenoiser
        with tempfile.TemporaryDirectory() as cache:
            model.runtime_denoiser = OpenVINODenoiser(model.denoise_model, Path(cache))
    return model


def mode_dtype(device: str, mode: str) -> torch.dtype | None:
    """The autocast dtype of a mode: fast mode's as ``Refiner(fast=True)`` picks it."""
    return fast_dtype(device) if mode in ("fast", OPENVINO_MODE) else None


def autocast(device: str, mode: str):
    return precision_autocast(device, mode_dtype(device, mode))


def refining_precision(model, device: str, mode: str):
    """A mode's precision as ``Refiner`` refines in it (autocast, on CPU with bf16 weights)."""
    return model.refining_precision(mode_dtype(device, mode))


def grad_context(mode: str):
    return torch.no_grad() if mode == "official" else torch.inference_mode()


def timed(fn, device: str, repeat: int, warmup: bool = True) -> float:
    """Best wall time of ``repeat`` runs, after one warm-up run if ``warmup`` (seconds)."""
    if warmup:
        fn()
    best = float("inf")
    for _ in range(repeat):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def bench_forward(device: str, batches: list[int], repeat: int) -> list[dict]:
    rows = []
    for mode in compared_modes(device):
        model = build(LR_CONFIG, device, mode)
        denoiser = model.refining_denoiser()
        for batch in batches:
            x = torch.randn(batch, 4, 256, 256, device=device)
            t = torch.full((batch,), 3, device=device)

            def run(denoiser=denoiser, x=x, t=t, mode=mode, model=model):
                with grad_context(mode), refining_precision(model, device, mode):
                    denoiser(x, t)
            seconds = timed(run, device, repeat)
            rows.append(dict(task="denoiser forward 256x256", case=f"batch {batch}", mode=mode,
                             seconds=seconds, per_sample_s=seconds / batch))
    return rows


def synthetic_instances(n: int, height: int = 480, width: int = 640, seed: int = 0):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    masks = np.zeros((n, height, width), bool)
    yy, xx = np.mgrid[:height, :width]
    for i in range(n):
        cy, cx = rng.integers(60, height - 60), rng.integers(60, width - 60)
        ry, rx = rng.integers(25, 60), rng.integers(25, 60)
        masks[i] = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    return image, masks


def bench_instances(device: str, counts: list[int], repeat: int) -> list[dict]:
    """Each case timed in every mode in turn, ``repeat`` rounds (best of them), so that a
    machine whose speed drifts slows all modes alike; one warm-up run per model."""
    models = {mode: build(LR_CONFIG, device, mode) for mode in compared_modes(device)}
    rows = []
    for i, n in enumerate(counts):
        image, masks = synthetic_instances(n)
        runs = {}
        for mode, model in models.items():
            img = model.data_preprocessor.image_tensor(image)
            coarse = torch.from_numpy(masks).to(device)

            def run(model=model, img=img, coarse=coarse, mode=mode):
                with grad_context(mode), refining_precision(model, device, mode):
                    model.refine_instances(img, coarse)
            runs[mode] = run
        best = {mode: float("inf") for mode in runs}
        for round_ in range(repeat):
            for mode, run in runs.items():
                # Warm up once per model (the first, smallest case), not before every case.
                seconds = timed(run, device, 1, warmup=i == 0 and round_ == 0)
                best[mode] = min(best[mode], seconds)
        rows += [dict(task="instance refinement 640x480, 6 steps", case=f"N={n}", mode=mode,
                      seconds=seconds) for mode, seconds in best.items()]
    return rows


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it restarts at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def hr_child(device: str, mode: str, width: int, height: int) -> None:
    """Run in a fresh process: refine one synthetic high-resolution image, print JSON."""
    model = build(COMPACT_CONFIG, device, mode)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    yy, xx = np.ogrid[:height, :width]
    mask = ((yy - height / 2) / (height / 3)) ** 2 + ((xx - width / 2) / (width / 3)) ** 2 <= 1
    mask = np.asarray(mask)
    start = time.perf_counter()
    with grad_context(mode), refining_precision(model, device, mode):
        img = model.data_preprocessor.image_tensor(image)
        model.test_cfg["mode"] = SEMANTIC
        model.refine_semantic(img, torch.from_numpy(mask).to(device))
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak_mb = peak_rss_mb()
    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None
    print(json.dumps(dict(seconds=seconds, peak_rss_mb=peak_mb, peak_gpu_mb=gpu_mb)))


def bench_hr(device: str, sizes: list[tuple[int, int]]) -> list[dict]:
    rows = []
    for width, height in sizes:
        for mode in ("official", "exact", "fast"):
            out = subprocess.run([sys.executable, __file__, "--hr-child", device, mode,
                                  str(width), str(height)], capture_output=True, text=True,
                                 check=True)
            rows.append(dict(task="high-resolution refinement (bundled model)",
                             case=f"{width}x{height}", mode=mode,
                             **json.loads(out.stdout.strip().splitlines()[-1])))
    return rows


DEFAULT_PATH_CASES = (("photo 0.15 MP", 481, 321), ("2 MP", 1652, 1214),
                      ("4096x2160", 4096, 2160))
# Refinement settings compared on the default path: the bundled model with its config,
# and with the denser local pass it had before (configs/segrefiner/segrefiner_compact_dense.py).
DEFAULT_PATH_PRESETS = {"dense (before)": REPO / "configs/segrefiner/segrefiner_compact_dense.py",
                        "default": REPO / "segrefiner/model_zoo/segrefiner_compact.py"}


def default_path_input(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """A real photo and coarse mask at ``width`` x ``height``: data/samples' dis_bag
    resized, the coarse mask its accurate mask dilated by a 15x15 ellipse."""
    import cv2

    from segrefiner.datasets.io import read_image, read_mask

    samples = REPO / "data/samples"
    image = cv2.resize(read_image(samples / "images/dis_bag.jpg"), (width, height),
                       interpolation=cv2.INTER_AREA)
    gt = cv2.resize(read_mask(samples / "masks/dis_bag.png").astype(np.uint8), (width, height),
                    interpolation=cv2.INTER_NEAREST)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))
    return image, cv2.dilate(gt, kernel).astype(bool)


def default_path_child(device: str, config: str, fast: bool, runtime: str, width: int,
                       height: int) -> None:
    """Run in a fresh process: ``Refiner(config, fast=fast, runtime=runtime).refine`` of
    one image, after a warm-up call on a corner of it, three times: the first call
    (``first_seconds``: with what a runtime compiles for the image's sizes) and the
    faster of the next two (``seconds``; a shape used often may be compiled once more in
    the second); passes, peak memory; print JSON."""
    from segrefiner.apis import Refiner

    refiner = Refiner(config, None, device, fast=fast, runtime=runtime)
    image, coarse = default_path_input(width, height)
    refiner.refine(image[:300, :300], coarse[:300, :300])  # warm-up (kernels, allocator)
    passes = [0]
    denoiser_of = refiner.model.refining_denoiser

    def counted_denoiser():
        denoiser = denoiser_of()

        def counted(x, t):
            passes[0] += x.shape[0]
            return denoiser(x, t)
        return counted

    refiner.model.refining_denoiser = counted_denoiser
    seconds = []
    for _ in range(3):
        passes[0] = 0
        start = time.perf_counter()
        refiner.refine(image, coarse)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None
    warm = min(seconds[1:])
    print(json.dumps(dict(seconds=warm, first_seconds=seconds[0], passes=passes[0],
                          ms_per_pass=1000 * warm / max(1, passes[0]),
                          peak_rss_mb=peak_rss_mb(), peak_gpu_mb=gpu_mb)))


def bench_default_path(device: str, fast: bool, runtime: str = TORCH,
                       presets: tuple[str, ...] = tuple(DEFAULT_PATH_PRESETS)) -> list[dict]:
    rows = []
    notes = ["fast" if fast else "exact"] + ([runtime] if runtime != TORCH else [])
    label = f" ({', '.join(notes)})"
    for case, width, height in DEFAULT_PATH_CASES:
        for preset in presets:
            config = DEFAULT_PATH_PRESETS[preset]
            out = subprocess.run([sys.executable, __file__, "--default-child", device,
                                  str(config), str(int(fast)), runtime, str(width),
                                  str(height)], capture_output=True, text=True, check=True)
            rows.append(dict(task="Refiner().refine, bundled model" + label,
                             case=case, mode=preset,
                             **json.loads(out.stdout.strip().splitlines()[-1])))
    return rows


CRM_PRESETS = {"compact CRM": REPO / "segrefiner/model_zoo/crm_compact.py",
               "CRM ResNet-50": REPO / "configs/crm/crm_big.py"}


def crm_child(device: str, config: str, width: int, height: int) -> None:
    """Run in a fresh process: CRM's refinement of one image (random weights); print JSON."""
    from segrefiner.registry import MODELS

    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model).to(device).prepare_for_refinement()
    image, coarse = default_path_input(width, height)
    with torch.inference_mode():
        model.refine_semantic(model.data_preprocessor.image_tensor(image[:200, :200]),
                              torch.from_numpy(coarse[:200, :200]).to(device))  # warm-up
        start = time.perf_counter()
        model.refine_semantic(model.data_preprocessor.image_tensor(image),
                              torch.from_numpy(coarse).to(device))
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None
    print(json.dumps(dict(seconds=seconds, peak_rss_mb=peak_rss_mb(), peak_gpu_mb=gpu_mb)))


def bench_crm(device: str) -> list[dict]:
    rows = []
    for case, width, height in DEFAULT_PATH_CASES:
        for preset, config in CRM_PRESETS.items():
            out = subprocess.run([sys.executable, __file__, "--crm-child", device, str(config),
                                  str(width), str(height)], capture_output=True, text=True,
                                 check=True)
            rows.append(dict(task="CRM refine (4 scales)", case=case, mode=preset,
                             **json.loads(out.stdout.strip().splitlines()[-1])))
    return rows


def bench_training(device: str, repeat: int) -> list[dict]:
    rows = []
    for mode in ("official", "fast"):
        torch.manual_seed(0)
        from segrefiner.registry import MODELS
        model = MODELS.build(Config.fromfile(str(COMPACT_CONFIG)).model).to(device).train()
        optim = torch.optim.AdamW(model.parameters(), lr=1e-4)
        size = 128
        img = torch.randn(8, 3, size, size, device=device)
        gt = (torch.rand(8, 1, size, size, device=device) > 0.5).float()

        def step(model=model, optim=optim, img=img, gt=gt, mode=mode):
            with autocast(device, mode):
                losses = model.loss_from_masks(img, gt, gt)
            optim.zero_grad()
            (losses["loss_mask"] + losses["loss_texture"]).backward()
            optim.step()
        dtype = mode_dtype(device, mode)
        rows.append(dict(task="training step, batch 8, 128 px (bundled recipe)", case="",
                         mode=f"{str(dtype).removeprefix('torch.')} autocast" if dtype
                         else "fp32", seconds=timed(step, device, repeat)))
    return rows


def bench_data(num: int) -> list[dict]:
    sys.path.insert(0, str(REPO / "tools" / "analysis_tools"))
    from benchmark_data import measure
    from mmengine.registry import init_default_scope

    from segrefiner.registry import DATASETS
    init_default_scope("segrefiner")
    cfg = Config.fromfile(str(REPO / "configs/segrefiner/segrefiner_tiny.py"))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return [dict(task="data pipeline (online coarse masks, fixture images)", case="1 worker",
                 mode="", samples_per_s=measure(dataset, num))]


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = dict(cpu=cpu, cores=os.cpu_count(), torch_threads=torch.get_num_threads(),
                torch=torch.__version__, python=platform.python_version(),
                cpu_capability=torch.backends.cpu.get_cpu_capability(),
                cpu_bf16_kernels=cpu_has_bf16_kernels())
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
    if openvino_installed():
        from importlib.metadata import version
        info["openvino"] = version("openvino")
    return info


def print_rows(rows: list[dict]) -> None:
    for row in rows:
        values = "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in row.items() if k not in ("task", "case", "mode"))
        print(f"{row['task']:<48} {row['case']:<11} {row['mode']:<14} {values}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true",
                        help="fewer cases on CPU: N=1 and 4 instances, 2K only")
    parser.add_argument("--only", nargs="+",
                        choices=["forward", "instance", "hr", "train", "data", "default",
                                 "default-fast", "default-openvino", "crm"],
                        help="run only these parts")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--instance-counts", type=int, nargs="+",
                        help="instances per image of the instance rows (default by device)")
    parser.add_argument("--hr-sizes", nargs="+", metavar="WxH",
                        help="image sizes of the high-resolution rows (default by --quick)")
    parser.add_argument("--hr-child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--default-child", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--crm-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.hr_child:
        device, mode, width, height = args.hr_child
        hr_child(device, mode, int(width), int(height))
        return 0
    if args.default_child:
        device, config, fast, runtime, width, height = args.default_child
        default_path_child(device, config, fast == "1", runtime, int(width), int(height))
        return 0
    if args.crm_child:
        device, config, width, height = args.crm_child
        crm_child(device, config, int(width), int(height))
        return 0
    gpu = args.device.startswith("cuda")
    parts = set(args.only or ["default", "default-fast", "default-openvino", "forward",
                              "instance", "hr", "train", "data"])
    rows: list[dict] = []
    info = machine()
    print(json.dumps(info))
    if "default" in parts:
        rows += bench_default_path(args.device, fast=False)
    if "default-fast" in parts:
        rows += bench_default_path(args.device, fast=True)
    if "default-openvino" in parts and OPENVINO_MODE in compared_modes(args.device):
        rows += bench_default_path(args.device, fast=True, runtime=OPENVINO,
                                   presets=("default",))
    if "crm" in parts:
        rows += bench_crm(args.device)
    if "forward" in parts:
        rows += bench_forward(args.device, [1, 8, 32] if gpu else [1, 8], args.repeat)
    if "instance" in parts:
        counts = args.instance_counts or ([1, 8, 32] if gpu else
                                          ([1, 4] if args.quick else [1, 8, 32]))
        rows += bench_instances(args.device, counts, args.repeat if gpu else 1)
    if "hr" in parts:
        sizes = ([tuple(int(v) for v in size.lower().split("x")) for size in args.hr_sizes]
                 if args.hr_sizes else
                 [(2048, 1080)] if args.quick else [(2048, 1080), (4096, 2160)])
        rows += bench_hr(args.device, sizes)
    if "train" in parts:
        rows += bench_training(args.device, args.repeat)
    if "data" in parts:
        rows += bench_data(50)
    print_rows(rows)
    if args.json:
        from segrefiner.utils.io import write_json_atomic
        write_json_atomic(args.json, dict(machine=info, rows=rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
