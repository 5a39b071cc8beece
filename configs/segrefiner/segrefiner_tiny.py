# A tiny SegRefiner for CPU tests: same architecture, model_channels 32, 64 px input.
_base_ = ['./segrefiner_lr.py']
model = dict(
    denoise_model=dict(model_channels=32, num_res_blocks=1, channel_mult=(1, 2, 2),
                       attention_strides=(4,), num_heads=2),
    test_cfg=dict(model_size=64))
