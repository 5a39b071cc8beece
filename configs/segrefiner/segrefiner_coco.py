# Refine a COCO-format results JSON of any instance segmentation model (LR model) and
# score it with Mask AP / Boundary AP on the cocofied LVIS v1 val.
_base_ = ['./segrefiner_lr.py', '../_base_/datasets/coco_test.py']
test_cfg = dict(type='TestLoop')
