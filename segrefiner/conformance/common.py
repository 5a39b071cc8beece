"""What every bundle replay shares: the tolerance, deviations, the case report, reading."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from segrefiner.utils.checkpoint import read_checkpoint

RELATIVE_TOL = 1e-4  # |ours - ref| <= RELATIVE_TOL * max(1, |ref|)


@dataclass
class CaseResult:
    """The outcome of one replayed case."""

    index: int
    kind: str
    max_deviation: float  # continuous outputs: max |ours - ref| / max(1, |ref|)
    flipped_fraction: float  # binary outputs: share of pixels that differ
    agrees: bool
    detail: str = ""

    def line(self) -> str:
        verdict = "ok" if self.agrees else "DIFFERS"
        text = (f"case {self.index:3d} {self.kind:<10s} max deviation {self.max_deviation:.3g}"
                f"  flipped pixels {self.flipped_fraction:.3g}  {verdict}")
        return f"{text}  ({self.detail})" if self.detail else text


def scaled_deviation(ours: torch.Tensor, ref: torch.Tensor) -> float:
    """max |ours - ref| / max(1, |ref|) over all elements (0 for empty tensors)."""
    ours, ref = ours.double(), ref.double()
    if ours.shape != ref.shape:
        return float("inf")
    if ref.numel() == 0:
        return 0.0
    return float(((ours - ref).abs() / ref.abs().clamp(min=1)).max())


def flipped_fraction(ours: torch.Tensor, ref: torch.Tensor) -> float:
    """Share of elements of two binary tensors that differ (1.0 on a shape mismatch)."""
    if ours.shape != ref.shape:
        return 1.0
    return float((ours.bool() != ref.bool()).double().mean()) if ref.numel() else 0.0


def check_state_dict_layout(model: torch.nn.Module, tsv_path: str | Path) -> list[str]:
    """Differences between ``model.state_dict()`` and a TSV of ``key, [shape], dtype`` rows
    (a ``module.`` prefix of the TSV's keys, a DataParallel checkpoint's, is ignored)."""
    expected = {}
    for line in Path(tsv_path).read_text().splitlines():
        if line.strip():
            key, shape, dtype = line.split("\t")
            dims = tuple(int(s) for s in shape.strip("[]").split(",") if s.strip())
            expected[key.removeprefix("module.")] = (dims, dtype.strip())
    actual = {k: (tuple(v.shape), str(v.dtype).removeprefix("torch."))
              for k, v in model.state_dict().items()}
    problems = [f"missing key {k}" for k in expected.keys() - actual.keys()]
    problems += [f"unexpected key {k}" for k in actual.keys() - expected.keys()]
    problems += [f"{k}: ours {actual[k]}, official {expected[k]}"
                 for k in expected.keys() & actual.keys() if actual[k] != expected[k]]
    return sorted(problems)


def load_bundle(path: str | Path) -> dict:
    """Read a bundle safely (weights_only)."""
    return read_checkpoint(path)
