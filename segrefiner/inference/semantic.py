"""The semantic path (one whole-image mask, any resolution: BIG, DIS, the HR model):
a global pass, then a local pass.

Global: the whole image and coarse mask resized to ``model_size`` run the process's
global steps (``[T-1, ..., 1]`` for DiscreteDiffusion); the result is upsampled to full
size and thresholded. Local: where the global pass stayed unsure (its confidence, the
accumulated fine probability for DiscreteDiffusion, below ``fine_prob_thr`` times its
maximum), full-resolution ``model_size`` patches around those points are chosen by greedy
NMS and refined with the process's local steps (the last step, t = 0); overlapping
patches are averaged.

Opt-in departures (``SemanticTestCfg``; the defaults are the official behaviour): the
local pass at another step (``local_step``), patches along the whole boundary of the
global result (``cover_boundary``), local results kept only near it (``local_band``),
and full-resolution input kept wherever the global pass changed nothing
(``keep_coarse_detail``: a pixel the model does not move keeps its coarse value, and at
full resolution that is the input pixel, not its downsampled cell), and the decisions
that leave accurate masks alone (``deep_change``, ``accurate_shift``,
``change_confidence``: segrefiner.inference.change_gate), taken once both passes are
done, with the local pass's confidence where it ran and the global pass's elsewhere.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F

from segrefiner.diffusion import Denoiser, MaskProcess, NoiseSource, StepCallback
from segrefiner.diffusion.process import prediction_confidence
from segrefiner.inference.change_gate import ChangeGate, gate_changes, gate_on
from segrefiner.inference.mask_ops import dilate_square, mask_boundary

MIN_FOREGROUND_PIXELS = 128  # coarse masks with <= this many pixels give an empty result
BLENDS = ("mean", "tent")  # SemanticTestCfg.patch_blend
COVER_OFFSETS = 4  # grid offsets tried per axis by SemanticTestCfg.cover_fewest
PatchCallback = Callable[[int, int], None]  # (patches done, patches in all)


@dataclass(frozen=True)
class SemanticTestCfg(ChangeGate):
    """Test settings of the semantic path (official defaults), with the change gate's
    (:class:`ChangeGate`: off by default)."""

    model_size: int = 256
    fine_prob_thr: float = 0.9
    iou_thr: float = 0.3
    batch_size: int = 32  # patches per sampler chunk (official name: batch_max)
    local_step: int | None = None  # the local pass's diffusion step; None: the last (official)
    cover_boundary: bool = False  # also patch every stretch of the global mask's boundary
    local_band: int | None = None  # local results only this many pixels from that boundary
    keep_coarse_detail: bool = False  # global pass: cells it leaves unchanged keep the input
    global_steps: tuple[int, ...] | None = None  # None: all but the last (official)
    patch_size: int | None = None  # local patches' side; None: model_size (official)
    cover_stride: int | None = None  # boundary cover grid; None: half the patch side
    cover_fewest: bool = False  # shift that grid to whichever offset needs fewest
    # patches (boundary_boxes)
    unsure_patches: bool = True  # patches around unsure points (official); with
    # cover_boundary they may be left out: the cover reaches every boundary pixel anyway
    patch_blend: str = "mean"  # how overlapping patches merge: 'mean' (official) or
    # 'tent' (weights falling linearly from the patch centre to its edge, so each pixel
    # follows the patches that see most context around it; see :func:`blend_weights`)

    global_downsample: float | None = None  # None: the global pass at model_size
    global_max_size: int | None = None  # with global_downsample: its upper bound
    # (None: model_size)
    global_resize: str = "nearest"  # image / mask downsampling of the global pass:
    # 'nearest' (floor index, official) or 'area' (averaging; the mask then >= 0.5)

    def __post_init__(self) -> None:
        if self.global_resize not in ("nearest", "area"):
            raise ValueError(f"global_resize must be 'nearest' or 'area', "
                             f"got {self.global_resize!r}")
        if self.patch_blend not in BLENDS:
            raise ValueError(f"patch_blend must be one of {BLENDS}, got {self.patch_blend!r}")
        super().__post_init__()

    def global_size(self, height: int, width: int) -> int:
        """The global pass's side: ``model_size`` (official), or with ``global_downsample``
        d the smallest multiple of 32 at least ``max(H, W) / d``, within
        ``[model_size / 2, global_max_size]`` (default ``model_size``): small images are
        not upsampled past what the model needs, large ones stay at the upper bound."""
        if self.global_downsample is None:
            return self.model_size
        wanted = math.ceil(max(height, width) / self.global_downsample / 32) * 32
        return max(self.model_size // 2, min(self.global_max_size or self.model_size, wanted))

    @property
    def local_size(self) -> int:
        """The local patches' side."""
        return self.patch_size or self.model_size


def box_iou(box: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """IoU of one (4,) box with (K, 4) boxes, area = (x2 - x1) * (y2 - y1)."""
    ix1 = torch.maximum(box[0], boxes[:, 0])
    iy1 = torch.maximum(box[1], boxes[:, 1])
    ix2 = torch.minimum(box[2], boxes[:, 2])
    iy2 = torch.minimum(box[3], boxes[:, 3])
    inter = (ix2 - ix1).clamp(min=0) * (iy2 - iy1).clamp(min=0)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / (area + areas - inter)


def greedy_nms(boxes: torch.Tensor, scores: torch.Tensor, iou_thr: float) -> torch.Tensor:
    """Indices of the boxes kept by greedy NMS, in descending score order.

    boxes: (K, 4) float; scores: (K,). A box is suppressed when its IoU with a kept box
    is > ``iou_thr``. Plain torch (no compiled ops).
    """
    order = torch.argsort(scores, descending=True, stable=True)
    boxes = boxes[order]
    suppressed = torch.zeros(len(order), dtype=torch.bool, device=boxes.device)
    keep = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed[i + 1:] |= box_iou(boxes[i], boxes[i + 1:]) > iou_thr
    return order[torch.tensor(keep, dtype=torch.long, device=boxes.device)]


def patch_boxes(fine_prob: torch.Tensor, height: int, width: int,
                cfg: SemanticTestCfg) -> tuple[torch.Tensor, torch.Tensor]:
    """Candidate full-resolution patches around the points the global pass is unsure of.

    fine_prob: (S, S) accumulated fine probability of the global pass. Returns boxes
    (K, 4) int64 ``x1, y1, x2, y2`` of the local patch size, inside the image, and their
    scores ``1 - fine_prob`` (K,).
    """
    grid, size = fine_prob.shape[0], cfg.local_size
    ys, xs = torch.nonzero(fine_prob < cfg.fine_prob_thr * fine_prob.max(), as_tuple=True)
    scores = 1 - fine_prob[ys, xs]
    # int(y * H / S) as in the official code (floor of a non-negative float).
    cy = torch.floor(ys.double() * height / grid).long()
    cx = torch.floor(xs.double() * width / grid).long()
    x1 = (cx - size // 2).clamp(min=0, max=width - size)
    y1 = (cy - size // 2).clamp(min=0, max=height - size)
    return torch.stack([x1, y1, x1 + size, y1 + size], dim=1), scores


def blend_weights(size: int, blend: str, device: torch.device | None = None) -> torch.Tensor:
    """(size, size) float32 weights of a local patch's pixels when overlapping patches are
    merged: all 1 for 'mean'; for 'tent' the product of two 1-D tents, ``min(i + 1/2,
    size - i - 1/2) / (size / 2)`` for row / column i: ``1 - 1 / size`` at the two
    central rows / columns of an even side, ``1 / size`` at the edge ones."""
    if blend == "mean":
        return torch.ones((size, size), dtype=torch.float32, device=device)
    i = torch.arange(size, dtype=torch.float32, device=device) + 0.5
    tent = torch.minimum(i, size - i) / (size / 2)
    return tent[:, None] * tent[None, :]


class PatchMerge:
    """Merges square patch probabilities into an (H, W) map, each patch weighted by
    :func:`blend_weights` (``blend``: 'mean' or 'tent')."""

    def __init__(self, height: int, width: int, size: int, blend: str,
                 device: torch.device | None = None) -> None:
        self.prob_sum = torch.zeros((height, width), dtype=torch.float32, device=device)
        self.weight_sum = torch.zeros((height, width), dtype=torch.float32, device=device)
        self.weights = blend_weights(size, blend, device)

    def add(self, box: list[int], prob: torch.Tensor) -> None:
        """box: ``x1, y1, x2, y2``, a square of side ``size``; prob: (size, size) float32."""
        x1, y1, x2, y2 = box
        self.prob_sum[y1:y2, x1:x2] += self.weights * prob
        self.weight_sum[y1:y2, x1:x2] += self.weights

    def result(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(H, W) weighted mean probability (0 where no patch lies) and (H, W) bool: where
        a patch lies."""
        covered = self.weight_sum > 0
        return self.prob_sum / torch.where(covered, self.weight_sum, 1.0), covered


def boundary_boxes(boundary: torch.Tensor, size: int, stride: int | None = None,
                   fewest: bool = False) -> torch.Tensor:
    """(K, 4) int64 ``size`` boxes, inside the image, centred on the cells of a ``stride``
    grid (default ``size // 2``; at most ``size``) that the (H, W) bool ``boundary``
    passes through: together they cover it. Row-major cell order. With ``fewest`` the
    grid is shifted by whichever of ``COVER_OFFSETS`` x ``COVER_OFFSETS`` offsets (equal
    fractions of the stride) leaves the boundary in fewest cells (unshifted on a tie)."""
    height, width = boundary.shape
    stride = stride or size // 2
    ys, xs = torch.nonzero(boundary, as_tuple=True)
    columns = width // stride + 2  # more than any cell column, shifted or not
    step = max(1, stride // COVER_OFFSETS)
    offsets = ([(oy, ox) for oy in range(0, stride, step) for ox in range(0, stride, step)]
               if fewest else [(0, 0)])
    covers = ((torch.unique(((ys + oy) // stride) * columns + (xs + ox) // stride), oy, ox)
              for oy, ox in offsets)
    cells, oy, ox = min(covers, key=lambda cover: len(cover[0]))  # the first of the fewest
    cy = (cells // columns) * stride + stride // 2 - oy
    cx = (cells % columns) * stride + stride // 2 - ox
    x1 = (cx - size // 2).clamp(min=0, max=width - size)
    y1 = (cy - size // 2).clamp(min=0, max=height - size)
    return torch.stack([x1, y1, x1 + size, y1 + size], dim=1)


def select_patches(global_mask: torch.Tensor, fine_prob: torch.Tensor,
                   cfg: SemanticTestCfg, boundary: torch.Tensor | None = None) -> torch.Tensor:
    """Boxes (K, 4) int64 of the patches to refine locally, NMS order.

    Keeps boxes after NMS whose crop of the (H, W) bool global mask is neither all
    background nor all foreground; with ``cover_boundary``, boxes covering the whole
    boundary of the global mask follow (``boundary``: its ``mask_boundary``, if the
    caller has it already).
    """
    height, width = global_mask.shape
    if cfg.unsure_patches or not cfg.cover_boundary:
        boxes, scores = patch_boxes(fine_prob, height, width, cfg)
        if len(boxes):
            boxes = boxes[greedy_nms(boxes.double(), scores, cfg.iou_thr)]
    else:
        boxes = torch.zeros((0, 4), dtype=torch.long, device=global_mask.device)
    if cfg.cover_boundary:
        if boundary is None:
            boundary = mask_boundary(global_mask)
        extra = boundary_boxes(boundary, cfg.local_size, cfg.cover_stride,
                               cfg.cover_fewest)
        seen = {tuple(b) for b in boxes.tolist()}
        extra = [b for b in extra.tolist() if tuple(b) not in seen]
        if extra:
            boxes = torch.cat([boxes, torch.tensor(extra, dtype=boxes.dtype,
                                                   device=boxes.device)])
    if len(boxes) == 0:
        return boxes
    # Mixed crops: neither all background nor all foreground.
    mixed = [bool(crop.any()) and not bool(crop.all())
             for crop in (global_mask[y1:y2, x1:x2] for x1, y1, x2, y2 in boxes.tolist())]
    return boxes[torch.tensor(mixed, dtype=torch.bool, device=boxes.device)]


class GlobalResult(NamedTuple):
    """What :func:`global_pass` gives the local pass and the change gate."""

    mask: torch.Tensor  # (H, W) bool, upsampled by nearest, thresholded at 0.5; with
    # keep_coarse_detail the input's pixels in cells the pass left unchanged
    fine_prob: torch.Tensor  # (S, S) accumulated fine probability (patch choice)
    prob: torch.Tensor  # (S, S) the pass's mask probability in [0, 1]


class LocalResult(NamedTuple):
    """What :func:`local_pass` gives the change gate."""

    mask: torch.Tensor  # (H, W) bool: the merged patches where ``covered``, else the global mask
    prob: torch.Tensor  # (H, W) float32 in [0, 1], the merged probability (0 off ``covered``)
    covered: torch.Tensor  # (H, W) bool: where local results count (patches, local_band)


def global_pass(denoiser: Denoiser, diffusion: MaskProcess, img: torch.Tensor,
                mask: torch.Tensor, cfg: SemanticTestCfg, noise: NoiseSource | None = None,
                on_step: StepCallback | None = None) -> GlobalResult:
    """The whole image at ``global_size`` (``model_size`` by default): the process's
    ``global_steps()`` (``[T-1, ..., 1]`` for DiscreteDiffusion), or cfg ``global_steps``.

    img: (1, 3, H, W) normalised; mask: (H, W) bool.
    """
    height, width = mask.shape
    size = cfg.global_size(height, width)
    # Floor-index nearest resize ('nearest', not 'nearest-exact'), as the official code,
    # or area averaging.
    img_small = F.interpolate(img, (size, size), mode=cfg.global_resize)
    mask_small = F.interpolate(mask[None, None].to(img.dtype), (size, size),
                               mode=cfg.global_resize)
    if cfg.global_resize != "nearest":
        mask_small = (mask_small >= 0.5).to(img.dtype)
    steps = (diffusion.global_steps() if cfg.global_steps is None
             else diffusion.check_schedule(cfg.global_steps))
    prob_small, fine_prob = diffusion.sample(denoiser, img_small, mask_small, steps, noise,
                                             on_step=on_step)
    global_mask = F.interpolate(prob_small, (height, width), mode="nearest")[0, 0] >= 0.5
    if cfg.keep_coarse_detail:
        changed_small = (prob_small >= 0.5) != (mask_small >= 0.5)
        changed = F.interpolate(changed_small.float(), (height, width), mode="nearest")[0, 0] > 0
        global_mask = torch.where(changed, global_mask, mask)
    return GlobalResult(global_mask, fine_prob[0, 0], prob_small[0, 0].float())


def local_pass(denoiser: Denoiser, diffusion: MaskProcess, img: torch.Tensor,
               global_mask: torch.Tensor, fine_prob: torch.Tensor, cfg: SemanticTestCfg,
               noise: NoiseSource | None = None,
               on_patches: PatchCallback | None = None) -> LocalResult:
    """Full-resolution patches (side ``patch_size``, default ``model_size``) where the
    global pass was unsure (and, with ``cover_boundary``, along its whole boundary),
    refined at one step and averaged (``patch_blend``: plain or tent-weighted).

    img: (1, 3, H, W) normalised, H and W >= the patch side; global_mask: (H, W) bool;
    fine_prob: (S, S) from :func:`global_pass`. ``on_patches(done, total)`` after each
    chunk.
    """
    height, width = global_mask.shape
    needs_boundary = cfg.cover_boundary or cfg.local_band is not None
    boundary = mask_boundary(global_mask) if needs_boundary else None
    boxes = select_patches(global_mask, fine_prob, cfg, boundary)
    if on_patches is not None:
        on_patches(0, len(boxes))
    merged = PatchMerge(height, width, cfg.local_size, cfg.patch_blend, img.device)
    step = (diffusion.local_steps() if cfg.local_step is None
            else diffusion.check_schedule([cfg.local_step]))
    done = 0
    for chunk in boxes.split(cfg.batch_size):
        coords = chunk.tolist()
        img_patches = torch.cat([img[:, :, y1:y2, x1:x2] for x1, y1, x2, y2 in coords])
        mask_patches = torch.stack(
            [global_mask[y1:y2, x1:x2] for x1, y1, x2, y2 in coords])[:, None].to(img.dtype)
        probs, _ = diffusion.sample(denoiser, img_patches, mask_patches, step, noise)
        for box, prob in zip(coords, probs[:, 0].float(), strict=True):
            merged.add(box, prob)
        done += len(coords)
        if on_patches is not None:
            on_patches(done, len(boxes))
    prob, covered = merged.result()
    if cfg.local_band is not None and len(boxes):
        covered &= dilate_square(boundary, cfg.local_band)
    return LocalResult(torch.where(covered, prob >= 0.5, global_mask), prob, covered)


def refine_semantic(denoiser: Denoiser, diffusion: MaskProcess, img: torch.Tensor,
                    coarse_mask: torch.Tensor, cfg: SemanticTestCfg = SemanticTestCfg(),
                    noise: NoiseSource | None = None, local: bool = True,
                    on_step: StepCallback | None = None,
                    on_patches: PatchCallback | None = None) -> torch.Tensor:
    """Refine one whole-image mask at any resolution: :func:`global_pass`, then
    :func:`local_pass`, then ``change_gate.gate_changes`` (where cfg asks), with the local pass's
    probability where it ran and the global pass's (nearest-upsampled) elsewhere.

    Args:
        denoiser: the denoising network.
        diffusion: the sampler.
        img: (1, 3, H, W) normalised image.
        coarse_mask: (H, W) bool or {0, 1}.
        cfg: the semantic path's settings.
        noise: U(0,1) source (one draw per global step but the last).
        local: run the local pass; images smaller than the patch side in either side get
            the global pass only (the official code does not handle them).
        on_step: ``on_step(t, x)`` after each global step (see DiscreteDiffusion.sample).
        on_patches: ``on_patches(done, total)`` as the local pass goes.

    Returns:
        (H, W) uint8 in {0, 1}.
    """
    height, width = coarse_mask.shape
    mask = coarse_mask.bool()
    if int(mask.sum()) <= MIN_FOREGROUND_PIXELS:
        return torch.zeros((height, width), dtype=torch.uint8, device=coarse_mask.device)
    glob = global_pass(denoiser, diffusion, img, mask, cfg, noise, on_step)
    refined = glob.mask
    covered = prob = None
    if local and height >= cfg.local_size and width >= cfg.local_size:
        refined, prob, covered = local_pass(denoiser, diffusion, img, glob.mask,
                                            glob.fine_prob, cfg, noise, on_patches)
    if not gate_on(cfg):
        return refined.to(torch.uint8)
    confidence = F.interpolate(prediction_confidence(glob.prob)[None, None], (height, width),
                               mode="nearest")[0, 0]
    if covered is not None:
        confidence[covered] = prediction_confidence(prob[covered])
    return gate_changes(refined, confidence, mask, cfg).to(torch.uint8)
