"""Reference-exact metric functions (numpy / OpenCV only)."""
from segrefiner.evaluation.functional.boundary import boundary_width, mask_to_boundary
from segrefiner.evaluation.functional.iou import (
    cumulative_iou,
    intersection_union,
    mask_iou,
)
from segrefiner.evaluation.functional.mba import boundary_accuracy, mba_radii

__all__ = [
    "boundary_accuracy", "boundary_width", "cumulative_iou", "intersection_union",
    "mask_iou", "mask_to_boundary", "mba_radii",
]
