"""CRM (Shen et al., CVPR 2022): the continuous refiner as an mmengine model.

The network (:mod:`segrefiner.models.crm_net`) turns image + coarse mask into a feature
map at stride 2; the implicit MLP (:mod:`segrefiner.models.implicit_query`) reads it at
any coordinate, so one model refines at any resolution
(:mod:`segrefiner.inference.continuous`). State-dict keys are the released checkpoint's
(``feats.*``, ``aspp_.*``, ``imnet.*``; a ``module.`` prefix is stripped on loading).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from segrefiner.inference.continuous import ContinuousTestCfg, ScaleCallback, refine_continuous
from segrefiner.inference.instance import padded_boxes
from segrefiner.models.crm_net import CRMBackbone, CRMHead, ImplicitMLP
from segrefiner.models.implicit_query import query_logits
from segrefiner.models.losses import smoothed_sobel_magnitude
from segrefiner.models.refiner_model import RefinerModel
from segrefiner.registry import MODELS
from segrefiner.structures import RefineDataSample
from segrefiner.utils.coords import pixel_grid

# Loss weights of the released training command (train.py's defaults differ: 0, 1, 1, 5).
CRM_LOSS_WEIGHTS = dict(ce=1.0, l1=0.5, l2=0.5, grad=2.0)
TEST_CFG_FIELDS = ("scales", "pad", "query_chunk", "max_feature_mb")


def crm_losses(logits: torch.Tensor, gt: torch.Tensor,
               weights: dict[str, float] | None = None) -> dict[str, torch.Tensor]:
    """CRM's losses (means over all pixels) of (B, 1, H, W) logits against a (B, 1, H, W)
    target in [0, 1]: ``ce`` BCE with logits against ``gt > 0.5``, ``l1`` / ``l2`` between
    the sigmoid and gt, ``grad`` L1 between Sobel magnitudes of the 3x3-smoothed gt and
    sigmoid. Returns each unweighted (``*_loss``), both magnitudes and ``loss`` (weighted
    sum with ``weights``, default :data:`CRM_LOSS_WEIGHTS`)."""
    weights = {**CRM_LOSS_WEIGHTS, **(weights or {})}
    logits, gt = logits.float(), gt.float()
    prob = torch.sigmoid(logits)
    gt_sobel = smoothed_sobel_magnitude(gt)
    pred_sobel = smoothed_sobel_magnitude(prob)
    out = dict(ce_loss=F.binary_cross_entropy_with_logits(logits, (gt > 0.5).float()),
               l1_loss=F.l1_loss(prob, gt), l2_loss=F.mse_loss(prob, gt),
               grad_loss=F.l1_loss(pred_sobel, gt_sobel))
    out["loss"] = sum(weights[name] * out[f"{name}_loss"] for name in ("ce", "l1", "l2", "grad"))
    return dict(out, gt_sobel=gt_sobel, pred_sobel=pred_sobel)


@MODELS.register_module()
class CRM(RefinerModel):
    """Continuous Refinement Model.

    Args:
        base_width: channels of the backbone stem (64: the released ResNet-50; the
            stages have 4x, 8x, 16x; the head's feature map 4x).
        blocks: bottlenecks per stage ((3, 4, 6, 3): ResNet-50).
        with_layer4: keep the (unused) fourth stage for the released key layout.
        mlp_hidden, mlp_depth: the implicit MLP's hidden width and number of hidden layers.
        dropout: dropout of the head (active in training only).
        loss_weights: ``ce``, ``l1``, ``l2``, ``grad`` (default the released recipe's).
        test_cfg: ``mode`` ('semantic': the whole image, the default; 'instance': a crop
            around each instance), ``scales``, ``pad``, ``query_chunk``, ``max_feature_mb``
            (:class:`ContinuousTestCfg`), ``pad_width`` and ``area_thr`` (instance path).
        fast_test_cfg: test_cfg entries the fast mode (``Refiner(fast=True)``) runs
            instead of test_cfg's (default none).
        data_preprocessor: normalisation config (ImageNet mean / std).
    """

    def __init__(self, base_width: int = 64, blocks: Sequence[int] = (3, 4, 6, 3),
                 with_layer4: bool = True, mlp_hidden: int = 32, mlp_depth: int = 4,
                 dropout: float = 0.5, loss_weights: dict | None = None,
                 test_cfg: dict | None = None, train_cfg: dict | None = None,
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None,
                 fast_test_cfg: dict | None = None) -> None:
        preprocessor = MODELS.build(data_preprocessor or dict(type="RefinerDataPreprocessor"))
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        self.feats = CRMBackbone(base_width, blocks, with_layer4)
        self.aspp_ = CRMHead(base_width, dropout)
        self.imnet = ImplicitMLP(self.aspp_.out_channels + 6, mlp_hidden, mlp_depth)
        self.loss_weights = {**CRM_LOSS_WEIGHTS, **(loss_weights or {})}
        self.test_cfg = dict(test_cfg or {})
        self.fast_test_cfg = dict(fast_test_cfg or {})
        self.instance_test_cfg: dict = {}  # one set of settings for both paths
        self.train_cfg = dict(train_cfg or {})
        self._init_weights()

    def _init_weights(self) -> None:
        """Training from scratch: convolutions Kaiming-normal (fan_out, ReLU), BN weight 1
        and bias 0, Linear layers PyTorch's default."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    # ---------------------------------------------------------------- network
    @property
    def feature_channels(self) -> int:
        return self.aspp_.out_channels

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 4, H, W) image + mask in [-1, 1] -> (B, 4w, ceil(H/2), ceil(W/2)) features."""
        return self.aspp_(*self.feats(x))

    def feature_parts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The backbone's outputs reduced to what :meth:`feature_rows` needs: x1 and the
        x2 / x3 branches at their sizes (x2 and x3 are released as soon as possible)."""
        return self.feats.forward_reduced(x, self.aspp_.branch_x2, self.aspp_.branch_x3)

    def feature_rows(self, parts: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
                     start: int, stop: int) -> torch.Tensor:
        """Rows ``start:stop`` of :meth:`features` from :meth:`feature_parts`."""
        return self.aspp_.rows(parts, start, stop)

    def query(self, feat: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor,
              row_offset: int = 0, full_height: int | None = None) -> torch.Tensor:
        """(B, C, h, w) features (or rows ``row_offset ..`` of a ``full_height`` map),
        (B, Q, 2) coordinates and cells -> (B, Q, 1) logits."""
        return query_logits(feat, coord, cell, self.imnet, row_offset, full_height)

    def tensor(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.features(inputs)

    # --------------------------------------------------------------- training
    def grid_logits(self, img: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        """Logits at every pixel centre of the input: (B, 3, H, W) image, (B, 1, H, W)
        mask in [-1, 1] -> (B, 1, H, W)."""
        batch, _, height, width = img.shape
        feat = self.features(torch.cat([img, seg], dim=1))
        coord = pixel_grid(height, width, img.device)[None].expand(batch, -1, -1)
        cell = torch.tensor([2.0 / height, 2.0 / width], device=img.device).expand_as(coord)
        return self.query(feat, coord, cell).transpose(1, 2).reshape(batch, 1, height, width)

    def loss_from_masks(self, img: torch.Tensor, gt_mask: torch.Tensor,
                        coarse_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """img: (B, 3, S, S) normalised; gt_mask (B, 1, S, S) in [0, 1]; coarse_mask
        (B, 1, S, S) in {0, 1}. Returns the weighted losses and the prediction's IoU."""
        seg = coarse_mask.to(img.dtype) * 2 - 1
        logits = self.grid_logits(img, seg)
        losses = crm_losses(logits, gt_mask, self.loss_weights)
        with torch.no_grad():
            pred, target = logits >= 0, gt_mask >= 0.5
            iou = (pred & target).sum().float() / (pred | target).sum().float().clamp(min=1)
        return {f"loss_{name}": self.loss_weights[name] * losses[f"{name}_loss"]
                for name in ("ce", "l1", "l2", "grad") if self.loss_weights[name]} | dict(iou=iou)

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence[RefineDataSample]) -> dict[str, torch.Tensor]:
        gt = torch.stack([s.gt_mask for s in data_samples]).to(inputs.device)
        coarse = torch.stack([s.coarse_mask for s in data_samples]).to(inputs.device)
        return self.loss_from_masks(inputs, gt.to(inputs.dtype), coarse)

    # ------------------------------------------------------------- refinement
    def continuous_cfg(self) -> ContinuousTestCfg:
        settings = {k: self.test_cfg[k] for k in TEST_CFG_FIELDS if k in self.test_cfg}
        if "scales" in settings:
            settings["scales"] = tuple(float(s) for s in settings["scales"])
        return ContinuousTestCfg(**settings)

    def prepare_for_refinement(self) -> CRM:
        self.eval()
        return self

    def step_label(self, index: int) -> str:
        """How pictures label the probability that ``on_step`` receives after scale i."""
        return f"scale {self.continuous_cfg().scales[index]:g}"

    def progress_steps(self) -> int:
        """Number of ``on_step`` calls of one :meth:`refine_semantic` (one per scale)."""
        return len(self.continuous_cfg().scales)

    @torch.inference_mode()
    def refine_semantic(self, img: torch.Tensor, coarse_mask: torch.Tensor,
                        noise=None, on_step: ScaleCallback | None = None,
                        on_patches: Callable[[int, int], None] | None = None) -> torch.Tensor:
        """(1, 3, H, W) normalised image, (H, W) mask -> (H, W) uint8 {0, 1}.

        ``on_step(i, prob)`` receives the (1, 1, H, W) probability after scale i.
        ``noise`` and ``on_patches`` are accepted for the common refiner interface (CRM
        draws nothing and has no patches)."""
        cfg = self.continuous_cfg()
        callback = None
        if on_step is not None:
            pad = cfg.pad

            def callback(index: int, prob: torch.Tensor) -> None:
                on_step(index, prob[:, :, pad:prob.shape[2] - pad, pad:prob.shape[3] - pad])

        mask, _ = refine_continuous(self, img, coarse_mask, cfg, callback)
        return mask

    @torch.inference_mode()
    def refine_instances(self, img: torch.Tensor, coarse_masks: torch.Tensor,
                         steps=None, noise=None,
                         on_instances: Callable[[int, int], None] | None = None) -> torch.Tensor:
        """(1, 3, H, W) image, (N, H, W) masks -> (N, H, W) uint8 {0, 1}: each instance of
        at least ``area_thr`` pixels refined in its box expanded by ``pad_width``
        (default 32 px); smaller ones returned unchanged."""
        masks = coarse_masks.bool()
        out = masks.to(torch.uint8).clone()
        area_thr = int(self.test_cfg.get("area_thr", 512))
        refined = torch.nonzero(masks.sum(dim=(1, 2)) >= area_thr).flatten().tolist()
        done = len(masks) - len(refined)
        if on_instances is not None:
            on_instances(done, len(masks))
        if refined:
            boxes = padded_boxes(masks[refined], int(self.test_cfg.get("pad_width", 32)))
            for index, (x1, y1, x2, y2) in zip(refined, boxes.tolist(), strict=True):
                crop, _ = refine_continuous(self, img[:, :, y1:y2, x1:x2],
                                            masks[index, y1:y2, x1:x2], self.continuous_cfg())
                out[index] = 0
                out[index, y1:y2, x1:x2] = crop
                done += 1
                if on_instances is not None:
                    on_instances(done, len(masks))
        return out
