# Config of the bundled weights segrefiner_compact.pth beside this file: the compact
# SegRefiner (configs/segrefiner/segrefiner_compact.py: DenoiseUNet at model_channels 32,
# 6 steps, semantic path at 256 px with the boundary-covering local pass at t = 5), trained
# with configs/segrefiner/segrefiner_compact_train.py in the stages docs/model_zoo.md lists.
_base_ = ['../configs/segrefiner/segrefiner_compact.py']
