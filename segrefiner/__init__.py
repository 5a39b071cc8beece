"""segrefiner: segmentation-mask refinement by discrete diffusion."""
__version__ = "0.1.0"
