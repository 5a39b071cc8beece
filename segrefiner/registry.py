"""segrefiner's registries: children of mmengine's root registries.

Each registry imports its ``locations`` lazily the first time something is built from
it, so ``MODELS.build(dict(type='SegRefiner', ...))`` works without importing the
modules by hand, and configs may still name mmengine's own classes (the parent).
"""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry

MODELS = Registry("model", parent=MMENGINE_MODELS, locations=["segrefiner.models"])
DATASETS = Registry("dataset", parent=MMENGINE_DATASETS, locations=["segrefiner.datasets"])
TRANSFORMS = Registry(
    "transform", parent=MMENGINE_TRANSFORMS, locations=["segrefiner.datasets.transforms"])
METRICS = Registry(
    "metric", parent=MMENGINE_METRICS, locations=["segrefiner.evaluation.metrics"])
HOOKS = Registry("hook", parent=MMENGINE_HOOKS, locations=["segrefiner.engine"])
OPTIM_WRAPPERS = Registry(
    "optim_wrapper", parent=MMENGINE_OPTIM_WRAPPERS, locations=["segrefiner.engine"])

__all__ = ["DATASETS", "HOOKS", "METRICS", "MODELS", "OPTIM_WRAPPERS", "TRANSFORMS"]
