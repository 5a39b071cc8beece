"""The Python API."""
from segrefiner.apis.refiner import Refiner

__all__ = ["Refiner"]
