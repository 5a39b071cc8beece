"""Data transforms (loading, coarse-mask generation, crops, resize, flip, packing)."""
from segrefiner.datasets.transforms.transforms import (
    ChooseCoarseVariant,
    GenerateCoarseMask,
    LoadImage,
    LoadMask,
    PackRefineInputs,
    RandomHorizontalFlip,
    RandomObjectCrop,
    RandomPatchCrop,
    ResizeTo,
    SampleInstance,
)

__all__ = [
    "ChooseCoarseVariant", "GenerateCoarseMask", "LoadImage", "LoadMask", "PackRefineInputs",
    "RandomHorizontalFlip", "RandomObjectCrop", "RandomPatchCrop", "ResizeTo", "SampleInstance",
]
