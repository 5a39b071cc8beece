# Diffusion-variant comparison, "w/o diffusion" (SegRefiner's Table 5a): the discrete
# process's steps and training, sampled without transitions (each step's thresholded
# prediction is the next step's whole input). Its training is discrete_compact.py's
# exactly, so a discrete_compact checkpoint refines with this sampler as it is:
#
#   python tools/analysis_tools/eval_real_sets.py --methods coarse segrefiner \
#       --config configs/diffusion_variants/iterative_compact.py \
#       --checkpoint work_dirs/discrete_compact/iter_600.pth
_base_ = ['./discrete_compact.py']

model = dict(diffusion=dict(type='IterativeRefinement'))
