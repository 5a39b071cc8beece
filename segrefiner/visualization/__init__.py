"""Pictures of refinement results: overlays and step-by-step strips / animations."""
from segrefiner.visualization.pictures import (
    overlay_pair,
    save_refinement_pictures,
    save_step_strip,
    step_frames,
    step_strip,
)

__all__ = ["overlay_pair", "save_refinement_pictures", "save_step_strip", "step_frames",
           "step_strip"]
