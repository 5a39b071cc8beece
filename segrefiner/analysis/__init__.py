"""Evaluation-only helpers of ``tools/analysis_tools``: classical baselines (GrabCut, guided
filter) and generators of coarse masks of known kinds (mask-head resolution, GrabCut from a
box). Not used by training or refinement."""
