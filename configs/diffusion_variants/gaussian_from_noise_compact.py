# Diffusion-variant comparison, Gaussian mask diffusion from pure noise (DFormer's own
# sampling): the coarse mask is an extra input channel at every step (in_channels 5) and
# sampling starts from N(0, 1) at step 999. Same network (but its first convolution),
# data and budget as discrete_compact.py.
#
#   python tools/train.py configs/diffusion_variants/gaussian_from_noise_compact.py --amp \
#       --work-dir work_dirs/gaussian_from_noise_compact
_base_ = ['./gaussian_compact.py']

model = dict(
    denoise_model=dict(in_channels=5),
    diffusion=dict(coarse_channel=True, start_step=None, local_start_step=None))
