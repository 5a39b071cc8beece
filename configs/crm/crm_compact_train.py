# Training recipe of the compact CRM (crm_compact.py) on the same real image / mask pairs
# as the compact SegRefiner: coco_mval + davis345 + horses linked under data/real/
# (docs/data_and_commands.md). From scratch (no ImageNet weights): convolutions
# Kaiming-normal, BN 1 / 0, Linear layers PyTorch's default. Object crops and
# full-resolution patches resized to 160 px, flip, colour jitter, CRM's online coarse
# masks (CascadePSP's contour simplification + dilate / erode to IoU ~ U(0.8, 1)),
# CRM's losses (BCE 1, L1 0.5, L2 0.5, gradient 2), Adam, batch 8.
#
#   python tools/train.py configs/crm/crm_compact_train.py
#
# The knobs, with the config entries that --cfg-options overrides:
#   lr, final_lr     optim_wrapper.optimizer.lr, param_scheduler.1.eta_min: linear warm-up,
#                    then a cosine from lr to final_lr
#   warmup_iters     param_scheduler.0.end and param_scheduler.1.begin
#   max_iters        train_cfg.max_iters and param_scheduler.1.end
#   train_size       the crop size (pipeline entries 2 and 3)
_base_ = ['./crm_compact.py']

train_size = 160
lr = 1e-3
final_lr = 1e-5
warmup_iters = 100
max_iters = 2500

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask', key='gt_mask'),
    dict(type='RandomPatchCrop', size=train_size, patch_prob=0.5,
         object_crop=dict(pad=40, whole_prob=0.5)),
    dict(type='ResizeTo', size=train_size),
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='PhotometricJitter', brightness=0.2, contrast=0.05, saturation=0.05,
         gray_prob=0.1),
    dict(type='GenerateCoarseMask', iou_target=(0.8, 1.0), max_rounds=250,
         retrieval='list', run_start='closest'),
    dict(type='PackRefineInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='FolderRefineDataset',
        roots=['data/real/coco_mval', 'data/real/davis345', 'data/real/horses'],
        pipeline=train_pipeline))
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=lr, weight_decay=1e-4),
                     clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, end=max_iters,
         eta_min=final_lr),
]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=max_iters, val_interval=1000000)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=250, max_keep_ckpts=2))
