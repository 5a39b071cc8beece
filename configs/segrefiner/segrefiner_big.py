# Refine BIG (whole-image, high-resolution) coarse masks with the HR model.
_base_ = ['./segrefiner_hr.py']
