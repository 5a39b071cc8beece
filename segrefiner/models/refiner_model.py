"""What every refiner model shares: mmengine's mode dispatch and ``predict`` over the two
refinement paths (subclasses give ``loss``, ``tensor``, ``refine_semantic`` and
``refine_instances``)."""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

import torch
from mmengine.model import BaseModel

from segrefiner.modes import SEMANTIC
from segrefiner.structures import RefineDataSample
from segrefiner.utils.precision import autocast


class RefinerModel(BaseModel):
    """Base of SegRefiner and CRM; ``default_mode`` is the path without ``test_cfg.mode``."""

    default_mode: str = SEMANTIC
    test_cfg: dict
    fast_test_cfg: dict  # test_cfg entries the fast mode runs instead (may be empty)
    instance_test_cfg: dict  # test_cfg entries the instance path runs instead (may be empty)

    def forward(self, inputs, data_samples=None, mode: str = "tensor"):
        if mode == "loss":
            return self.loss(inputs, data_samples)
        if mode == "predict":
            return self.predict(inputs, data_samples)
        if mode == "tensor":
            return self.tensor(inputs)
        raise RuntimeError(f"invalid mode {mode!r}: expected loss, predict or tensor")

    def tensor(self, inputs) -> torch.Tensor:
        raise NotImplementedError

    @property
    def mode(self) -> str:
        return self.test_cfg.get("mode", self.default_mode)

    def override_test_cfg(self, settings: dict) -> None:
        """Set test_cfg entries that hold in the fast mode and the instance path too
        (``fast_test_cfg``'s and ``instance_test_cfg``'s entries of the same names are
        dropped)."""
        self.test_cfg.update(settings)
        for key in settings:
            self.fast_test_cfg.pop(key, None)
            self.instance_test_cfg.pop(key, None)

    def refining_precision(self, dtype: torch.dtype | None) -> AbstractContextManager:
        """Inside: refinement in ``dtype`` (autocast on the model's device; None: float32,
        no change)."""
        return autocast(next(self.parameters()).device, dtype)

    def predict(self, inputs, data_samples: Sequence[RefineDataSample]) -> list[RefineDataSample]:
        """Refine each sample's ``coarse_mask`` (semantic) or ``coarse_masks`` (instance)."""
        images = inputs if isinstance(inputs, list) else list(inputs.split(1))
        for img, sample in zip(images, data_samples, strict=True):
            if self.mode == SEMANTIC:
                coarse_mask = sample.coarse_mask[0].to(img.device)
                sample.pred_mask = self.refine_semantic(img, coarse_mask)[None]
            else:
                sample.pred_masks = self.refine_instances(img, sample.coarse_masks.to(img.device))
        return list(data_samples)
