# Stage 2 of the bundled compact model: anneal the learning rate from 1e-4 to 0 over
# 2,000 iterations, starting from the stage-1 weights (segrefiner_compact_realsets.py,
# constant 2e-4 after warm-up). Run with
#   python tools/train.py configs/segrefiner/segrefiner_compact_anneal.py --amp \
#       --cfg-options load_from=work_dirs/compact_realsets/iter_5000.pth
_base_ = ['./segrefiner_compact_realsets.py']

anneal_iters = 2000
optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=anneal_iters, eta_min=0.0),
]
train_cfg = dict(max_iters=anneal_iters)
default_hooks = dict(checkpoint=dict(interval=250, max_keep_ckpts=8))
