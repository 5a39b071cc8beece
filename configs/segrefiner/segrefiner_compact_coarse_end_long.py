# Stage 8 of the compact model (session 10), bundled then: stage 7 again, longer and more at
# the coarse end. Stage 7 (segrefiner_compact_coarse_end.py, half the samples at t = 5)
# was the first CPU stage since stage 4 to raise every semantic-path number; here three
# quarters of the samples train at t = 5, the rest uniform over the 6 steps, the stage-4
# data and mixed-quality coarse masks; lr 5e-5 annealed to 0 (cosine) over 4,000
# iterations, a checkpoint every 1,000. Run
#   python tools/train.py configs/segrefiner/segrefiner_compact_coarse_end_long.py --amp \
#       --cfg-options load_from=STAGE7
# STAGE7: the stage-7 weights (checkpoints/segrefiner_compact.pth as bundled in session 9).
# Trained in session 10 (19:24-20:20, 0.8-0.9 s per iteration), exported with
# tools/export_checkpoint.py --fp16 and bundled: better than stage 7 on every whole set, the
# instance path included (checkpoints/MODEL_CARD.md, stage 8). Stage 9
# (segrefiner_compact_coarse_end_more.py) trained on from it.
_base_ = ['./segrefiner_compact_coarse_end.py']

anneal_iters = 4000
model = dict(train_cfg=dict(coarse_end_prob=0.75))
default_hooks = dict(checkpoint=dict(interval=1000))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=anneal_iters, eta_min=0.0),
]
train_cfg = dict(max_iters=anneal_iters)
