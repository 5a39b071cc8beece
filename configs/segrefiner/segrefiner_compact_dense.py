# The compact SegRefiner with the refinement settings of segrefiner 0.1: the global pass
# always at 256 px, then 256 px patches on a 128 px grid along the whole boundary (each
# boundary pixel in up to four patches) plus patches around every point the global pass was
# unsure of. Slower than segrefiner_compact.py, and no better on the real sets;
# docs/benchmarks.md compares the two. Exact mode unless asked for the fast one.
_base_ = ['./segrefiner_compact.py']

model = dict(
    test_cfg=dict(_delete_=True, mode='semantic', model_size=256, fine_prob_thr=0.9,
                  iou_thr=0.3, batch_size=32, local_step=5, cover_boundary=True,
                  local_band=16, keep_coarse_detail=True),
    fast_test_cfg=dict(_delete_=True))
fast_on_cpu = False
