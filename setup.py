"""Installs the `segrefiner` package and its `segrefiner` command."""
from setuptools import find_packages, setup

setup(
    name="segrefiner",
    version="0.1.0",
    description="Model-agnostic segmentation-mask refinement by discrete diffusion (SegRefiner)",
    packages=find_packages(include=["segrefiner", "segrefiner.*"]),
    package_data={"segrefiner.evaluation": ["coco_to_synset.json"]},
    python_requires=">=3.10",
    entry_points={"console_scripts": ["segrefiner=segrefiner.cli:entry_point"]},
)
