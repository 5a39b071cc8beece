"""Installs the `segrefiner` package and its `segrefiner` command."""
import re
from pathlib import Path

from setuptools import find_packages, setup

# The one version string lives in segrefiner/__init__.py.
VERSION = re.search(r'__version__ = "([^"]+)"',
                    (Path(__file__).parent / "segrefiner" / "__init__.py").read_text()).group(1)

setup(
    name="segrefiner",
    version=VERSION,
    description="Model-agnostic segmentation-mask refinement by discrete diffusion (SegRefiner)",
    packages=find_packages(include=["segrefiner", "segrefiner.*"]),
    package_data={"segrefiner.evaluation": ["coco_to_synset.json"]},
    python_requires=">=3.10",
    entry_points={"console_scripts": ["segrefiner=segrefiner.cli:entry_point"]},
)
