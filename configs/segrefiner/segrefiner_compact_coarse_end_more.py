# Stage 9 of the compact model (session 11): stage 8 again with still more samples at the
# coarse end. Stages 7 and 8 (half, then three quarters of the samples at t = 5) each
# raised the accurate-mask numbers most; here nine tenths of the samples train at t = 5,
# the rest uniform over the 6 steps, the stage-4 data and mixed-quality coarse masks;
# lr 5e-5 annealed to 0 (cosine) over 4,000 iterations, a checkpoint every 1,000. Run
#   python tools/train.py configs/segrefiner/segrefiner_compact_coarse_end_more.py --amp \
#       --cfg-options load_from=STAGE8
# STAGE8: the stage-8 weights (checkpoints/segrefiner_compact.pth as bundled in session 10).
# Trained in session 11 (22:36-23:30, 0.74-0.98 s per iteration), exported with
# tools/export_checkpoint.py --fp16 and bundled: better or level on every semantic-path set,
# 0.005 Boundary AP behind stage 8 on the instance path (checkpoints/MODEL_CARD.md, stage 9).
_base_ = ['./segrefiner_compact_coarse_end_long.py']

model = dict(train_cfg=dict(coarse_end_prob=0.9))
