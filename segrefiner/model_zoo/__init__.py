"""The bundled models, shipped inside the package: their weights and configs (the
compact SegRefiner, the default refiner, and the compact CRM)."""
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLED_CONFIG = HERE / "segrefiner_compact.py"
BUNDLED_CHECKPOINT = HERE / "segrefiner_compact.pth"
CRM_CONFIG = HERE / "crm_compact.py"
CRM_CHECKPOINT = HERE / "crm_compact.pth"
