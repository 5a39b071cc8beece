# The compact SegRefiner (the bundled default model): the official DenoiseUNet at
# model_channels 32 (7.4 M parameters), 6 diffusion steps, refining whole-image masks
# (semantic path) at any resolution. Trained at 128 px (segrefiner_compact_train.py);
# refinement runs at 256 px (the network is fully convolutional).
#
# Its local pass departs from the official one (docs/model_zoo.md measures why): patches
# cover the whole boundary of the global result (cover_boundary), run at the first step
# t = 5 (local_step; the official last step t = 0 mostly copies its input) and change only
# pixels within 16 px of that boundary (local_band); cells the 256 px global pass leaves
# unchanged keep the input's full-resolution pixels (keep_coarse_detail).
_base_ = ['../_base_/models/segrefiner_lr.py', '../_base_/default_runtime.py']

model = dict(
    denoise_model=dict(model_channels=32),
    test_cfg=dict(_delete_=True, mode='semantic', model_size=256, fine_prob_thr=0.9,
                  iou_thr=0.3, batch_size=32, local_step=5, cover_boundary=True,
                  local_band=16, keep_coarse_detail=True))
