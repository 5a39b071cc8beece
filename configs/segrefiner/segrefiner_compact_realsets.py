# The bundled default model: the official architecture with model_channels 32
# (7.4 M parameters), trained at 128 px on the real sets coco_mval + davis345 + horses
# (link them under data/real/, see data/README.md) with online coarse masks, object
# crops and full-resolution patches, bf16 autocast on CPU (tools/train.py --amp).
_base_ = [
    '../_base_/models/segrefiner_lr.py',
    '../_base_/schedules/schedule_120k.py',
    '../_base_/default_runtime.py',
]
model_size = 128
# Refinement runs at twice the training size (the network is fully convolutional). The
# local pass differs from the official one (measured in checkpoints/MODEL_CARD.md): its
# full-resolution patches cover the whole boundary of the global result, run at the first
# step (t = 5: "this mask is coarse", where the official last step t = 0 mostly copies
# it), and change only pixels within 16 px of that boundary. Where the global pass (at
# 256 px) changed nothing, the full-resolution input is kept (keep_coarse_detail).
model = dict(
    denoise_model=dict(model_channels=32),
    test_cfg=dict(_delete_=True, mode='semantic', model_size=2 * model_size, fine_prob_thr=0.9,
                  iou_thr=0.3, batch_max=32, local_step=5, cover_boundary=True, local_band=16,
                  keep_coarse_detail=True))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask', key='gt_mask'),
    dict(type='GenerateCoarseMask', iou_target=0.8, max_rounds=250),
    dict(type='RandomPatchCrop', size=model_size, patch_prob=0.5,
         object_crop=dict(pad=40, whole_prob=0.5)),
    dict(type='ResizeTo', size=model_size),
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
optim_wrapper = dict(optimizer=dict(lr=2e-4), clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=200),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=20000,
         milestones=[12000, 16000], gamma=0.5),
]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=20000, val_interval=1000000)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=250, max_keep_ckpts=2))
