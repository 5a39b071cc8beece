# Stage 3 of the bundled compact model: fine-tune on coarse masks of mixed quality. The
# stage-1/2 model only saw masks perturbed to IoU ~0.7 and "corrects" already-good masks
# too (mask-head and SAM inputs got worse, checkpoints/MODEL_CARD.md); here 40 % of the
# samples get a mildly wrong mask instead (dilate / erode only, stopping at IoU 0.95-0.99).
# lr 1e-4 annealed to 0 (cosine) over 1,500 iterations. Run with
#   python tools/train.py configs/segrefiner/segrefiner_compact_mixed.py --amp \
#       --cfg-options load_from=STAGE2
# STAGE2: the stage-2 weights (segrefiner_compact_anneal.py, iteration 2,000). Stage 4 is
# segrefiner_compact_smooth.py.
_base_ = ['./segrefiner_compact_anneal.py']

anneal_iters = 1500
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask', key='gt_mask'),
    dict(type='GenerateCoarseMask', iou_target=0.8, max_rounds=250, mild_prob=0.4,
         mild_iou_target=(0.95, 0.99)),
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
