"""Pixel operations on (H, W) bool masks shared by the refinement paths."""
from __future__ import annotations

import cv2
import numpy as np
import torch

CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))  # a pixel and its 4-neighbours


def mask_boundary(mask: torch.Tensor) -> torch.Tensor:
    """(H, W) bool: pixels of the (H, W) bool mask with a 4-neighbour of the other value
    (edges replicated: the image border is no boundary). OpenCV: where the largest and
    the smallest value over a pixel and its 4-neighbours differ."""
    pixels = mask.to("cpu", torch.uint8).numpy()
    largest = cv2.dilate(pixels, CROSS, borderType=cv2.BORDER_REPLICATE)
    smallest = cv2.erode(pixels, CROSS, borderType=cv2.BORDER_REPLICATE)
    return torch.from_numpy(largest != smallest).to(mask.device)


def dilate_square(mask: torch.Tensor, radius: int) -> torch.Tensor:
    """(H, W) bool: pixels with a True pixel of the (H, W) bool mask within ``radius`` in
    both axes (a square window; OpenCV's dilation, a few ms at 4096x2160)."""
    kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    dilated = cv2.dilate(mask.to("cpu", torch.uint8).numpy(), kernel)
    return torch.from_numpy(dilated).to(mask.device, torch.bool)
