"""The denoiser run by OpenVINO on the CPU: ``Refiner(runtime='openvino')``, ``--runtime``.

An optional runtime (``pip install openvino``), never needed for the exact path. The
torch denoiser is converted once (about 4 s for the bundled model) and kept as OpenVINO
IR in the cache folder (:func:`cache_root`), keyed by the weights, so later processes
read it in a tenth of a second. It is compiled for any input shape once per precision
(about 1 s), and for each shape used often (the local pass's patches) once more, a little
faster per call (about 0.5 s). A batch of such a shape (a chunk of patches or instance
crops) runs as one request per thread side by side, each on one thread, which keeps the
cores busier than both threads on one small input. The models a process compiles for its
first image (any shape; a batch's requests) are kept compiled beside the IR (OpenVINO's
model cache, about 30 MB each), so later processes load them in 0.3-0.4 s. The
precision follows torch's autocast, as a torch module's would: under CPU bf16 autocast
(fast mode) OpenVINO runs bf16, otherwise f32. A pass of the bundled model (mostly 128 px)
takes 17-23 ms in OpenVINO bf16 on 2-core AVX-512 CPUs, against 23-27 ms in torch bf16 in
micro-batches on an Intel Xeon with AMX and 34-38 ms one at a time on an AMD EPYC
(docs/benchmarks.md); in f32 OpenVINO is slower than torch.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from segrefiner.utils.precision import in_cpu_bf16_autocast

NO_OPENVINO = ("runtime openvino: openvino is not installed (pip install openvino); "
               "running the denoiser with torch")
EXAMPLE_SIZE = 128  # px, the traced example input (shapes stay free)
# A shape gets a model of its own (about 10 % faster per call than the any-shape model,
# about 0.5 s to compile) once more samples of it than this have been asked for: more than
# one diffusion pass's steps (a global pass at a size of its own stays on the any-shape
# model).
STATIC_AFTER = 6


def openvino_installed() -> bool:
    return importlib.util.find_spec("openvino") is not None


def writable_folder(folder: Path) -> Path | None:
    """``folder``, created if need be, where this process can write to it; else None."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


def cache_root() -> Path:
    """``$SEGREFINER_CACHE``, else ``$XDG_CACHE_HOME/segrefiner`` (``~/.cache/segrefiner``)."""
    if os.environ.get("SEGREFINER_CACHE"):
        return Path(os.environ["SEGREFINER_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "segrefiner"


def weights_key(module: nn.Module, salt: str = "") -> str:
    """A hex digest of ``module``'s class, parameter names, shapes and values (and
    ``salt``): equal for equal weights, whatever their memory format."""
    digest = hashlib.sha256(f"{type(module).__module__}.{type(module).__name__}|{salt}".encode())
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(f"{name}|{tuple(tensor.shape)}|{tensor.dtype}".encode())
        flat = tensor.detach().to("cpu").flatten().contiguous()  # memory format dropped
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:32]


def autocast_precision() -> str:
    """'bf16' inside CPU bf16 autocast, else 'f32'."""
    return "bf16" if in_cpu_bf16_autocast() else "f32"


class OpenVINODenoiser:
    """``(x, t) -> logits`` of a torch denoiser, computed by OpenVINO on the CPU.

    Args:
        denoiser: the torch denoiser (``DenoiseUNet``: ``in_channels``, ``forward(x, t)``).
        cache_dir: where the converted model is kept (default ``cache_root()/openvino``;
            an unwritable folder only costs the conversion in every process).
        threads: OpenVINO's inference threads (default torch's).

    Calls take x (B, C, H, W) float, t (B,) int64 on the CPU and return (B, 1, H, W)
    float32 logits, as the torch denoiser does.
    """

    def __init__(self, denoiser: nn.Module, cache_dir: Path | None = None,
                 threads: int | None = None) -> None:
        import openvino as ov

        self.core = ov.Core()
        self.threads = threads or torch.get_num_threads()
        self.cache_dir = Path(cache_dir) if cache_dir else cache_root() / "openvino"
        self.converted = False  # True when this instance converted (no cached IR found)
        path = self.cache_dir / weights_key(denoiser, ov.__version__) / "model.xml"
        self.model, from_ir = self._cached_model(denoiser, path, ov)
        # Compiled models are kept beside the IR they come from (None: no IR stored, or
        # the folder is not writable).
        self.compiled_cache = writable_folder(path.parent / "compiled") if from_ir else None
        # (sample shape or None: any, precision, queue) -> compiled model or queue
        self.compiled: dict[tuple, object] = {}
        self.calls: dict[tuple, int] = {}  # samples asked for per (sample shape, precision)

    def _cached_model(self, denoiser: nn.Module, path: Path, ov) -> tuple[object, bool]:
        """The model read from the IR at ``path``, converted and stored there first if need
        be, and True; the converted model and False where it could not be stored."""
        if path.is_file():
            try:
                return self.core.read_model(path), True
            except RuntimeError:
                pass  # a damaged cache entry: convert again and replace it
        channels = denoiser.in_channels
        example = (torch.zeros(1, channels, EXAMPLE_SIZE, EXAMPLE_SIZE),
                   torch.zeros(1, dtype=torch.long))
        with torch.no_grad(), warnings.catch_warnings():
            # Tracing notes that shape checks become constants; the shapes stay free.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            model = ov.convert_model(denoiser, example_input=example,
                                     input=[ov.PartialShape([-1, channels, -1, -1]),
                                            ov.PartialShape([-1])])
        self.converted = True
        if self._store(model, path, ov):
            # Read back as later processes read it, so that what is compiled from it now
            # is theirs too.
            return self.core.read_model(path), True
        return model, False

    @staticmethod
    def _store(model, path: Path, ov) -> bool:
        """Write the IR to ``path``'s folder atomically (a temporary folder renamed);
        False where that failed."""
        tmp = path.parent.with_name(f".{path.parent.name}.{os.getpid()}.tmp")
        try:
            tmp.mkdir(parents=True, exist_ok=True)
            ov.save_model(model, tmp / path.name, compress_to_fp16=False)
            if path.parent.exists():
                shutil.rmtree(path.parent, ignore_errors=True)  # a damaged entry
            os.replace(tmp, path.parent)
            return True
        except OSError:
            return False  # read-only or full cache folder, or another process won the race
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _compile(self, shape: tuple[int, ...] | None, precision: str, queue: bool = False):
        """The model compiled for ``shape`` (None: any shape); with ``queue`` an
        ``AsyncInferQueue`` of one request per thread, each run on one thread."""
        import openvino as ov

        model = self.model
        if shape is not None:
            model = model.clone()
            model.reshape({0: list(shape), 1: [shape[0]]})
        config = {"INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": self.threads,
                  "PERFORMANCE_HINT": "LATENCY"}
        if queue:
            config.update(PERFORMANCE_HINT="THROUGHPUT", NUM_STREAMS=self.threads)
        compiled = None
        if self.compiled_cache is not None and (shape is None or queue):
            try:  # what a process compiles for its first image: kept for later processes
                compiled = self.core.compile_model(
                    model, "CPU", {**config, "CACHE_DIR": str(self.compiled_cache)})
            except RuntimeError:
                compiled = None  # a cache folder OpenVINO cannot use: compile without it
        if compiled is None:
            compiled = self.core.compile_model(model, "CPU", config)
        return ov.AsyncInferQueue(compiled, self.threads) if queue else compiled

    def _compiled(self, sample_shape: tuple[int, ...], batch: int, precision: str):
        """What runs a batch of ``batch`` samples of ``sample_shape`` (1, C, H, W): the
        model compiled for any shape until that shape has been asked for more than
        ``STATIC_AFTER`` samples (a global pass's few steps at a size each image picks
        anew), then one compiled for it: for one sample, or for a batch a queue of
        one-thread requests run side by side."""
        key = (sample_shape, precision)
        self.calls[key] = self.calls.get(key, 0) + batch
        if self.calls[key] <= STATIC_AFTER:
            key = (None, precision, False)
            if key not in self.compiled:
                self.compiled[key] = self._compile(None, precision)
            return self.compiled[key]
        key = (sample_shape, precision, batch > 1)
        if key not in self.compiled:
            self.compiled[key] = self._compile(sample_shape, precision, queue=batch > 1)
        return self.compiled[key]

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        from openvino import AsyncInferQueue

        x = np.ascontiguousarray(x.detach().float().cpu().numpy())
        t = t.detach().to(torch.long).cpu().numpy()
        runner = self._compiled((1, *x.shape[1:]), len(x), autocast_precision())
        if not isinstance(runner, AsyncInferQueue):
            return torch.from_numpy(np.array(runner([x, t])[0], dtype=np.float32))
        out: list[np.ndarray | None] = [None] * len(x)

        def done(request, i: int) -> None:
            out[i] = np.array(request.get_output_tensor(0).data, dtype=np.float32)

        runner.set_callback(done)
        for i in range(len(x)):
            runner.start_async([x[i:i + 1], t[i:i + 1]], i)
        runner.wait_all()
        return torch.from_numpy(np.concatenate(out))
