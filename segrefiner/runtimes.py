"""What runs SegRefiner's denoiser during refinement, by the names the API and the
command use (``Refiner(runtime=...)``, ``--runtime``).

- ``torch``: the default, every device.
- ``openvino``: OpenVINO on the CPU, optional (``pip install openvino``):
  :mod:`segrefiner.inference.openvino_denoiser`.
"""
TORCH = "torch"
OPENVINO = "openvino"
RUNTIMES = (TORCH, OPENVINO)
