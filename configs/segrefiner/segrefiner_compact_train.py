# Training recipe of the compact SegRefiner (segrefiner_compact.py) on real image / mask
# pairs: coco_mval + davis345 + horses linked under data/real/ (docs/data_and_commands.md),
# online coarse masks, 128 px object crops and full-resolution patches, batch 8, AdamW.
#
#   python tools/train.py configs/segrefiner/segrefiner_compact_train.py --amp
#
# The knobs, with the config entries that --cfg-options overrides:
#   lr, final_lr        optim_wrapper.optimizer.lr, param_scheduler.1.eta_min: after a
#                       linear warm-up the lr follows a cosine from lr to final_lr
#                       (final_lr = lr: constant)
#   warmup_iters        param_scheduler.0.end and param_scheduler.1.begin
#   max_iters           train_cfg.max_iters and param_scheduler.1.end
#   mild_prob           train_dataloader.dataset.pipeline.2.mild_prob: share of coarse masks
#                       only mildly wrong (IoU mild_iou_target with the accurate mask; blurred
#                       and thresholded or dilated / eroded), the rest contour-perturbed to
#                       IoU ~0.8 as in the official LR training
#   mild_kinds          train_dataloader.dataset.pipeline.2.mild_kinds: the kinds of mildly
#                       wrong masks, drawn uniformly: dilate_erode, smooth, identity (the
#                       accurate mask itself: the model learns to keep it)
#   coarse_end_prob     model.train_cfg.coarse_end_prob: share of samples trained at the
#                       coarse end t = 5 (the step the local pass runs), the rest uniform
# docs/model_zoo.md lists the values each stage of the bundled weights used.
_base_ = [
    './segrefiner_compact.py',
    '../_base_/schedules/schedule_120k.py',
]

train_size = 128
lr = 2e-4
final_lr = 2e-4
warmup_iters = 200
max_iters = 5000
mild_prob = 0.0
mild_iou_target = (0.85, 0.99)
coarse_end_prob = 0.0

model = dict(train_cfg=dict(coarse_end_prob=coarse_end_prob))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask', key='gt_mask'),
    dict(type='GenerateCoarseMask', iou_target=0.8, max_rounds=250, mild_prob=mild_prob,
         mild_iou_target=mild_iou_target, mild_kinds=('dilate_erode', 'smooth')),
    dict(type='RandomPatchCrop', size=train_size, patch_prob=0.5,
         object_crop=dict(pad=40, whole_prob=0.5)),
    dict(type='ResizeTo', size=train_size),
    dict(type='RandomHorizontalFlip', prob=0.5),
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
optim_wrapper = dict(optimizer=dict(lr=lr), clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, end=max_iters,
         eta_min=final_lr),
]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=max_iters, val_interval=1000000)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=250, max_keep_ckpts=2))
