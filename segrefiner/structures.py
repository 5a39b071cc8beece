"""RefineDataSample: what flows between datasets, the model and metrics.

Fields (all optional, set by whoever knows them):
- ``gt_mask``: (1, H, W) uint8 {0,1} ground truth (training / evaluation).
- ``coarse_mask``: (1, H, W) uint8 {0,1} coarse mask (training, semantic path).
- ``coarse_masks``: (N, H, W) uint8 {0,1} coarse instance masks (instance path).
- ``pred_mask`` / ``pred_masks``: the refined counterparts, same shapes, uint8 {0,1}.
Meta information (``img_path``, ``ori_shape``, ``img_id``, ``scores``, ...) lives in
``metainfo``.
"""
from mmengine.structures import BaseDataElement


class RefineDataSample(BaseDataElement):
    """A data sample of segmentation refinement (see the module docstring)."""
