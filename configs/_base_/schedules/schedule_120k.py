# Official LR schedule: AdamW 4e-4, 120k iterations, x0.5 at 80k and 100k, 8 GPUs x 8.
# Added against collapse on fewer GPUs: linear warm-up and gradient clipping; the lr is
# scaled from the base batch size with --auto-scale-lr.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=4e-4, weight_decay=0.0),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=120000,
         milestones=[80000, 100000], gamma=0.5),
]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=120000, val_interval=1000000)
auto_scale_lr = dict(enable=False, base_batch_size=64)
