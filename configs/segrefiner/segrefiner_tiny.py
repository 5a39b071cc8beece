# A tiny SegRefiner for CPU tests and smoke runs: the official architecture at
# model_channels 32 with three levels, 64 px, trained for 20 iterations on the custom-
# folder fixture (tests/fixtures/folder) with online coarse masks; about a minute on a
# 2-core CPU; saves a checkpoint at its end.
_base_ = [
    '../_base_/models/segrefiner_lr.py',
    '../_base_/schedules/schedule_120k.py',
    '../_base_/default_runtime.py',
]
model_size = 64
model = dict(
    denoise_model=dict(model_channels=32, num_res_blocks=1, channel_mult=(1, 2, 2),
                       attention_strides=(4,), num_heads=2),
    test_cfg=dict(model_size=model_size))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask', key='gt_mask'),
    dict(type='GenerateCoarseMask', iou_target=0.8, max_rounds=50),
    dict(type='RandomObjectCrop', pad=10),
    dict(type='ResizeTo', size=model_size),
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='PackRefineInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='FolderRefineDataset', roots=['tests/fixtures/folder'],
                 pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=20, val_interval=1000000)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=10, max_keep_ckpts=2))
