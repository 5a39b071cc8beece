"""Datasets (official layouts and custom folders) and their transforms."""
from segrefiner.datasets import transforms  # noqa: F401  (registers the transforms)
from segrefiner.datasets.datasets import (
    BIGDataset,
    COCOResultsDataset,
    DISDataset,
    FolderRefineDataset,
    HRCollectionDataset,
    LVISRefineDataset,
)

__all__ = [
    "BIGDataset", "COCOResultsDataset", "DISDataset",
    "FolderRefineDataset", "HRCollectionDataset", "LVISRefineDataset",
]
