"""Training / testing engine parts on mmengine: hooks, optimizer wrapper, safe loading."""
from segrefiner.engine.hooks import (
    NonFiniteLossError,
    NonFiniteLossHook,
    SaveRefinedMasksHook,
    TestProgressBarHook,
)
from segrefiner.engine.loops import ResumableIterBasedTrainLoop
from segrefiner.engine.optim_wrapper import AutocastOptimWrapper
from segrefiner.engine.safe_checkpoints import SafeCheckpointHook

__all__ = [
    "AutocastOptimWrapper", "NonFiniteLossError", "NonFiniteLossHook",
    "ResumableIterBasedTrainLoop", "SafeCheckpointHook", "SaveRefinedMasksHook",
    "TestProgressBarHook",
]
