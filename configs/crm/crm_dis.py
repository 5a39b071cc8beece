# CRM as released (crm_big.py) on the DIS5K layout (DIS-VD, DIS-TE1..4).
#
#   python tools/test.py configs/crm/crm_dis.py RELEASED_CRM.pth --out-dir out/crm_dis
_base_ = ['./crm_big.py', '../_base_/datasets/dis_test.py']
