# Refine BIG coarse masks with the HR model (global + local) and score IoU / mBA.
_base_ = ['./segrefiner_hr.py', '../_base_/datasets/big_test.py']
test_cfg = dict(type='TestLoop')
