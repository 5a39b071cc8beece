"""The lower precision of the fast mode (``Refiner(fast=True)``, ``--fast``, ``--amp``).

fp16 autocast on CUDA; bf16 autocast on CPUs whose oneDNN has bf16 kernels (x86 with
AVX-512, e.g. avx512_bf16 / AMX; Arm with bf16). Elsewhere (x86 with AVX2 only) bf16 is
emulated: a training step of the bundled model took 85 s instead of 2.3 s in fp32 on an
AVX2-only AMD EPYC, so fast mode runs fp32 there instead of making things slower.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import torch
from torch import nn

NO_BF16_KERNELS = ("this CPU has no bf16 kernels (bf16 would be many times slower than fp32 "
                   "here): running in fp32")


@functools.cache
def cpu_has_bf16_kernels() -> bool:
    """True where torch's oneDNN runs bf16 natively on this CPU (True if torch cannot tell)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return True


def fast_dtype(device: torch.device | str) -> torch.dtype | None:
    """The autocast dtype of fast mode on ``device``, or None where it would be slower."""
    device_type = torch.device(device).type
    if device_type == "cuda":
        return torch.float16
    if device_type == "cpu" and not cpu_has_bf16_kernels():
        return None
    return torch.bfloat16


def in_cpu_bf16_autocast() -> bool:
    """True inside ``torch.autocast('cpu', dtype=torch.bfloat16)``."""
    return torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16


def autocast(device: torch.device | str, dtype: torch.dtype | None):
    """``torch.autocast`` to ``dtype`` on ``device``; no change where ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)


class AutocastWeights:
    """The weights of a module's convolutions and linear layers held in autocast's dtype
    while :meth:`held` is entered, the same values autocast would compute with.

    Autocast casts a float32 weight on every call of such a layer, and inside
    ``torch.inference_mode`` it keeps none of the casts; on a 2-core Intel Xeon with AMX
    these casts took about a tenth of a bf16 pass of the bundled model. The cast copies
    are made once and kept (half the float32 weights' memory), made again where a weight
    changed in place. Norm layers and embeddings, which autocast leaves in float32, are
    not touched.
    """

    LAYERS = (nn.Conv1d, nn.Conv2d, nn.Linear)

    def __init__(self, module: nn.Module, dtype: torch.dtype) -> None:
        self.dtype = dtype
        self.params = [param for layer in module.modules() if isinstance(layer, self.LAYERS)
                       for param in layer.parameters(recurse=False)]
        self._key: list[tuple[int, int]] = []
        self._cast: list[torch.Tensor] = []

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Inside: the layers' parameters in ``dtype``; their float32 tensors on exit."""
        key = [(param.data_ptr(), param._version) for param in self.params]
        if key != self._key:
            self._cast = [param.detach().to(self.dtype) for param in self.params]
            self._key = key
        saved = [param.data for param in self.params]
        try:
            for param, cast in zip(self.params, self._cast, strict=True):
                param.data = cast
            yield
        finally:
            for param, data in zip(self.params, saved, strict=True):
                param.data = data
