"""Data transforms (loading, coarse-mask generation, crops, resize, flip, packing)."""
from segrefiner.datasets.transforms.transforms import (
    ChooseCoarseVariant,
    DecodeCoarseInstances,
    GenerateCoarseMask,
    LoadImage,
    LoadMask,
    PackRefineInputs,
    PhotometricJitter,
    RandomCrop,
    RandomHorizontalFlip,
    RandomObjectCrop,
    RandomPatchCrop,
    ResizeTo,
    SampleInstance,
)

__all__ = [
    "ChooseCoarseVariant", "DecodeCoarseInstances", "GenerateCoarseMask", "LoadImage",
    "LoadMask", "PackRefineInputs", "PhotometricJitter", "RandomCrop",
    "RandomHorizontalFlip", "RandomObjectCrop", "RandomPatchCrop", "ResizeTo", "SampleInstance",
]
