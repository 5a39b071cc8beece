# Refine DIS5K (DIS-VD, DIS-TE1..4) coarse masks with the HR model.
_base_ = ['./segrefiner_hr.py']
