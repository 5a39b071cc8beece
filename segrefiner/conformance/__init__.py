"""Replaying recorded behaviour bundles of the official code through the project's code.

``segrefiner-reference/1``: SegRefiner (:mod:`.segrefiner_bundle`);
``segrefiner-crm-reference/1``: CRM (:mod:`.crm_bundle`). :func:`replayer_for` picks the
replayer by the bundle's ``format``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from segrefiner.conformance.common import (
    RELATIVE_TOL,
    CaseResult,
    check_state_dict_layout,
    flipped_fraction,
    load_bundle,
    scaled_deviation,
)
from segrefiner.conformance.crm_bundle import CRM_BUNDLE_FORMAT, CRMBundleReplayer, build_crm
from segrefiner.conformance.segrefiner_bundle import BUNDLE_FORMAT, BundleReplayer, build_model


def replayer_for(bundle: Mapping[str, Any], max_flipped: float = 1e-4):
    """The replayer of a bundle's format (ValueError for an unknown format)."""
    replayers = {BUNDLE_FORMAT: BundleReplayer, CRM_BUNDLE_FORMAT: CRMBundleReplayer}
    fmt = bundle.get("format") if isinstance(bundle, Mapping) else None
    if fmt not in replayers:
        raise ValueError(f"not a behaviour bundle (format={fmt!r}; expected one of "
                         f"{sorted(replayers)})")
    return replayers[fmt](bundle, max_flipped=max_flipped)


__all__ = [
    "BUNDLE_FORMAT", "CRM_BUNDLE_FORMAT", "RELATIVE_TOL", "BundleReplayer", "CRMBundleReplayer",
    "CaseResult", "build_crm", "build_model", "check_state_dict_layout", "flipped_fraction",
    "load_bundle", "replayer_for", "scaled_deviation",
]
