"""Training / test transforms (mmcv ``BaseTransform``: ``transform(results) -> results``).

``results`` keys: ``img`` (H, W, 3) uint8 RGB, ``gt_mask`` / ``coarse_mask`` (H, W)
uint8 {0,1}, ``coarse_masks`` (N, H, W) uint8 {0,1} for instances, plus paths and meta.
Random transforms draw from numpy's global generator, which mmengine seeds per worker
(``randomness=dict(seed=...)``), so a seed fixes every sample.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from segrefiner.datasets.coarse_masks import make_coarse_mask, perturb_mask, smooth_mask
from segrefiner.datasets.io import read_image, read_mask, segmentation_to_mask
from segrefiner.registry import TRANSFORMS
from segrefiner.structures import RefineDataSample
from segrefiner.utils.boxes import mask_box
from segrefiner.utils.errors import UserError


def _rng() -> np.random.Generator:
    """A Generator seeded from numpy's global state (deterministic under mmengine seeds)."""
    return np.random.default_rng(np.random.randint(0, 2**31 - 1))


@TRANSFORMS.register_module()
class LoadImage(BaseTransform):
    """``img_path`` -> ``img`` (H, W, 3) uint8 RGB, ``ori_shape`` (H, W)."""

    def transform(self, results: dict) -> dict:
        results["img"] = read_image(results["img_path"])
        results["ori_shape"] = results["img"].shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadMask(BaseTransform):
    """``<key>_path`` -> ``<key>`` (H, W) uint8 {0,1} (binarised at half range).

    With ``optional=True`` a sample without ``<key>_path`` passes unchanged (test sets
    whose ground truth may be absent).
    """

    def __init__(self, key: str = "gt_mask", optional: bool = False) -> None:
        self.key, self.optional = key, optional

    def transform(self, results: dict) -> dict:
        if self.optional and f"{self.key}_path" not in results:
            return results
        mask = read_mask(results[f"{self.key}_path"])
        if "img" in results and mask.shape != results["img"].shape[:2]:
            raise UserError(f"{results[f'{self.key}_path']}: mask size {mask.shape[::-1]} differs "
                            f"from its image {results['img'].shape[1::-1]}")
        results[self.key] = mask.astype(np.uint8)
        return results


@TRANSFORMS.register_module()
class DecodeCoarseInstances(BaseTransform):
    """``segmentations`` (RLE or polygons) -> ``coarse_masks`` (N, H, W) uint8 {0,1}."""

    def transform(self, results: dict) -> dict:
        h, w = results["img"].shape[:2]
        masks = []
        for seg in results["segmentations"]:
            mask = segmentation_to_mask(seg, h, w)
            if mask.shape != (h, w):
                raise UserError(f"{results['img_path']}: a detection mask is {mask.shape[::-1]}, "
                                f"the image {w}x{h}")
            masks.append(mask)
        stacked = np.stack(masks) if masks else np.zeros((0, h, w))
        results["coarse_masks"] = stacked.astype(np.uint8)
        return results


@TRANSFORMS.register_module()
class ChooseCoarseVariant(BaseTransform):
    """Pick ``coarse_mask_path`` among ``coarse_mask_paths`` (HR: plain or expanded, p=0.5)."""

    def transform(self, results: dict) -> dict:
        paths = results["coarse_mask_paths"]
        results["coarse_mask_path"] = paths[np.random.randint(len(paths))]
        return results


@TRANSFORMS.register_module()
class SampleInstance(BaseTransform):
    """Pick one instance of ``instances`` at random and decode it as ``gt_mask``.

    Each instance holds a COCO ``segmentation`` (polygons or RLE) of the image.
    """

    def transform(self, results: dict) -> dict:
        h, w = results["img"].shape[:2]
        inst = results["instances"][np.random.randint(len(results["instances"]))]
        results["gt_mask"] = segmentation_to_mask(inst["segmentation"], h, w)
        return results


@TRANSFORMS.register_module()
class GenerateCoarseMask(BaseTransform):
    """``gt_mask`` -> online ``coarse_mask`` (contour modification + dilate / erode).

    With probability ``mild_prob`` (0: the official generator) a sample gets a mildly
    wrong mask instead, stopping at an IoU with the GT drawn uniformly from
    ``mild_iou_target`` (low, high), of a kind drawn uniformly from ``mild_kinds``:
    ``'dilate_erode'`` (the random dilate / erode rounds without contour modification)
    or ``'smooth'`` (blur and threshold, :func:`smooth_mask`: what a model predicting at
    a lower resolution gets wrong), or ``'identity'`` (the accurate mask itself; its IoU
    target is not used). So a model also learns to leave nearly right masks alone.
    Retries (up to ``max_tries``) when the perturbation wipes the object out.

    ``iou_target`` may be a (low, high) range, drawn uniformly per sample (CRM /
    CascadePSP: (0.8, 1.0)); ``retrieval`` and ``run_start`` choose the contour
    modification's variant (:func:`modify_contours`; CRM: ``'list'``, ``'closest'``).
    """

    MILD_KINDS = ("dilate_erode", "smooth", "identity")

    def __init__(self, iou_target: float | tuple[float, float] = 0.8, max_rounds: int = 250,
                 max_tries: int = 3, mild_prob: float = 0.0,
                 mild_iou_target: tuple[float, float] = (0.95, 0.99),
                 mild_kinds: tuple[str, ...] = ("dilate_erode",), retrieval: str = "tree",
                 run_start: str = "uniform") -> None:
        self.retrieval, self.run_start = retrieval, run_start
        low, high = mild_iou_target
        if not 0 <= mild_prob <= 1 or not 0 < low <= high <= 1:
            raise ValueError(f"mild_prob must be in [0, 1] and mild_iou_target a (low, high) "
                             f"range in (0, 1], got {mild_prob!r}, {mild_iou_target!r}")
        unknown = set(mild_kinds) - set(self.MILD_KINDS)
        if not mild_kinds or unknown:
            raise ValueError(f"mild_kinds must be a non-empty subset of {self.MILD_KINDS}, "
                             f"got {mild_kinds!r}")
        self.iou_target, self.max_rounds, self.max_tries = iou_target, max_rounds, max_tries
        self.mild_prob, self.mild_iou_target = mild_prob, (float(low), float(high))
        self.mild_kinds = tuple(mild_kinds)

    def _coarse_mask(self, gt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        # No draw at all when off, so mild_prob=0 keeps the official random stream.
        if self.mild_prob > 0 and rng.random() < self.mild_prob:
            iou_target = float(rng.uniform(*self.mild_iou_target))
            # One kind: no draw, so a single-kind config keeps its random stream.
            kind = (self.mild_kinds[0] if len(self.mild_kinds) == 1
                    else self.mild_kinds[int(rng.integers(len(self.mild_kinds)))])
            if kind == "identity":
                return gt.astype(np.uint8)
            if kind == "smooth":
                return smooth_mask(gt, rng, iou_target)
            return perturb_mask(gt.astype(np.uint8), rng, iou_target, self.max_rounds)
        iou_target = self.iou_target
        if not isinstance(iou_target, int | float):
            iou_target = float(rng.uniform(*iou_target))
        return make_coarse_mask(gt, rng, iou_target, self.max_rounds, self.retrieval,
                                self.run_start)

    def transform(self, results: dict) -> dict:
        rng = _rng()
        coarse = None
        for _ in range(self.max_tries):
            coarse = self._coarse_mask(results["gt_mask"], rng)
            if coarse.any():
                break
        results["coarse_mask"] = coarse
        return results


def _crop(results: dict, box: tuple[int, int, int, int]) -> None:
    x1, y1, x2, y2 = box
    for key in ("img", "gt_mask", "coarse_mask"):
        if key in results:
            results[key] = np.ascontiguousarray(results[key][y1:y2, x1:x2])
    results["crop_box"] = box


@TRANSFORMS.register_module()
class RandomObjectCrop(BaseTransform):
    """The "double random crop" around the GT object.

    The object's box is padded by ``pad`` pixels (clamped to the image). With
    probability ``whole_prob`` the crop contains the whole padded box and extends
    randomly towards the image border; otherwise it is a random window inside the
    padded box, at least ``min_part`` of its width and height, holding some foreground.
    """

    def __init__(self, pad: int = 40, whole_prob: float = 0.5, min_part: float = 0.5) -> None:
        self.pad, self.whole_prob, self.min_part = pad, whole_prob, min_part

    def transform(self, results: dict) -> dict:
        h, w = results["gt_mask"].shape
        box = mask_box(results["gt_mask"])
        if box is None:
            return results
        x1, y1 = max(0, box[0] - self.pad), max(0, box[1] - self.pad)
        x2, y2 = min(w, box[2] + self.pad), min(h, box[3] + self.pad)
        if np.random.rand() < self.whole_prob:
            crop = (np.random.randint(0, x1 + 1), np.random.randint(0, y1 + 1),
                    np.random.randint(x2, w + 1), np.random.randint(y2, h + 1))
        else:
            crop = self._partial(results["gt_mask"], (x1, y1, x2, y2))
        _crop(results, crop)
        return results

    def _partial(self, gt: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, ...]:
        x1, y1, x2, y2 = box
        bw, bh = x2 - x1, y2 - y1
        for _ in range(10):
            cw = np.random.randint(max(1, int(bw * self.min_part)), bw + 1)
            ch = np.random.randint(max(1, int(bh * self.min_part)), bh + 1)
            cx, cy = x1 + np.random.randint(0, bw - cw + 1), y1 + np.random.randint(0, bh - ch + 1)
            if gt[cy:cy + ch, cx:cx + cw].any():
                return cx, cy, cx + cw, cy + ch
        return box


@TRANSFORMS.register_module()
class RandomPatchCrop(BaseTransform):
    """HR-style crop: with probability ``patch_prob`` a ``size`` x ``size`` full-resolution
    patch holding both foreground and background (centred near a GT boundary pixel);
    otherwise (or when no such patch fits) a :class:`RandomObjectCrop`."""

    def __init__(self, size: int = 256, patch_prob: float = 0.5, max_tries: int = 20,
                 object_crop: dict | None = None) -> None:
        self.size, self.patch_prob, self.max_tries = size, patch_prob, max_tries
        self.object_crop = RandomObjectCrop(**(object_crop or {}))

    def transform(self, results: dict) -> dict:
        gt = results["gt_mask"]
        h, w = gt.shape
        if np.random.rand() < self.patch_prob and h >= self.size and w >= self.size:
            edges = cv2.morphologyEx(gt, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
            ys, xs = np.nonzero(edges)
            for _ in range(self.max_tries if len(xs) else 0):
                i = np.random.randint(len(xs))
                x1 = int(np.clip(xs[i] - np.random.randint(self.size), 0, w - self.size))
                y1 = int(np.clip(ys[i] - np.random.randint(self.size), 0, h - self.size))
                patch = gt[y1:y1 + self.size, x1:x1 + self.size]
                if 0 < patch.sum() < patch.size:
                    _crop(results, (x1, y1, x1 + self.size, y1 + self.size))
                    return results
        return self.object_crop.transform(results)


@TRANSFORMS.register_module()
class RandomCrop(BaseTransform):
    """A random ``size`` x ``size`` crop of image and masks; a side shorter than ``size``
    is first padded with zeros on both sides (torchvision's ``pad_if_needed``, fill 0)."""

    def __init__(self, size: int = 224) -> None:
        self.size = size

    def transform(self, results: dict) -> dict:
        h, w = results["img"].shape[:2]
        pad_y, pad_x = max(0, self.size - h), max(0, self.size - w)
        if pad_y or pad_x:
            for key in ("img", "gt_mask", "coarse_mask"):
                if key in results:
                    value = results[key]
                    widths = [(pad_y // 2, pad_y - pad_y // 2), (pad_x // 2, pad_x - pad_x // 2)]
                    widths += [(0, 0)] * (value.ndim - 2)
                    results[key] = np.pad(value, widths)
            h, w = h + pad_y, w + pad_x
        y1 = np.random.randint(h - self.size + 1)
        x1 = np.random.randint(w - self.size + 1)
        _crop(results, (x1, y1, x1 + self.size, y1 + self.size))
        return results


@TRANSFORMS.register_module()
class PhotometricJitter(BaseTransform):
    """Colour jitter of the image (masks unchanged): brightness, contrast and saturation
    factors drawn from [1 - a, 1 + a] in random order (torchvision ``ColorJitter``
    semantics, hue not supported), then greyscale with probability ``gray_prob``."""

    def __init__(self, brightness: float = 0.2, contrast: float = 0.05,
                 saturation: float = 0.05, gray_prob: float = 0.1) -> None:
        self.amounts = dict(brightness=brightness, contrast=contrast, saturation=saturation)
        self.gray_prob = gray_prob

    @staticmethod
    def _grey(img: np.ndarray) -> np.ndarray:
        return img @ np.array([0.299, 0.587, 0.114], np.float32)

    def transform(self, results: dict) -> dict:
        img = results["img"].astype(np.float32)
        for index in np.random.permutation(3):
            name = ("brightness", "contrast", "saturation")[index]
            amount = self.amounts[name]
            if amount <= 0:
                continue
            factor = np.random.uniform(1 - amount, 1 + amount)
            if name == "brightness":
                img = img * factor
            elif name == "contrast":
                mean = self._grey(img).mean()
                img = (img - mean) * factor + mean
            else:
                grey = self._grey(img)[..., None]
                img = (img - grey) * factor + grey
            img = np.clip(img, 0, 255)
        if np.random.rand() < self.gray_prob:
            img = np.repeat(self._grey(img)[..., None], 3, axis=2)
        results["img"] = np.clip(img + 0.5, 0, 255).astype(np.uint8)
        return results


@TRANSFORMS.register_module()
class ResizeTo(BaseTransform):
    """Resize to ``size`` x ``size`` (no aspect ratio): image bilinear, masks nearest."""

    def __init__(self, size: int = 256) -> None:
        self.size = size

    def transform(self, results: dict) -> dict:
        dsize = (self.size, self.size)
        results["img"] = cv2.resize(results["img"], dsize, interpolation=cv2.INTER_LINEAR)
        for key in ("gt_mask", "coarse_mask"):
            if key in results:
                results[key] = cv2.resize(results[key], dsize, interpolation=cv2.INTER_NEAREST)
        return results


@TRANSFORMS.register_module()
class RandomHorizontalFlip(BaseTransform):
    """Flip image and masks left-right with probability ``prob``."""

    def __init__(self, prob: float = 0.5) -> None:
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            for key in ("img", "gt_mask", "coarse_mask"):
                if key in results:
                    results[key] = np.ascontiguousarray(results[key][:, ::-1])
            results["flipped"] = True
        return results


META_KEYS = ("img_path", "gt_mask_path", "coarse_mask_path", "img_id", "ori_shape", "name",
             "crop_box", "flipped", "out_name")


@TRANSFORMS.register_module()
class PackRefineInputs(BaseTransform):
    """-> ``dict(inputs=(3, H, W) uint8 tensor, data_samples=RefineDataSample)``.

    Masks become uint8 tensors: ``gt_mask`` / ``coarse_mask`` (1, H, W),
    ``coarse_masks`` (N, H, W); ``scores``, ``labels``, ``bboxes`` pass through.
    """

    def transform(self, results: dict) -> dict:
        img = torch.from_numpy(np.ascontiguousarray(results["img"].transpose(2, 0, 1)))
        sample = RefineDataSample(metainfo={k: results[k] for k in META_KEYS if k in results})
        for key in ("gt_mask", "coarse_mask"):
            if key in results:
                setattr(sample, key, torch.from_numpy(results[key].astype(np.uint8))[None])
        if "coarse_masks" in results:
            sample.coarse_masks = torch.from_numpy(results["coarse_masks"].astype(np.uint8))
        for key in ("scores", "labels", "bboxes"):
            if key in results:
                setattr(sample, key, torch.as_tensor(np.asarray(results[key])))
        return dict(inputs=img, data_samples=sample)
