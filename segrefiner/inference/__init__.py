"""Refinement strategies on top of the sampler: per instance, and global + local."""
from segrefiner.inference.instance import InstanceTestCfg, refine_instances
from segrefiner.inference.semantic import SemanticTestCfg, refine_semantic

__all__ = ["InstanceTestCfg", "SemanticTestCfg", "refine_instances", "refine_semantic"]
