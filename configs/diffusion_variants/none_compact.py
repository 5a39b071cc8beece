# Diffusion-variant comparison, "none" (SegRefiner's Table 5a): one denoiser pass from the
# coarse mask, trained on (coarse, accurate) pairs. The local pass patches the whole
# boundary of the global result (sliding windows, as for every variant here). Same
# network, data and budget as discrete_compact.py.
#
#   python tools/train.py configs/diffusion_variants/none_compact.py --amp \
#       --work-dir work_dirs/none_compact
_base_ = ['./discrete_compact.py']

model = dict(
    diffusion=dict(_delete_=True, type='NoDiffusion', step=0),
    test_cfg=dict(local_step=None))
