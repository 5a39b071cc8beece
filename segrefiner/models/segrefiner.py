"""SegRefiner: the mmengine model (training loss and refinement) around DenoiseUNet."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch

from segrefiner.diffusion import MaskProcess, NoiseSource, StepCallback, TorchNoise, build_process
from segrefiner.inference.batching import (
    MicroBatchDenoiser,
    cpu_forward_batch,
    default_forward_batch,
)
from segrefiner.inference.instance import InstanceTestCfg, refine_instances
from segrefiner.inference.semantic import PatchCallback, SemanticTestCfg, refine_semantic
from segrefiner.models.refiner_model import RefinerModel
from segrefiner.modes import INSTANCE
from segrefiner.registry import MODELS
from segrefiner.structures import RefineDataSample
from segrefiner.utils.precision import AutocastWeights, autocast, in_cpu_bf16_autocast

# Official spellings of test_cfg keys, accepted as aliases of the names used here.
TEST_CFG_ALIASES = {"batch_max": "batch_size"}


def test_settings(test_cfg: dict, fields: dict) -> dict:
    """The entries of ``test_cfg`` that are ``fields`` (a dataclass's), aliases resolved;
    ValueError when an alias and its name are both given with different values."""
    settings = {}
    for key, value in test_cfg.items():
        name = TEST_CFG_ALIASES.get(key, key)
        if name not in fields:
            continue
        if name in settings and settings[name] != value:
            raise ValueError(f"test_cfg: {key}={value!r} contradicts {name}={settings[name]!r}")
        settings[name] = value
    return settings


@MODELS.register_module()
class SegRefiner(RefinerModel):
    """Diffusion mask refiner: a denoiser sampled by a mask process.

    Args:
        denoise_model: config of the denoiser (``DenoiseUNet``); its ``in_channels`` must
            be 3 + the process's ``mask_channels``.
        diffusion: config of the mask process (registry ``DIFFUSION_PROCESSES``:
            ``DiscreteDiffusion`` (default), ``GaussianMaskDiffusion``, ``NoDiffusion``,
            ``IterativeRefinement``).
        diffusion_cfg: arguments of :class:`DiscreteDiffusion` (the official spelling;
            not together with ``diffusion``).
        loss_mask: config of the mask loss (BCE with logits).
        loss_texture: config of the texture loss (Sobel L1, weight 5).
        test_cfg: refinement settings; ``mode`` is ``'instance'`` (crops per instance:
            :class:`InstanceTestCfg`) or ``'semantic'`` (global + local pass:
            :class:`SemanticTestCfg`); ``batch_size`` (official name ``batch_max``) is the
            crops / patches per sampler chunk; ``steps`` (optional, instance path) runs the
            first N steps only, or a strictly descending list of steps (a strided schedule
            such as ``[5, 2, 0]``); ``micro_batch_size`` (optional) splits the denoiser's
            forward into micro-batches of that size without changing the chunks or the
            random draws (default: 1 on CPU, the whole chunk on GPU).
        fast_test_cfg: test_cfg entries the fast mode (``Refiner(fast=True)``) runs
            instead of test_cfg's: cheaper settings measured to keep the real sets' IoU and
            mBA within 0.003 of the exact mode's (default none).
        instance_test_cfg: test_cfg entries the instance path runs instead of test_cfg's
            (a model may need other settings on its crops; default none).
        train_cfg: training settings; ``coarse_end_prob`` (optional, default 0: the
            official uniform steps) is the share of samples trained at the process's
            ``coarse_end_step`` (``t = T-1`` for the discrete process), the rest uniform
            over all steps (the local pass of the compact configs runs only that step).
        data_preprocessor: normalisation config.
    """

    default_mode = INSTANCE

    def __init__(self, denoise_model: dict, diffusion: dict | None = None,
                 diffusion_cfg: dict | None = None,
                 loss_mask: dict | None = None, loss_texture: dict | None = None,
                 test_cfg: dict | None = None, train_cfg: dict | None = None,
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None,
                 fast_test_cfg: dict | None = None,
                 instance_test_cfg: dict | None = None) -> None:
        # Built here from segrefiner's registry: mmengine's BaseModel would look it up in
        # the root registry, which only finds it under default_scope='segrefiner'.
        preprocessor = MODELS.build(data_preprocessor or dict(type="RefinerDataPreprocessor"))
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        self.denoise_model = MODELS.build(denoise_model)
        self.diffusion: MaskProcess = build_process(diffusion, diffusion_cfg)
        expected = 3 + self.diffusion.mask_channels
        if self.denoise_model.in_channels != expected:
            raise ValueError(
                f"denoise_model.in_channels is {self.denoise_model.in_channels}, "
                f"{type(self.diffusion).__name__} needs {expected} (3 image + "
                f"{self.diffusion.mask_channels} mask channels)")
        self.loss_mask = MODELS.build(loss_mask or dict(type="MaskBCELoss", loss_weight=1.0))
        self.loss_texture = MODELS.build(
            loss_texture or dict(type="TextureL1Loss", loss_weight=5.0))
        self.test_cfg = dict(test_cfg or {})
        self.fast_test_cfg = dict(fast_test_cfg or {})
        self.instance_test_cfg = dict(instance_test_cfg or {})
        self.train_cfg = dict(train_cfg or {})
        self.coarse_end_prob = float(self.train_cfg.get("coarse_end_prob", 0.0))
        if not 0.0 <= self.coarse_end_prob <= 1.0:
            raise ValueError("train_cfg.coarse_end_prob must be in [0, 1], "
                             f"got {self.coarse_end_prob}")
        self.noise: NoiseSource = TorchNoise()
        # Another runtime's denoiser (e.g. OpenVINODenoiser) that refinement calls instead
        # of denoise_model; None: torch. Training always uses denoise_model.
        self.runtime_denoiser: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
        self._autocast_weights: AutocastWeights | None = None

    # ------------------------------------------------------------------ entry
    def tensor(self, inputs: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """``(x, t)`` -> the denoiser's logits."""
        x, t = inputs
        return self.denoise_model(x, t)

    # --------------------------------------------------------------- training
    def loss_from_masks(self, img: torch.Tensor, gt_mask: torch.Tensor, coarse_mask: torch.Tensor,
                        t: torch.Tensor | None = None,
                        noise: NoiseSource | None = None) -> dict[str, torch.Tensor]:
        """Training losses for one batch (Alg. 1).

        img: (B, 3, S, S) normalised; gt_mask, coarse_mask: (B, 1, S, S) in {0, 1};
        t: (B,) steps (default uniform over all steps). Returns ``loss_mask``,
        ``loss_texture`` and the (not back-propagated) ``iou`` of the prediction.
        """
        noise = noise or self.noise
        gt_mask, coarse_mask = gt_mask.to(img.dtype), coarse_mask.to(img.dtype)
        if t is None:
            t = self.training_steps(img.shape[0], img.device)
        x_t = self.diffusion.training_input(gt_mask, coarse_mask, t, noise)
        logits = self.denoise_model(torch.cat([img, x_t], dim=1), t)
        with torch.no_grad():
            pred = logits.detach() >= 0
            target = gt_mask >= 0.5
            inter = (pred & target).sum().float()
            union = (pred | target).sum().float()
            iou = inter / union.clamp(min=1)
        return dict(loss_mask=self.loss_mask(logits, gt_mask),
                    loss_texture=self.loss_texture(logits, gt_mask), iou=iou)

    def training_steps(self, batch: int, device: torch.device) -> torch.Tensor:
        """(B,) int64 steps to train at (the process's ``training_steps`` with
        ``train_cfg.coarse_end_prob``)."""
        return self.diffusion.training_steps(batch, device, self.coarse_end_prob)

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence[RefineDataSample]) -> dict[str, torch.Tensor]:
        """Losses of a batch from the data preprocessor (samples carry the masks)."""
        gt = torch.stack([s.gt_mask for s in data_samples]).to(inputs.device)
        coarse = torch.stack([s.coarse_mask for s in data_samples]).to(inputs.device)
        return self.loss_from_masks(inputs, gt, coarse)

    # ------------------------------------------------------------- refinement
    def resolve_steps(self, steps: int | Sequence[int] | None = None) -> list[int]:
        """Sampling steps: a strictly descending list as given (checked), an int N for the
        first N steps (the official ``--step N``), None for test_cfg ``steps`` or else all
        steps."""
        if steps is None:
            steps = self.test_cfg.get("steps")
        if steps is None or isinstance(steps, int):
            return self.diffusion.steps_for(steps)
        return self.diffusion.check_schedule(steps)

    def prepare_for_refinement(self) -> SegRefiner:
        """Eval mode and, on CPU, channels_last weights (faster convolutions, same math)."""
        self.eval()
        if next(self.denoise_model.parameters()).device.type == "cpu":
            self.denoise_model.to(memory_format=torch.channels_last)
        return self

    @contextmanager
    def refining_precision(self, dtype: torch.dtype | None) -> Iterator[None]:
        """As :meth:`RefinerModel.refining_precision`; in CPU bf16 with torch running the
        denoiser, its convolution and linear weights are held in bf16 meanwhile
        (:class:`AutocastWeights`: the same results without a cast per pass)."""
        device = next(self.denoise_model.parameters()).device
        with autocast(device, dtype):
            if (dtype != torch.bfloat16 or device.type != "cpu"
                    or self.runtime_denoiser is not None):
                yield
                return
            if self._autocast_weights is None:
                self._autocast_weights = AutocastWeights(self.denoise_model, dtype)
            with self._autocast_weights.held():
                yield

    def step_label(self, t: int) -> str:
        """How pictures label the mask that ``on_step`` receives at step t."""
        return f"step t={t}"

    def progress_steps(self) -> int:
        """Number of ``on_step`` calls of one :meth:`refine_semantic` (global steps)."""
        return len(self.semantic_cfg().global_steps or self.diffusion.global_steps())

    def refining_denoiser(self) -> MicroBatchDenoiser:
        """The denoiser as refinement calls it: ``denoise_model`` in micro-batches of
        ``micro_batch_size`` (default: whole chunks on GPU; on CPU as many samples as
        :func:`cpu_forward_batch` says for the precision), or ``runtime_denoiser`` where
        set, given whole chunks (it schedules them itself)."""
        if self.runtime_denoiser is not None:
            return MicroBatchDenoiser(self.runtime_denoiser, 0)
        size: int | Callable[[torch.Tensor], int] | None = self.test_cfg.get("micro_batch_size")
        if size is None:
            device = next(self.denoise_model.parameters()).device
            size = default_forward_batch(device)
            width = getattr(self.denoise_model, "model_channels", None)
            if device.type == "cpu" and width:
                size = cpu_forward_batch(width, 2 if in_cpu_bf16_autocast() else 4)
        return MicroBatchDenoiser(self.denoise_model, size)

    def instance_cfg(self) -> InstanceTestCfg:
        settings = {**self.test_cfg, **self.instance_test_cfg}
        return InstanceTestCfg(**test_settings(settings, InstanceTestCfg.__dataclass_fields__))

    def semantic_cfg(self) -> SemanticTestCfg:
        return SemanticTestCfg(**test_settings(self.test_cfg, SemanticTestCfg.__dataclass_fields__))

    @torch.inference_mode()
    def refine_instances(self, img: torch.Tensor, coarse_masks: torch.Tensor,
                         steps: int | Sequence[int] | None = None,
                         noise: NoiseSource | None = None,
                         on_instances: Callable[[int, int], None] | None = None,
                         ) -> torch.Tensor:
        """(1, 3, H, W) normalised image, (N, H, W) masks -> (N, H, W) uint8 {0, 1}."""
        return refine_instances(self.refining_denoiser(), self.diffusion, img, coarse_masks,
                                self.instance_cfg(), self.resolve_steps(steps), noise or self.noise,
                                on_instances)

    @torch.inference_mode()
    def refine_semantic(self, img: torch.Tensor, coarse_mask: torch.Tensor,
                        noise: NoiseSource | None = None,
                        on_step: StepCallback | None = None,
                        on_patches: PatchCallback | None = None) -> torch.Tensor:
        """(1, 3, H, W) normalised image, (H, W) mask -> (H, W) uint8 {0, 1}."""
        return refine_semantic(self.refining_denoiser(), self.diffusion, img, coarse_mask,
                               self.semantic_cfg(), noise or self.noise, on_step=on_step,
                               on_patches=on_patches)
