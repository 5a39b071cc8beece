# Stage 10 of the compact model (sessions 11-12): the stage-9 recipe once more (nine tenths
# of the samples at t = 5, the stage-4 data and mixed-quality coarse masks) from the
# stage-9 weights, the lr raised back to 5e-5 and annealed to 0 (cosine) over 1,000
# iterations, a checkpoint every 500: does more training at the coarse end still pay?
# (Session 11 planned 2,500 iterations and was cut off; session 12's CPU, AVX2 only, has
# no bf16 kernels and trains in fp32 at about 4 s per iteration, hence 1,000.) Run
#   python tools/train.py configs/segrefiner/segrefiner_compact_coarse_end_restart.py --amp \
#       --cfg-options load_from=STAGE9
# STAGE9: the stage-9 weights (checkpoints/segrefiner_compact.pth as bundled in session 11).
# Trained in session 12 (21:16-22:35, 3.8-4.1 s per iteration in fp32), exported with
# tools/export_checkpoint.py --fp16 and bundled: better than stage 9 on every rough-mask
# set (perturbed, SAM, box-GrabCut), level on accurate masks (checkpoints/MODEL_CARD.md,
# stage 10).
_base_ = ['./segrefiner_compact_coarse_end_more.py']

anneal_iters = 1000
default_hooks = dict(checkpoint=dict(interval=500))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=anneal_iters, eta_min=0.0),
]
train_cfg = dict(max_iters=anneal_iters)
