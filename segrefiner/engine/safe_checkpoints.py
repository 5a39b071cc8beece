"""Safe mmengine checkpoints: loadable with ``torch.load(weights_only=True)``, written
atomically.

mmengine pickles every HistoryBuffer of the training log with its statistics methods
(``min``, ``max``, ``current``, ``mean``), as ``getattr(HistoryBuffer, 'min')``: loading
that needs ``getattr`` allowed, which would let any file run code. The default methods
are restored by ``HistoryBuffer.__setstate__`` anyway, so checkpoints written by this
project leave them out; what remains (HistoryBuffer, numpy arrays and scalars) is
allow-listed for ``torch.load`` (see ``segrefiner.utils.checkpoint.SAFE_GLOBALS``).

mmengine writes checkpoints with ``LocalBackend.put`` (open + write): a run killed while
saving leaves a truncated file that the next ``--resume`` picks up. ``put`` is made to
write a temporary file in the same folder and rename it over the target.
"""
from __future__ import annotations

from mmengine.fileio.backends import LocalBackend
from mmengine.logging.history_buffer import HistoryBuffer

from segrefiner.utils.checkpoint import allow_safe_globals
from segrefiner.utils.io import write_bytes_atomic

DEFAULT_STATISTICS = ("min", "max", "current", "mean")


def _history_buffer_state(self: HistoryBuffer) -> dict:
    state = dict(self.__dict__)
    state.pop("statistics_methods", None)
    custom = {k: v for k, v in self._statistics_methods.items() if k not in DEFAULT_STATISTICS}
    if custom:
        state["statistics_methods"] = custom
    return state


def _atomic_put(self: LocalBackend, obj: bytes, filepath) -> None:
    write_bytes_atomic(filepath, obj)


def install() -> None:
    """Patch HistoryBuffer pickling and mmengine's local writes; allow-list the checkpoint
    types for torch.load (idempotent)."""
    HistoryBuffer.__getstate__ = _history_buffer_state
    LocalBackend.put = _atomic_put
    allow_safe_globals()
