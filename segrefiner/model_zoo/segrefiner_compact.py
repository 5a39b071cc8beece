# The bundled default model (segrefiner_compact.pth beside this file), self-contained so
# that it works from an installed package: the compact SegRefiner, the official DenoiseUNet
# at model_channels 32 (7.4 M parameters), 6 diffusion steps, refining whole-image masks
# (semantic path) at any resolution. Trained at 128 px with
# configs/segrefiner/segrefiner_compact_train.py (docs/model_zoo.md: stages, results).
#
# Its refinement departs from the official one (docs/model_zoo.md and docs/benchmarks.md
# measure why): the global pass runs at the smallest multiple of 32 covering a quarter of
# the image's longer side, between 128 and 256 px (global_downsample); 128 px
# full-resolution patches on an 80 px grid cover the whole boundary of the global result
# (patch_size, cover_stride, cover_boundary; no extra patches around unsure points),
# merged with weights falling from each patch's centre to its edge (patch_blend='tent'),
# run at the first step t = 5 (local_step; the official last step t = 0 mostly copies its
# input) and change only pixels within 16 px of that boundary (local_band); cells the
# global pass leaves unchanged keep the input's full-resolution pixels (keep_coarse_detail).
#
# It leaves accurate masks alone (segrefiner/inference/change_gate.py; docs/model_zoo.md
# measures each decision): a region of change more than 4x as deep as the changes along
# the input's boundary typically are, plus 2 px, is dropped unless the model's mean
# confidence 2 |p - 0.5| over it is >= 0.9 (deep_change; changes up to 2 px apart are one
# region, deep_change_gap); the boundary shift, the sure
# changes (confidence >= 0.6) per pixel of the input's boundary, decides how sure a change
# must be: up to 0.75 px (an accurate input) >= 0.95, falling linearly to nothing at
# 1.25 px (accurate_shift, accurate_confidence, change_confidence, shift_confidence). On
# the instance path (256 px crops, all six steps, the shift in crop px) an input whose
# shift is up to 1.25 px is returned unchanged, and the ramp runs to 1.75 px
# (instance_test_cfg): with the semantic path's settings, sure changes of accurate
# instances cost lvis_mini 0.014 Boundary AP.
#
# Refiner() and `segrefiner` run it in the fast mode on a CPU (fast_on_cpu: fast_test_cfg
# below, and bf16 where the CPU has bf16 kernels; docs/benchmarks.md measures its speed and
# quality against the exact mode). Refiner(fast=False) / --exact runs the exact mode, the
# default on GPU.
#
# configs/segrefiner/segrefiner_compact_dense.py keeps the slower settings it had before;
# configs/segrefiner/segrefiner_compact_ungated.py keeps every change the model makes.
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
        model_channels=32,
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
    test_cfg=dict(mode='semantic', model_size=256, fine_prob_thr=0.9, iou_thr=0.3,
                  batch_size=32, local_step=5, cover_boundary=True, local_band=16,
                  keep_coarse_detail=True, global_downsample=4, patch_size=128,
                  cover_stride=80, unsure_patches=False, patch_blend='tent',
                  deep_change=(4.0, 2.0), deep_change_confidence=0.9, deep_change_gap=2,
                  accurate_shift=(0.75, 1.25), shift_confidence=0.6,
                  accurate_confidence=0.95, change_confidence=0.95),
    # The fast mode's patches on a 96 px grid, shifted to whichever offset needs fewest
    # patches: 21-28 % fewer passes than the exact mode's 80 px grid, IoU and mBA within
    # 0.003 of the exact mode on the real sets (grabcut, berkeley: means over three sampling
    # seeds), accurate masks left as they were but one grabcut image (docs/model_zoo.md:
    # options).
    fast_test_cfg=dict(cover_stride=96, cover_fewest=True),
    instance_test_cfg=dict(accurate_shift=(1.25, 1.75), accurate_confidence=None))
fast_on_cpu = True
