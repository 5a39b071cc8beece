# Refine DIS5K coarse masks (DIS-VD, DIS-TE1..4) with the HR model and score them.
_base_ = ['./segrefiner_hr.py', '../_base_/datasets/dis_test.py']
test_cfg = dict(type='TestLoop')
