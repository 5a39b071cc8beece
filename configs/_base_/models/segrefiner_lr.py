# The LR SegRefiner (official architecture: 118.6 M parameters, 6 steps).
model = dict(
    type='SegRefiner',
    data_preprocessor=dict(
        type='RefinerDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375]),
    denoise_model=dict(
        type='DenoiseUNet',
        in_channels=4,
        out_channels=1,
        model_channels=128,
        num_res_blocks=2,
        num_heads=4,
        num_heads_upsample=-1,
        attention_strides=(16, 32),
        learn_time_embd=True,
        channel_mult=(1, 1, 2, 2, 4, 4),
        dropout=0.0),
    diffusion_cfg=dict(betas_cumprod_start=0.8, betas_cumprod_end=0.0, num_timesteps=6),
    loss_mask=dict(type='MaskBCELoss', loss_weight=1.0),
    loss_texture=dict(type='TextureL1Loss', loss_weight=5.0),
    # Instance refinement (COCO / LVIS).
    test_cfg=dict(mode='instance', model_size=256, pad_width=20, batch_size=32, area_thr=512))
