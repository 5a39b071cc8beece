"""The two refinement paths, by the names configs (``test_cfg.mode``), the API and the
command use.

- ``instance``: one crop per instance around its box (COCO / LVIS, the LR model).
- ``semantic``: one whole-image mask at any resolution: a global pass on the whole image
  at ``model_size``, then a local pass on full-resolution patches (BIG / DIS, the HR
  model, the bundled model).
"""
INSTANCE = "instance"
SEMANTIC = "semantic"
MODES = (INSTANCE, SEMANTIC)
