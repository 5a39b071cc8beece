# Diffusion-variant comparison, Gaussian mask diffusion (DFormer's recipe for refinement):
# masks as +-0.1 signals, a cosine schedule over 1000 steps, the denoiser predicting the
# accurate mask from the noised one and the image (sinusoidal step embedding: a learned
# table of 1000 rows would see few updates); refinement starts from the coarse mask noised
# to step start_step and runs sampling_steps DDIM steps (eta 0). Same network, data and
# budget as discrete_compact.py.
#
#   python tools/train.py configs/diffusion_variants/gaussian_compact.py --amp \
#       --work-dir work_dirs/gaussian_compact
_base_ = ['./discrete_compact.py']

model = dict(
    denoise_model=dict(learn_time_embd=False, num_timesteps=1000),
    diffusion=dict(_delete_=True, type='GaussianMaskDiffusion', num_timesteps=1000, scale=0.1,
                   sampling_steps=5, start_step=100, eta=0.0, local_sampling_steps=1),
    test_cfg=dict(local_step=None))
