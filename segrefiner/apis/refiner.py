"""Refiner: the Python API. Load a model once, then refine many masks.

    from segrefiner.apis import Refiner
    refiner = Refiner()                          # the bundled model, on the CPU
    refined = refiner.refine(image, coarse)      # (H, W) uint8 {0, 1}
    refined = refiner.refine_instances(image, masks)  # (N, H, W) uint8 {0, 1}

image: (H, W, 3) uint8 RGB (a grey (H, W) image is accepted); masks: (H, W) or
(N, H, W), bool, 0/1, 0/255 or 16-bit (binarised at half the dtype's range).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config

from segrefiner.datasets.io import binarize_mask
from segrefiner.models.segrefiner import SEMANTIC, SegRefiner
from segrefiner.registry import MODELS
from segrefiner.utils.checkpoint import load_weights
from segrefiner.utils.errors import UserError, check_whole, is_whole
from segrefiner.utils.precision import NO_BF16_KERNELS, autocast, fast_dtype

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = PACKAGE_ROOT / "checkpoints" / "segrefiner_compact.py"
DEFAULT_CHECKPOINT = PACKAGE_ROOT / "checkpoints" / "segrefiner_compact.pth"


def check_image(image: np.ndarray, source: str = "image") -> np.ndarray:
    """Validate an image -> (H, W, 3) uint8 RGB (grey is replicated, alpha dropped),
    C-contiguous and writable (a copy where the input is read-only)."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise UserError(f"{source}: expected an (H, W, 3) RGB image, got shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise UserError(f"{source}: the image is empty")
    image = image[:, :, :3]
    if image.dtype != np.uint8:
        if image.dtype.kind == "f" and not np.isfinite(image).all():
            raise UserError(f"{source}: image holds NaN or infinite values")
        if image.dtype.kind not in "fiu":
            raise UserError(f"{source}: unsupported image dtype {image.dtype}")
        top = 1.0 if image.dtype.kind == "f" and image.max(initial=0) <= 1 else 255.0
        if image.dtype == np.uint16:
            top = 65535.0
        image = np.clip(image.astype(np.float64) / top * 255 + 0.5, 0, 255).astype(np.uint8)
    return np.require(image, requirements=("C", "W"))


def check_masks(masks: np.ndarray, shape: tuple[int, int], source: str = "mask") -> np.ndarray:
    """Validate (H, W) or (N, H, W) masks of an image of ``shape`` -> bool, same rank,
    C-contiguous and writable (a copy where the input is read-only, e.g. from a PIL image).

    A colour mask (H, W, 3|4) counts as one (H, W) mask.
    """
    return np.require(_binarize_masks(np.asarray(masks), shape, source), bool, ("C", "W"))


def _binarize_masks(masks: np.ndarray, shape: tuple[int, int], source: str) -> np.ndarray:
    colour = masks.ndim == 3 and masks.shape[:2] == tuple(shape) and masks.shape[2] in (3, 4)
    if colour and masks.shape[-2:] != tuple(shape):
        return binarize_mask(masks, source)
    if masks.ndim not in (2, 3):
        raise UserError(f"{source}: expected (H, W) or (N, H, W) masks, got shape {masks.shape}")
    if masks.shape[-2:] != tuple(shape):
        raise UserError(f"{source}: mask size {masks.shape[-1]}x{masks.shape[-2]} differs from "
                        f"the image {shape[1]}x{shape[0]}")
    if masks.ndim == 2:
        return binarize_mask(masks, source)
    return np.array([binarize_mask(m, source) for m in masks], dtype=bool).reshape(masks.shape)


class Refiner:
    """Loads a SegRefiner once; ``refine`` (whole image) and ``refine_instances``.

    Args:
        config: model config (default: the bundled compact model's).
        checkpoint: weights, a released state_dict or the project's checkpoint (default:
            the bundled one).
        device: 'cpu', 'cuda', 'cuda:1', ...
        steps: run only the first N diffusion steps, 1..T (``refine_instances`` only;
            ``refine`` refuses it: the semantic path has its own schedule; default all).
        model_size: the model's input size (default the config's).
        batch_size: crops / patches per forward (default the config's batch_max).
        fast: opt-in lower precision (fp16 autocast on GPU, bf16 on CPUs with bf16
            kernels; fp32 with a warning on other CPUs, where bf16 would be slower).
        seed: seed of the sampling noise (None: torch's global generator).
        passes: ``refine`` runs this many times, each pass refining the last one's result
            (default 1, the published method; 2 sharpens boundaries of rough masks and
            costs IoU on accurate ones, see checkpoints/MODEL_CARD.md; N times the time).
        trust_checkpoint: allow a checkpoint that needs pickle beyond plain weights.
    """

    def __init__(self, config: str | Path | None = None, checkpoint: str | Path | None = None,
                 device: str = "cpu", *, steps: int | None = None, model_size: int | None = None,
                 batch_size: int | None = None, fast: bool = False, seed: int | None = 0,
                 passes: int = 1, trust_checkpoint: bool = False) -> None:
        check_whole("passes", passes)
        config = Path(config) if config else DEFAULT_CONFIG
        checkpoint = Path(checkpoint) if checkpoint else DEFAULT_CHECKPOINT
        if not config.is_file():
            raise UserError(f"{config}: no such config file")
        cfg = Config.fromfile(str(config))
        try:
            self.device = torch.device(device)
            if self.device.type == "cuda" and not torch.cuda.is_available():
                raise UserError(f"device {device!r}: CUDA is not available on this machine")
        except RuntimeError as err:
            raise UserError(f"device {device!r}: {err}") from None
        model: SegRefiner = MODELS.build(cfg.model)
        if steps is not None:
            check_whole("steps", steps, maximum=model.diffusion.num_timesteps)
        if batch_size is not None:
            check_whole("batch_size", batch_size)
        divisor = model.denoise_model.size_divisor
        size = model.test_cfg.get("model_size", 256) if model_size is None else model_size
        if not is_whole(size) or size % divisor:
            raise UserError(f"model_size must be a positive multiple of {divisor}, got {size!r}")
        load_weights(model, checkpoint, strict=True, trust=trust_checkpoint)
        self.model = model.to(self.device).prepare_for_refinement()
        overrides = dict(steps=steps, model_size=model_size, batch_max=batch_size)
        self.model.test_cfg.update({k: v for k, v in overrides.items() if v is not None})
        self.steps = steps
        self.fast = fast
        self.seed = seed
        self.passes = passes
        self.config_path, self.checkpoint_path = config, checkpoint

    @property
    def fast(self) -> bool:
        """Fast mode on or off (may be switched between calls)."""
        return self._fast

    @fast.setter
    def fast(self, value: bool) -> None:
        self._fast = bool(value)
        if self._fast and self.autocast_dtype is None:
            warnings.warn(f"fast mode: {NO_BF16_KERNELS}", stacklevel=3)

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        """The dtype refinement autocasts to; None: fp32 (exact mode, or fast mode on a
        CPU without bf16 kernels)."""
        return fast_dtype(self.device) if self._fast else None

    # ------------------------------------------------------------------ helpers
    def _autocast(self):
        return autocast(self.device, self.autocast_dtype)

    def _reseed(self) -> None:
        if self.seed is not None:
            from segrefiner.diffusion import TorchNoise
            self.model.noise = TorchNoise(seed=self.seed, device=self.device)

    def _tensor(self, image: np.ndarray) -> torch.Tensor:
        img = torch.from_numpy(image).permute(2, 0, 1)[None].to(self.device)
        return self.model.data_preprocessor.normalize(img)

    # ---------------------------------------------------------------------- API
    @torch.inference_mode()
    def refine(self, image: np.ndarray, mask: np.ndarray,
               on_step: Callable[[int, np.ndarray], None] | None = None) -> np.ndarray:
        """Refine one whole-image mask (global + local, any size) -> (H, W) uint8 {0, 1}.

        ``on_step(t, mask)`` receives the global pass's mask after each step
        ((S, S) float in [0, 1]), e.g. to draw the diffusion steps (of every pass).
        """
        if self.steps is not None:
            raise UserError("steps applies to refine_instances; refine runs the published "
                            "global + local schedule")
        image = check_image(image)
        coarse = check_masks(mask, image.shape[:2])
        if coarse.ndim != 2:
            raise UserError("refine takes one (H, W) mask; use refine_instances for several")
        if coarse.all():
            return np.ones(coarse.shape, np.uint8)
        callback = None
        if on_step is not None:
            def callback(t: int, x: torch.Tensor) -> None:
                on_step(t, x[0, 0].float().cpu().numpy())
        saved_mode = self.model.test_cfg.get("mode")
        self.model.test_cfg["mode"] = SEMANTIC
        try:
            img = self._tensor(image)
            out = torch.from_numpy(coarse).to(self.device)
            for _ in range(self.passes):
                if bool(out.all()):
                    break
                self._reseed()
                with self._autocast():
                    out = self.model.refine_semantic(img, out, on_step=callback)
        finally:
            self.model.test_cfg["mode"] = saved_mode
        return out.cpu().numpy().astype(np.uint8)

    @torch.inference_mode()
    def refine_instances(self, image: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """Refine N instance masks of one image -> (N, H, W) uint8 {0, 1}.

        Instances smaller than the config's ``area_thr`` (512 px) are returned unchanged.
        """
        image = check_image(image)
        coarse = check_masks(masks, image.shape[:2])
        if coarse.ndim == 2:
            coarse = coarse[None]
        if len(coarse) == 0:
            return np.zeros((0, *image.shape[:2]), np.uint8)
        self._reseed()
        with self._autocast():
            out = self.model.refine_instances(self._tensor(image),
                                              torch.from_numpy(coarse).to(self.device))
        return out.cpu().numpy().astype(np.uint8)
