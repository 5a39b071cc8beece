# HR-SegRefiner: 40k iterations of fine-tuning on DIS5K-TR + ThinObject-5K from the LR
# 80k checkpoint (official recipe); refines with the semantic (global + local) path.
_base_ = [
    '../_base_/models/segrefiner_lr.py',
    '../_base_/datasets/hr_train.py',
    '../_base_/schedules/schedule_120k.py',
    '../_base_/default_runtime.py',
]
model = dict(
    test_cfg=dict(_delete_=True, mode='semantic', model_size=256, fine_prob_thr=0.9,
                  iou_thr=0.3, batch_size=32))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=40000, milestones=[30000], gamma=0.5),
]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=40000, val_interval=1000000)
load_from = 'checkpoints/segrefiner_lr_80k.pth'
