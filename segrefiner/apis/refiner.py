"""Refiner: the Python API. Load a model once, then refine many masks.

    from segrefiner.apis import Refiner
    refiner = Refiner()                                   # the bundled model, on the CPU
    refined = refiner.refine("photo.jpg", "coarse.png")   # (H, W) uint8 {0, 1}
    refined = refiner.refine(image, coarse, foreground_value=255)   # 0/255, cv2-ready
    refined, confidence = refiner.refine(image, coarse, return_confidence=True)
    refined = refiner.refine_instances(image, masks)      # (N, H, W) uint8 {0, 1}

Inputs: an image as an (H, W, 3) uint8 RGB array (grey (H, W) and RGBA accepted), a Pillow
image or a file path; masks as arrays ((H, W) or (N, H, W)), Pillow images or file paths,
binarised by the rules of :mod:`segrefiner.datasets.io` (bool, 0/1, 0/255, 16-bit,
colour, palette, alpha).

Outputs are uint8 {0, 1} by default: usable as a boolean index and in metrics directly,
and what ``refine_instances`` and COCO encoders take; ``foreground_value=255`` gives
0/255 masks ready to save as images.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from segrefiner.datasets.io import (
    binarize_mask,
    image_from_pil,
    mask_from_pil,
    read_image,
    read_mask,
)
from segrefiner.diffusion.process import prediction_confidence
from segrefiner.inference.mask_ops import dilate_square, mask_boundary
from segrefiner.inference.openvino_denoiser import (
    NO_OPENVINO,
    OpenVINODenoiser,
    openvino_installed,
)
from segrefiner.inference.semantic import MIN_FOREGROUND_PIXELS
from segrefiner.model_zoo import BUNDLED_CHECKPOINT, BUNDLED_CONFIG
from segrefiner.models.crm import CRM
from segrefiner.models.segrefiner import SegRefiner
from segrefiner.modes import SEMANTIC
from segrefiner.registry import MODELS
from segrefiner.runtimes import OPENVINO, RUNTIMES, TORCH
from segrefiner.utils.checkpoint import check_checkpoint_file, load_weights
from segrefiner.utils.config import read_config
from segrefiner.utils.device import resolve_device
from segrefiner.utils.errors import UserError, check_whole, is_whole
from segrefiner.utils.precision import NO_BF16_KERNELS, fast_dtype
from segrefiner.utils.progress import Progress

DEFAULT_CONFIG = BUNDLED_CONFIG
DEFAULT_CHECKPOINT = BUNDLED_CHECKPOINT
CONFIDENCE_BAND = 2  # px at model_size on each side of the global pass's boundary

ImageInput = np.ndarray | Image.Image | str | Path
MaskInput = np.ndarray | Image.Image | str | Path


def check_image(image: np.ndarray, source: str = "image") -> np.ndarray:
    """Validate an image array -> (H, W, 3) uint8 RGB (grey is replicated, alpha dropped),
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


def as_image(image: ImageInput, source: str = "image") -> np.ndarray:
    """An array, Pillow image or file path -> (H, W, 3) uint8 RGB (see :func:`check_image`)."""
    if isinstance(image, str | Path):
        return read_image(image)
    if isinstance(image, Image.Image):
        return check_image(image_from_pil(image), source)
    return check_image(image, source)


def check_masks(masks: np.ndarray, shape: tuple[int, int], source: str = "mask") -> np.ndarray:
    """Validate (H, W) or (N, H, W) masks of an image of ``shape`` -> bool, same rank,
    C-contiguous and writable (a copy where the input is read-only, e.g. from a PIL image).

    A colour mask (H, W, 2|3|4) counts as one (H, W) mask.
    """
    return np.require(_binarize_masks(np.asarray(masks), shape, source), bool, ("C", "W"))


def _binarize_masks(masks: np.ndarray, shape: tuple[int, int], source: str) -> np.ndarray:
    colour = masks.ndim == 3 and masks.shape[:2] == tuple(shape) and masks.shape[2] in (2, 3, 4)
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


def as_masks(masks: MaskInput, shape: tuple[int, int], source: str = "mask") -> np.ndarray:
    """An array, Pillow image or file path -> bool masks of an image of ``shape`` (see
    :func:`check_masks`)."""
    if isinstance(masks, str | Path):
        source, masks = str(masks), read_mask(masks)
    elif isinstance(masks, Image.Image):
        masks = mask_from_pil(masks, source)
    return check_masks(masks, shape, source)


def boundary_confidence(prob: torch.Tensor, band: int = CONFIDENCE_BAND) -> float:
    """Mean per-pixel confidence ``2 |p - 0.5|`` of an (S, S) fine-mask probability over
    the pixels within ``band`` of its 0.5 boundary (over all pixels when it has none):
    in [0, 1], 1 when the network is sure of every boundary pixel."""
    prob = prob.float()
    boundary = mask_boundary(prob >= 0.5)
    region = dilate_square(boundary, band) if bool(boundary.any()) else torch.ones_like(boundary)
    return float(prediction_confidence(prob)[region].mean())


def check_diffusion_settings(model: SegRefiner, steps: int | None, model_size: int | None,
                             batch_size: int | None) -> None:
    """UserError for steps / model_size / batch_size that a SegRefiner cannot take."""
    if steps is not None:
        check_whole("steps", steps, maximum=model.diffusion.max_steps)
    if batch_size is not None:
        check_whole("batch_size", batch_size)
    divisor = model.denoise_model.size_divisor
    size = model.test_cfg.get("model_size", 256) if model_size is None else model_size
    if not is_whole(size) or size % divisor:
        raise UserError(f"model_size must be a positive multiple of {divisor}, got {size!r}")


class Refiner:
    """Loads a refiner model (SegRefiner or CRM) once; ``refine`` (whole image) and
    ``refine_instances``.

    Args:
        config: model config (default: the bundled compact SegRefiner's; a CRM config,
            ``configs/crm/``, gives CRM, which takes no steps / model_size / batch_size).
        checkpoint: weights, a released state_dict or the project's checkpoint (default:
            the bundled one).
        device: 'cpu', 'cuda', 'cuda:1', ...
        steps: run only the first N diffusion steps, 1..T (``refine_instances`` only;
            ``refine`` refuses it: the semantic path has its own schedule; default all).
        model_size: the model's input size (default the config's).
        batch_size: crops / patches per sampler chunk (default the config's).
        fast: the fast mode: lower precision (fp16 autocast on GPU, bf16 on CPUs with
            bf16 kernels; fp32 on other CPUs, where bf16 would be slower, with a warning
            when asked for) and the config's ``fast_test_cfg`` settings (the bundled
            model: fewer local patches), within 0.003 IoU / mBA of the exact mode on the
            real sets (grabcut, berkeley: means over three sampling seeds;
            docs/model_zoo.md). False: the exact mode. None (default): the config's
            ``fast_on_cpu`` on a CPU (the bundled model's: fast), else exact.
        runtime: what runs SegRefiner's denoiser: 'torch' (default) or 'openvino' (CPU
            only, ``pip install openvino``; bf16 in fast mode, f32 otherwise; where
            openvino is not installed, torch with a warning). See
            :mod:`segrefiner.inference.openvino_denoiser`.
        seed: seed of the sampling noise (None: torch's global generator).
        passes: ``refine`` runs this many times, each pass refining the last one's result
            (default 1, the published method; 2 sharpens boundaries of rough masks and
            costs IoU on accurate ones, see docs/model_zoo.md; N times the time).
        progress: show a progress bar on stderr for each call (default off).
        trust_checkpoint: allow a checkpoint that needs pickle beyond plain weights.
    """

    def __init__(self, config: str | Path | None = None, checkpoint: str | Path | None = None,
                 device: str = "cpu", *, steps: int | None = None, model_size: int | None = None,
                 batch_size: int | None = None, fast: bool | None = None,
                 seed: int | None = 0,
                 passes: int = 1, progress: bool = False, runtime: str = TORCH,
                 trust_checkpoint: bool = False) -> None:
        check_whole("passes", passes)
        if runtime not in RUNTIMES:
            raise UserError(f"runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
        config = Path(config) if config else DEFAULT_CONFIG
        checkpoint = Path(checkpoint) if checkpoint else DEFAULT_CHECKPOINT
        # Everything that can be checked cheaply is checked before the model is built.
        self.device = resolve_device(device)
        check_checkpoint_file(checkpoint)
        cfg = read_config(config)
        if "model" not in cfg:
            raise UserError(f"{config}: has no model")
        model: SegRefiner | CRM = MODELS.build(cfg.model)
        if isinstance(model, SegRefiner):
            check_diffusion_settings(model, steps, model_size, batch_size)
        else:
            given = [name for name, value in (("steps", steps), ("model_size", model_size),
                                              ("batch_size", batch_size)) if value is not None]
            if given:
                raise UserError(f"{config}: {type(model).__name__} refines at any size without "
                                f"diffusion steps; {', '.join(given)} does not apply")
        try:
            load_weights(model, checkpoint, strict=True, trust=trust_checkpoint)
        except UserError as err:
            if checkpoint == DEFAULT_CHECKPOINT and config != DEFAULT_CONFIG:
                raise UserError(f"{err}; {config} needs its own weights: give a checkpoint "
                                "with it (--checkpoint)") from None
            raise
        self.model = model.to(self.device).prepare_for_refinement()
        self.runtime = self._use_runtime(runtime, config)
        overrides = dict(steps=steps, model_size=model_size, batch_size=batch_size)
        self.model.override_test_cfg({k: v for k, v in overrides.items() if v is not None})
        if batch_size is not None:
            self.model.test_cfg.pop("batch_max", None)  # the official spelling of batch_size
        self.steps = steps
        self.fast_by_default = self.device.type == "cpu" and bool(cfg.get("fast_on_cpu", False))
        self.fast = fast
        self.seed = seed
        self.passes = passes
        self.progress = progress
        self.config_path, self.checkpoint_path = config, checkpoint

    @property
    def fast(self) -> bool:
        """Fast mode on or off (may be switched between calls; None: the default,
        ``fast_by_default``)."""
        return self._fast

    @fast.setter
    def fast(self, value: bool | None) -> None:
        self._fast = self.fast_by_default if value is None else bool(value)
        if value and self.autocast_dtype is None:
            warnings.warn(f"fast mode: {NO_BF16_KERNELS}", stacklevel=3)

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        """The dtype refinement autocasts to; None: fp32 (exact mode, or fast mode on a
        CPU without bf16 kernels)."""
        return fast_dtype(self.device) if self._fast else None

    # ------------------------------------------------------------------ helpers
    def _use_runtime(self, runtime: str, config: Path) -> str:
        """Set the model's denoiser runtime; returns the runtime that runs it."""
        if runtime == TORCH:
            return runtime
        if not isinstance(self.model, SegRefiner):
            raise UserError(f"{config}: runtime {runtime} runs SegRefiner's denoiser; "
                            f"{type(self.model).__name__} runs with torch")
        if self.device.type != "cpu":
            raise UserError(f"runtime {runtime} runs on the CPU, not {self.device}")
        if not openvino_installed():
            warnings.warn(NO_OPENVINO, stacklevel=3)
            return TORCH
        assert runtime == OPENVINO
        self.model.runtime_denoiser = OpenVINODenoiser(self.model.denoise_model)
        return runtime

    @contextmanager
    def _refining(self, mode: str | None = None) -> Iterator[None]:
        """One call's settings: the mode's autocast, and the model's test_cfg with, in
        fast mode, ``fast_test_cfg``'s entries over it and ``mode`` if given; test_cfg is
        restored afterwards."""
        saved = self.model.test_cfg
        settings = {**saved, **(self.model.fast_test_cfg if self._fast else {})}
        if mode is not None:
            settings["mode"] = mode
        self.model.test_cfg = settings
        try:
            with self.model.refining_precision(self.autocast_dtype):
                yield
        finally:
            self.model.test_cfg = saved

    def _reseed(self) -> None:
        if self.seed is not None:
            from segrefiner.diffusion import TorchNoise
            self.model.noise = TorchNoise(seed=self.seed, device=self.device)

    def _tensor(self, image: np.ndarray) -> torch.Tensor:
        return self.model.data_preprocessor.image_tensor(image)

    def _progress(self, progress: bool | None, unit: str, total: int,
                  listener: Callable[[int, int], None] | None) -> Progress:
        return Progress("refine", total=total, unit=unit, leave=False, listener=listener,
                        enabled=self.progress if progress is None else progress)

    @staticmethod
    def _check_foreground(value: int) -> None:
        if value not in (1, 255):
            raise UserError(f"foreground_value must be 1 or 255, got {value!r}")

    def step_label(self, t: int) -> str:
        """The label of what ``refine``'s ``on_step(t, mask)`` received: ``step t=5``
        (SegRefiner's diffusion step) or ``scale 0.125`` (CRM's scale index t)."""
        return self.model.step_label(t)

    # ---------------------------------------------------------------------- API
    @torch.inference_mode()
    def refine(self, image: ImageInput, mask: MaskInput,
               on_step: Callable[[int, np.ndarray], None] | None = None, *,
               return_confidence: bool = False, foreground_value: int = 1,
               progress: bool | None = None,
               on_progress: Callable[[int, int], None] | None = None,
               ) -> np.ndarray | tuple[np.ndarray, float]:
        """Refine one whole-image mask (global + local pass, any size).

        Args:
            image, mask: arrays, Pillow images or file paths (module docstring).
            on_step: ``on_step(t, mask)`` receives the global pass's mask after each step
                ((S, S) float in [0, 1]), e.g. to draw the diffusion steps (every pass).
            return_confidence: also return the network's confidence in its boundary:
                the mean of ``2 |p - 0.5|`` of the last global step's probability within
                2 px (at model_size) of its boundary, in [0, 1] (of the last pass; NaN
                when the model did not run: a mask that fills the image, or one of at most
                128 pixels, is returned unchanged).
            foreground_value: 1 (default) or 255.
            progress: show a progress bar (default: the Refiner's ``progress``).
            on_progress: ``on_progress(done, total)`` as denoiser passes finish (global
                steps, then local patches; the total grows once the patches are known).

        Returns:
            (H, W) uint8 in {0, foreground_value}, or ``(mask, confidence)``.
        """
        self._check_foreground(foreground_value)
        if self.steps is not None:
            raise UserError("steps applies to refine_instances; refine runs the published "
                            "global + local schedule")
        image = as_image(image)
        coarse = as_masks(mask, image.shape[:2])
        if coarse.ndim != 2:
            raise UserError("refine takes one (H, W) mask; use refine_instances for several")
        last_prob: list[torch.Tensor] = []
        with self._refining(SEMANTIC):
            global_steps = self.model.progress_steps()
            bar = self._progress(progress, "pass", self.passes * global_steps, on_progress)

            def callback(t: int, x: torch.Tensor) -> None:
                last_prob[:] = [x[0, 0]]
                bar.advance()
                if on_step is not None:
                    on_step(t, x[0, 0].float().cpu().numpy())

            try:
                img = self._tensor(image)
                out = torch.from_numpy(coarse).to(self.device)
                patches_done = [0]  # patches of the passes before this one
                for i in range(self.passes):
                    if bool(out.all()) or int(out.sum()) <= MIN_FOREGROUND_PIXELS:
                        break  # nothing to refine; the semantic path would erase a tiny mask
                    self._reseed()
                    steps_done = (i + 1) * global_steps

                    def on_patches(done: int, total: int, steps_done=steps_done) -> None:
                        bar.set_total(self.passes * global_steps + patches_done[0] + total)
                        bar.advance_to(steps_done + patches_done[0] + done)
                        if done == total:
                            patches_done[0] += total

                    out = self.model.refine_semantic(img, out, on_step=callback,
                                                     on_patches=on_patches)
            finally:
                bar.close()
        refined = out.cpu().numpy().astype(np.uint8) * np.uint8(foreground_value)
        if not return_confidence:
            return refined
        confidence = boundary_confidence(last_prob[0]) if last_prob else float("nan")
        return refined, confidence

    @torch.inference_mode()
    def refine_instances(self, image: ImageInput, masks: MaskInput, *,
                         foreground_value: int = 1, progress: bool | None = None,
                         on_progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Refine N instance masks of one image -> (N, H, W) uint8 {0, foreground_value}.

        Instances smaller than the config's ``area_thr`` (512 px) are returned unchanged.
        ``on_progress(done, total)`` is called as chunks of instances finish.
        """
        self._check_foreground(foreground_value)
        image = as_image(image)
        coarse = as_masks(masks, image.shape[:2])
        if coarse.ndim == 2:
            coarse = coarse[None]
        if len(coarse) == 0:
            return np.zeros((0, *image.shape[:2]), np.uint8)
        bar = self._progress(progress, "instance", len(coarse), on_progress)
        self._reseed()
        try:
            with self._refining():
                out = self.model.refine_instances(
                    self._tensor(image), torch.from_numpy(coarse).to(self.device),
                    on_instances=lambda done, _: bar.advance_to(done))
        finally:
            bar.close()
        return out.cpu().numpy().astype(np.uint8) * np.uint8(foreground_value)
