# Stage 5 of the bundled compact model: train at the size it refines at. Stages 1-4
# trained on 128 px crops while refinement runs at 256 px (test_cfg.model_size); here the
# crops and object views are 256 px, so the model sees boundaries at the resolution it
# is asked to draw them. Same mixed-quality coarse masks as stage 4 (half mildly wrong,
# IoU 0.85-0.99, half of those low-pass); batch 4 (a 256 px step costs ~4x a 128 px one);
# lr 5e-5 annealed to 0 (cosine) over 1,200 iterations. Run with
#   python tools/train.py configs/segrefiner/segrefiner_compact_hires.py --amp \
#       --cfg-options load_from=STAGE4
# STAGE4: the stage-4 weights (segrefiner_compact_smooth.py, 12,000 iterations in all).
# Measured in session 6 (1 h 7 min; 2.8 s per iteration alone), not adopted: first 12 images,
# IoU / mBA, stage 4 -> this stage: grabcut 0.891 / 0.655 -> 0.898 / 0.652, berkeley
# 0.898 / 0.641 -> 0.901 / 0.636, dis_hr 0.898 / 0.665 -> 0.894 / 0.655 (checkpoints/MODEL_CARD.md).
_base_ = ['./segrefiner_compact_smooth.py']

train_size = 256
anneal_iters = 1200
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask', key='gt_mask'),
    dict(type='GenerateCoarseMask', iou_target=0.8, max_rounds=250, mild_prob=0.5,
         mild_iou_target=(0.85, 0.99), mild_kinds=('dilate_erode', 'smooth')),
    dict(type='RandomPatchCrop', size=train_size, patch_prob=0.5,
         object_crop=dict(pad=40, whole_prob=0.5)),
    dict(type='ResizeTo', size=train_size),
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='PackRefineInputs'),
]
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=5e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=anneal_iters, eta_min=0.0),
]
train_cfg = dict(max_iters=anneal_iters)
