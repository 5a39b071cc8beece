"""Training / testing engine parts on mmengine: hooks, optimizer wrapper, safe loading."""
from segrefiner.engine import safe_checkpoints
from segrefiner.engine.hooks import (
    NonFiniteLossError,
    NonFiniteLossHook,
    SaveRefinedMasksHook,
    TestProgressBarHook,
)
from segrefiner.engine.loops import ResumableIterBasedTrainLoop
from segrefiner.engine.optim_wrapper import AutocastOptimWrapper

safe_checkpoints.install()

__all__ = [
    "AutocastOptimWrapper", "NonFiniteLossError", "NonFiniteLossHook",
    "ResumableIterBasedTrainLoop", "SaveRefinedMasksHook", "TestProgressBarHook",
]
