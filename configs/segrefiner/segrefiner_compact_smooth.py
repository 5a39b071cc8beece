# Stage 4 of the bundled compact model: more and more varied mildly wrong coarse masks.
# Stage 3 (segrefiner_compact_mixed.py) cut the damage the model does to already-good masks
# by half, not to zero; real models' masks are mostly low-pass wrong (rounded corners,
# thin parts missing, as at a mask head's resolution), which dilate / erode does not
# teach. Here half the samples get a mild mask (IoU 0.85-0.99 with the GT), half of those
# blurred and thresholded ('smooth'), half dilated / eroded; lr 1e-4 annealed to 0
# (cosine) over 3,500 iterations. Run with
#   python tools/train.py configs/segrefiner/segrefiner_compact_smooth.py --amp \
#       --cfg-options load_from=STAGE3
# STAGE3: the stage-3 weights (the model bundled in session 4, 8,500 iterations). The
# stage-4 result was bundled in sessions 5-8; stage 7 (segrefiner_compact_coarse_end.py)
# trained on from it.
_base_ = ['./segrefiner_compact_mixed.py']

anneal_iters = 3500
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask', key='gt_mask'),
    dict(type='GenerateCoarseMask', iou_target=0.8, max_rounds=250, mild_prob=0.5,
         mild_iou_target=(0.85, 0.99), mild_kinds=('dilate_erode', 'smooth')),
    dict(type='RandomPatchCrop', size={{_base_.model_size}}, patch_prob=0.5,
         object_crop=dict(pad=40, whole_prob=0.5)),
    dict(type='ResizeTo', size={{_base_.model_size}}),
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='PackRefineInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=anneal_iters, eta_min=0.0),
]
train_cfg = dict(max_iters=anneal_iters)
