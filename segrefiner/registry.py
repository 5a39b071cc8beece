"""segrefiner's registries: children of mmengine's root registries.

Each registry imports its ``locations`` lazily the first time something is built from
it, so ``MODELS.build(dict(type='SegRefiner', ...))`` works without importing the
modules by hand, and configs may still name mmengine's own classes (the parent).
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
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
LOOPS = Registry("loop", parent=MMENGINE_LOOPS, locations=["segrefiner.engine"])
# segrefiner's own: the mask processes a SegRefiner model samples with (model.diffusion).
DIFFUSION_PROCESSES = Registry("diffusion process", locations=["segrefiner.diffusion"])
# Children with nothing of their own: they let mmengine find its classes from the
# 'segrefiner' scope without "Failed to search registry" warnings.
DATA_SAMPLERS = Registry("data sampler", parent=MMENGINE_DATA_SAMPLERS)
LOG_PROCESSORS = Registry("log_processor", parent=MMENGINE_LOG_PROCESSORS)
OPTIMIZERS = Registry("optimizer", parent=MMENGINE_OPTIMIZERS)
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    "optimizer wrapper constructor", parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = Registry("parameter scheduler", parent=MMENGINE_PARAM_SCHEDULERS)
VISBACKENDS = Registry("vis_backend", parent=MMENGINE_VISBACKENDS)
VISUALIZERS = Registry("visualizer", parent=MMENGINE_VISUALIZERS)

__all__ = [
    "DATASETS", "DATA_SAMPLERS", "DIFFUSION_PROCESSES", "HOOKS", "LOG_PROCESSORS", "LOOPS",
    "METRICS", "MODELS",
    "OPTIMIZERS", "OPTIM_WRAPPERS", "OPTIM_WRAPPER_CONSTRUCTORS", "PARAM_SCHEDULERS",
    "TRANSFORMS", "VISBACKENDS", "VISUALIZERS",
]
