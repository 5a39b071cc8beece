"""segrefiner: segmentation-mask refinement by discrete diffusion."""
__version__ = "0.2.0"  # the one version string (pyproject.toml reads it)
