# Refine BIG coarse masks with CRM as released (configs/_base_/models/crm_resnet50.py) and
# score IoU / mBA.
#
#   python tools/test.py configs/crm/crm_big.py RELEASED_CRM.pth --out-dir out/crm_big
#   segrefiner refine IMAGE MASK --config configs/crm/crm_big.py --checkpoint RELEASED_CRM.pth
_base_ = [
    '../_base_/models/crm_resnet50.py',
    '../_base_/datasets/big_test.py',
    '../_base_/default_runtime.py',
]
test_cfg = dict(type='TestLoop')
