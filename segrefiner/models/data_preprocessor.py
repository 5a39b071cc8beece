"""Normalises images (RGB, ImageNet mean/std) and moves a batch to the model's device."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from mmengine.model import BaseDataPreprocessor

from segrefiner.registry import MODELS

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


@MODELS.register_module()
class RefinerDataPreprocessor(BaseDataPreprocessor):
    """``dict(inputs=[(3,H,W) uint8 RGB], data_samples=[...])`` -> normalised float batch.

    ``inputs`` becomes a (B, 3, H, W) float tensor when all images have one size, else a
    list of (1, 3, H, W) tensors (refinement runs image by image).

    Normalisation: ``(img / scale - mean) / std`` in float32; ``scale`` 1 (SegRefiner:
    mean / std in 0..255 units) or 255 (CRM: ``ToTensor`` then ``Normalize`` with mean / std
    in 0..1 units; the same values up to float rounding, which CRM's outputs are
    sensitive to).
    """

    def __init__(self, mean: Sequence[float] = IMAGENET_MEAN,
                 std: Sequence[float] = IMAGENET_STD, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = float(scale)
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    def normalize(self, img: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) RGB in [0, 255] -> normalised float32 (a new tensor, computed in
        place: one image-sized allocation, which a 4K image's refinement notices)."""
        img = img.to(torch.float32, copy=True)
        if self.scale != 1:
            img.div_(self.scale)
        return img.sub_(self.mean).div_(self.std)

    def image_tensor(self, image: np.ndarray) -> torch.Tensor:
        """(H, W, 3) uint8 RGB array -> (1, 3, H, W) normalised float32 on this module's
        device."""
        img = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None]
        return self.normalize(img.to(self.mean.device))

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        images = data["inputs"]
        if isinstance(images, torch.Tensor):
            images = list(images) if images.dim() == 4 else [images]
        if len({tuple(img.shape) for img in images}) == 1:
            inputs = self.normalize(torch.stack(images))
        else:
            inputs = [self.normalize(img[None]) for img in images]
        return dict(inputs=inputs, data_samples=data.get("data_samples"))
