# Refine DIS5K coarse masks (DIS-VD, DIS-TE1..4) with CRM as released and score them.
#
#   python tools/test.py configs/crm/crm_dis.py RELEASED_CRM.pth --out-dir out/crm_dis
_base_ = [
    '../_base_/models/crm_resnet50.py',
    '../_base_/datasets/dis_test.py',
    '../_base_/default_runtime.py',
]
test_cfg = dict(type='TestLoop')
