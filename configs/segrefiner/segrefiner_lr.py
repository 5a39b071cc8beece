# LR-SegRefiner: trained on LVIS v1 with online coarse masks (official recipe).
_base_ = [
    '../_base_/models/segrefiner_lr.py',
    '../_base_/datasets/lvis_train.py',
    '../_base_/schedules/schedule_120k.py',
    '../_base_/default_runtime.py',
]
