# The compact SegRefiner, the bundled default model: its config lives beside its weights
# in the package (segrefiner/model_zoo/segrefiner_compact.py, which says what it is);
# this file adds the runtime settings the tools need.
_base_ = ['../../segrefiner/model_zoo/segrefiner_compact.py', '../_base_/default_runtime.py']
