"""The bundled model, shipped inside the package: its weights and their config."""
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLED_CONFIG = HERE / "segrefiner_compact.py"
BUNDLED_CHECKPOINT = HERE / "segrefiner_compact.pth"
