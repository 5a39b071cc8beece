"""Training / testing engine parts on mmengine: hooks, optimizer wrapper, safe loading."""
import torch

from segrefiner.engine.hooks import NonFiniteLossError, NonFiniteLossHook
from segrefiner.engine.optim_wrapper import AutocastOptimWrapper
from segrefiner.utils.checkpoint import SAFE_GLOBALS

# mmengine resumes with torch.load, which is weights_only since torch 2.6: allow the few
# harmless types its checkpoints hold, so loading stays safe (no arbitrary pickle).
torch.serialization.add_safe_globals(SAFE_GLOBALS)

__all__ = ["AutocastOptimWrapper", "NonFiniteLossError", "NonFiniteLossHook"]
