# Refine a COCO-format results JSON of any instance segmentation model (LR model).
_base_ = ['./segrefiner_lr.py']
