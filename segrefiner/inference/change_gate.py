"""Leaving accurate masks alone: which of a refinement's changes to its input stand.

Three decisions, each opt-in through the test settings (``SemanticTestCfg``,
``InstanceTestCfg``; the official behaviour keeps every change):

- Deep changes (``deep_change``, ``deep_change_confidence``, ``deep_change_gap``):
  a connected region of change that reaches much deeper into the mask than the changes
  along its boundary typically do (:func:`drop_deep_changes`) is dropped unless the model
  is sure of it. A boundary refiner corrects errors of one scale along a mask; a region
  far past that scale is a guess about the object (a shadow added, a fringe removed), not
  its boundary.
- The boundary shift (``accurate_shift``, ``shift_confidence``): how far the refinement
  moved the input's boundary on average (:func:`sure_shift`) says how accurate the input
  looked.
- Per pixel (``change_confidence``, ``accurate_confidence``): given that shift, the
  confidence ``2 |p - 0.5|`` a change needs (:func:`change_confidence_for`); a pixel the
  model is less sure of keeps its input value (:func:`keep_unsure_pixels`).

:func:`gate_changes` makes all three on a whole mask. Confidences are
``prediction_confidence`` of the model's probability: (H, W) float in [0, 1].
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from segrefiner.inference.mask_ops import mask_boundary

DEPTH_WINDOW = 8  # px: a boundary pixel's change depth is the deepest change this close


@dataclass(frozen=True)
class ChangeGate:
    """The settings that leave accurate masks alone, shared by ``SemanticTestCfg`` and
    ``InstanceTestCfg`` (None: off; off, every change stands, as officially)."""

    change_confidence: float | None = None  # the confidence 2 |p - 0.5| a change of the
    # input needs to stand (scaled by accurate_shift); a less sure pixel keeps the input
    accurate_shift: tuple[float, float] | None = None  # (low, high) px: when the refined
    # mask's boundary moved at most ``low`` px on average from the input's
    # (boundary_shift: an accurate input) a change needs accurate_confidence; above,
    # change_confidence applies in full at ``low``, not at all from ``high`` px (a rough
    # input), linearly between; None: no such decision, change_confidence always in full
    shift_confidence: float | None = None  # accurate_shift's shift counts only changes
    # the model is at least this sure of (2 |p - 0.5|); None: every change
    accurate_confidence: float | None = None  # the confidence a change of an accurate
    # input needs; None: none is changed (the input is returned as it is)
    deep_change: tuple[float, float] | None = None  # (scale, offset px): a region of
    # change deeper than scale x the typical change depth along the input's boundary +
    # offset is dropped unless its mean confidence reaches deep_change_confidence
    deep_change_confidence: float = 0.9
    deep_change_gap: int = 0  # px: changed pixels this many unchanged pixels apart or
    # fewer belong to one region of change (0: 8-connected only)

    def __post_init__(self) -> None:
        """ValueError unless the confidences are None or in [0, 1], accurate_shift None or
        (low, high) with 0 <= low < high and deep_change None or (scale, offset) >= 0."""
        for name in ("change_confidence", "shift_confidence", "accurate_confidence",
                     "deep_change_confidence"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")
        shift = self.accurate_shift
        if shift is not None and not 0 <= shift[0] < shift[1]:
            raise ValueError(f"accurate_shift must be (low, high) with 0 <= low < high, "
                             f"got {shift!r}")
        deep = self.deep_change
        if deep is not None and (len(deep) != 2 or min(deep) < 0):
            raise ValueError(f"deep_change must be (scale, offset), both >= 0, got {deep!r}")
        if not (isinstance(self.deep_change_gap, int) and self.deep_change_gap >= 0):
            raise ValueError(f"deep_change_gap must be an int >= 0, got {self.deep_change_gap!r}")


def keeps_unsure_pixels(gate: ChangeGate) -> bool:
    """Whether ``gate`` decides pixel by pixel (``change_confidence`` or ``accurate_shift``)."""
    return gate.change_confidence is not None or gate.accurate_shift is not None


def gate_on(gate: ChangeGate) -> bool:
    """Whether any of ``gate``'s decisions is on (off: every change stands, officially)."""
    return gate.deep_change is not None or keeps_unsure_pixels(gate)


def typical_change_depth(depth: np.ndarray, boundary: np.ndarray) -> float:
    """The median over the input's boundary pixels of the deepest change within
    ``DEPTH_WINDOW`` px: how far the refinement typically moved the boundary, in px.

    depth: (H, W) float32, each changed pixel's distance from the unchanged ones (0
    elsewhere); boundary: (H, W) bool, the input's boundary. 0 without a boundary.
    """
    if not boundary.any():
        return 0.0
    window = np.ones((2 * DEPTH_WINDOW + 1, 2 * DEPTH_WINDOW + 1), np.uint8)
    return float(np.median(cv2.dilate(depth, window)[boundary]))


def change_regions(changed: np.ndarray, gap: int = 0) -> tuple[int, np.ndarray]:
    """Regions of change: the changed pixels 8-connected across gaps of up to ``gap``
    unchanged pixels (with a gap, a wrong region that a thin line of unchanged pixels
    splits is still one region).

    changed: (H, W) uint8 {0, 1}. Returns the number of labels (0 included) and (H, W)
    int32 labels, 0 off ``changed``.
    """
    if gap == 0:
        return cv2.connectedComponents(changed, connectivity=8)
    window = np.ones((gap + 1, gap + 1), np.uint8)
    count, labels = cv2.connectedComponents(cv2.dilate(changed, window), connectivity=8)
    labels[changed == 0] = 0
    return count, labels


def drop_deep_changes(refined: torch.Tensor, coarse: torch.Tensor, confidence: torch.Tensor,
                      gate: ChangeGate, boundary: torch.Tensor | None = None) -> torch.Tensor:
    """``refined`` with each region where it differs from ``coarse`` (:func:`change_regions`
    across ``gate.deep_change_gap``) set back to ``coarse`` when the region's depth (its
    largest distance from the unchanged pixels, OpenCV's 3x3 L2 distance) passes ``scale``
    x :func:`typical_change_depth` + ``offset`` (``gate.deep_change``) and the mean
    ``confidence`` over it is below ``gate.deep_change_confidence``.

    refined, coarse: (H, W) bool; confidence: (H, W) float in [0, 1], the model's
    ``2 |p - 0.5|`` of each pixel's refined value; boundary: ``mask_boundary(coarse)`` if
    computed already. Returns (H, W) bool (``refined`` itself when ``gate.deep_change`` is
    None or nothing changed).
    """
    if gate.deep_change is None:
        return refined
    changed = (refined != coarse).to("cpu", torch.uint8).numpy()
    count, labels = change_regions(changed, gate.deep_change_gap)
    if count <= 1:
        return refined
    depth = cv2.distanceTransform(changed, cv2.DIST_L2, 3)
    scale, offset = gate.deep_change
    if boundary is None:
        boundary = mask_boundary(coarse)
    limit = scale * typical_change_depth(depth, boundary.cpu().numpy()) + offset
    where = changed.astype(bool)
    region = labels[where]
    deepest = np.zeros(count, np.float32)
    np.maximum.at(deepest, region, depth[where])
    sure = confidence.float().cpu().numpy()[where]
    mean_sure = np.bincount(region, sure, count) / np.maximum(np.bincount(region, None, count), 1)
    dropped_region = (deepest > limit) & (mean_sure < gate.deep_change_confidence)
    dropped_region[0] = False
    if not dropped_region.any():
        return refined
    dropped = np.zeros_like(where)
    dropped[where] = dropped_region[region]
    return torch.where(torch.from_numpy(dropped).to(refined.device), coarse, refined)


def boundary_shift(refined: torch.Tensor, coarse: torch.Tensor,
                   counted: torch.Tensor | None = None,
                   boundary: torch.Tensor | None = None) -> float:
    """Mean shift in px of the refined mask's boundary from the coarse one's: pixels that
    differ (and are ``counted``, if given) per pixel of the coarse boundary
    (``boundary``, else :func:`mask_boundary` of ``coarse``). All (H, W) bool; 0 when the
    coarse mask has no boundary."""
    changed = refined != coarse
    if counted is not None:
        changed &= counted
    if boundary is None:
        boundary = mask_boundary(coarse)
    return int(torch.count_nonzero(changed)) / max(1, int(torch.count_nonzero(boundary)))


def change_confidence_for(gate: ChangeGate, shift: float) -> float:
    """The confidence 2 |p - 0.5| a change of the input needs given the refined mask's
    :func:`boundary_shift`. With ``accurate_shift`` (low, high): up to ``low`` px (an
    accurate input) ``accurate_confidence`` (None: ``math.inf``, no change at all); above
    it ``change_confidence`` (None: 0) in full at ``low``, nothing from ``high`` px,
    linear between. Without: ``change_confidence`` at any shift."""
    if gate.accurate_shift is None:
        return gate.change_confidence or 0.0
    low, high = gate.accurate_shift
    if shift <= low:
        return math.inf if gate.accurate_confidence is None else gate.accurate_confidence
    share = 0.0 if shift >= high else (high - shift) / (high - low)
    return (gate.change_confidence or 0.0) * share


def sure_shift(confidence: torch.Tensor, refined: torch.Tensor, coarse: torch.Tensor,
               shift_confidence: float | None,
               boundary: torch.Tensor | None = None) -> float:
    """:func:`boundary_shift` of ``refined`` from ``coarse`` counting only the changes whose
    (H, W) ``confidence`` is at least ``shift_confidence`` (None: every change)."""
    counted = None if shift_confidence is None else confidence >= shift_confidence
    return boundary_shift(refined, coarse, counted, boundary)


def keep_unsure_pixels(confidence: torch.Tensor, refined: torch.Tensor, coarse: torch.Tensor,
                       gate: ChangeGate, shift: float | None = None,
                       boundary: torch.Tensor | None = None) -> torch.Tensor:
    """``refined`` with the pixels where the model is less sure than
    :func:`change_confidence_for` asks set back to ``coarse``; ``coarse`` itself where it
    asks for no change at all; ``refined`` unless :func:`keeps_unsure_pixels`.

    confidence: (H, W) float in [0, 1]; refined, coarse: (H, W) bool; shift: the
    refinement's boundary shift if measured elsewhere (None: :func:`sure_shift` of
    ``refined`` from ``coarse``); boundary: ``mask_boundary(coarse)`` if computed
    already. Returns (H, W) bool.
    """
    if not keeps_unsure_pixels(gate):
        return refined
    if shift is None:
        shift = sure_shift(confidence, refined, coarse, gate.shift_confidence, boundary)
    needed = change_confidence_for(gate, shift)
    if needed == math.inf:
        return coarse
    if needed <= 0:
        return refined
    return torch.where(confidence < needed, coarse, refined)


def gate_changes(refined: torch.Tensor, confidence: torch.Tensor, coarse: torch.Tensor,
                 gate: ChangeGate) -> torch.Tensor:
    """The changes of ``refined`` from ``coarse`` that stand under ``gate``: deep regions of
    change the model is unsure of dropped (:func:`drop_deep_changes`), then the changes of
    each pixel less sure than the boundary shift asks (:func:`keep_unsure_pixels`).

    refined, coarse: (H, W) bool; confidence: (H, W) float in [0, 1], the model's
    ``2 |p - 0.5|`` of every pixel. Returns (H, W) bool (``refined`` when the gate is off).
    """
    if not gate_on(gate):
        return refined
    boundary = mask_boundary(coarse)
    refined = drop_deep_changes(refined, coarse, confidence, gate, boundary)
    return keep_unsure_pixels(confidence, refined, coarse, gate, boundary=boundary)
