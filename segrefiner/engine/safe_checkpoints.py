"""Safe mmengine checkpoints: loadable with ``torch.load(weights_only=True)``, written
atomically. Configs ask for it by naming :class:`SafeCheckpointHook` as their checkpoint
hook (``configs/_base_/default_runtime.py`` does); nothing of mmengine is patched.

mmengine pickles every HistoryBuffer of the training log with its statistics methods
(``min``, ``max``, ``current``, ``mean``), as ``getattr(HistoryBuffer, 'min')``: loading
that needs ``getattr`` allowed, which would let any file run code. The hook swaps each
buffer of the checkpoint for a :class:`PicklableHistoryBuffer`, which leaves the default
methods out (``HistoryBuffer.__setstate__`` restores them); what remains (the buffers,
numpy arrays and scalars) is allow-listed for ``torch.load``
(``segrefiner.utils.checkpoint.SAFE_GLOBALS``; ``tools/train.py`` and ``tools/test.py`` call
``allow_safe_globals()`` before mmengine loads a checkpoint).

mmengine writes files with ``LocalBackend.put`` (open + write): a run killed while saving
leaves a truncated file that the next ``--resume`` picks up. The hook writes through the
registered ``atomic_local`` file backend instead: a temporary file in the same folder,
renamed over the target.
"""
from __future__ import annotations

from mmengine.fileio import register_backend
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.logging.history_buffer import HistoryBuffer

from segrefiner.registry import HOOKS
from segrefiner.utils.checkpoint import PicklableHistoryBuffer
from segrefiner.utils.io import write_bytes_atomic

ATOMIC_BACKEND = "atomic_local"


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend, with every write atomic (temp file + rename)."""

    def put(self, obj: bytes, filepath) -> None:
        write_bytes_atomic(filepath, obj)

    def put_text(self, obj: str, filepath, encoding: str = "utf-8") -> None:
        write_bytes_atomic(filepath, obj.encode(encoding))


register_backend(ATOMIC_BACKEND, AtomicLocalBackend, force=True)


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's CheckpointHook, writing atomically and only what loads with
    ``torch.load(weights_only=True)`` (see the module docstring)."""

    def __init__(self, *args, backend_args: dict | None = None, **kwargs) -> None:
        super().__init__(*args, backend_args=backend_args or {"backend": ATOMIC_BACKEND},
                         **kwargs)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        scalars = checkpoint.get("message_hub", {}).get("log_scalars", {})
        for key, buffer in scalars.items():
            if isinstance(buffer, HistoryBuffer):
                scalars[key] = PicklableHistoryBuffer.from_buffer(buffer)
