# A tiny CRM for CPU tests and smoke runs: CRM's architecture at base width 8, one
# bottleneck per stage, no fourth stage; 10 iterations at 64 px on the custom-folder
# fixture (tests/fixtures/folder) with CRM's online coarse masks and losses; seconds on a
# 2-core CPU; saves a checkpoint at its end.
_base_ = ['../_base_/default_runtime.py']
train_size = 64
model = dict(
    type='CRM',
    base_width=8,
    blocks=(1, 1, 1, 0),
    with_layer4=False,
    mlp_hidden=16,
    mlp_depth=2,
    data_preprocessor=dict(type='RefinerDataPreprocessor', mean=(0.485, 0.456, 0.406),
                           std=(0.229, 0.224, 0.225), scale=255.0),
    test_cfg=dict(mode='semantic', scales=(0.25, 1.0), pad=8, query_chunk=4096))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask', key='gt_mask'),
    dict(type='RandomCrop', size=train_size),
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='PhotometricJitter', brightness=0.2, contrast=0.05, saturation=0.05,
         gray_prob=0.1),
    dict(type='GenerateCoarseMask', iou_target=(0.8, 1.0), max_rounds=50,
         retrieval='list', run_start='closest'),
    dict(type='PackRefineInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='FolderRefineDataset', roots=['tests/fixtures/folder'],
                 pipeline=train_pipeline))
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=10, milestones=[5], gamma=0.1),
]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=10, val_interval=1000000)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=5, max_keep_ckpts=2))
