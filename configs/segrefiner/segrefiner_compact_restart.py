# Stage 6 of the compact model (measured, not bundled): a warm restart of the stage-4
# recipe. Stage 4 ended with the lr annealed to 0 after 12,000 iterations in all, far fewer
# than the official recipe's; here the same data and mixed-quality coarse masks (half
# mildly wrong, IoU 0.85-0.99, half of those low-pass) run another 2,000 iterations with
# the lr raised back to 1e-4 and annealed to 0 again (cosine). Run with
#   python tools/train.py configs/segrefiner/segrefiner_compact_restart.py --amp \
#       --cfg-options load_from=STAGE4
# STAGE4: the stage-4 weights (checkpoints/segrefiner_compact.pth as bundled in sessions
# 5-8). Trained in session 7 (one thread, 1 h 12 min; that run's files did not
# survive the session) and again in session 8 from the bundled file (2,000 iterations,
# 14:02-14:45, 0.74-0.84 s per iteration alone, 2.0-2.3 s while evaluations shared the
# CPU), exported with tools/export_checkpoint.py --fp16. Measured, not bundled: small
# gains on rough masks, small losses on good ones (checkpoints/MODEL_CARD.md, stage 6).
_base_ = ['./segrefiner_compact_smooth.py']

anneal_iters = 2000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=anneal_iters, eta_min=0.0),
]
train_cfg = dict(max_iters=anneal_iters)
