"""Printing metrics as ``name: value`` lines and writing them as JSON."""
from __future__ import annotations

from collections.abc import Mapping

from segrefiner.utils.io import write_json_atomic


def print_metrics(metrics: Mapping[str, float]) -> None:
    for name, value in metrics.items():
        print(f"{name}: {value:.4f}" if isinstance(value, float) else f"{name}: {value}")


def report(metrics: Mapping[str, float], json_out: str | None = None) -> None:
    """Print the metrics; also write them to ``json_out`` when given."""
    print_metrics(metrics)
    if json_out:
        write_json_atomic(json_out, dict(metrics))
