# The bundled compact SegRefiner with settings that leave accurate masks alone: an input
# whose boundary the model moves little, counting only the changes it is sure of, is
# returned unchanged; a rougher input is changed only where the model is sure, less so
# the further the boundary moves; the global pass of large images runs at up to 512 px
# on an area-averaged image.
#
#   segrefiner refine --config configs/segrefiner/segrefiner_compact_conservative.py ...
#
# test_cfg entries (segrefiner/inference/semantic.py, instance.py):
#   shift_confidence    the boundary shift counts changed pixels of confidence
#                       2 |p - 0.5| >= 0.6 (per pixel of the input's boundary)
#   accurate_shift      up to 0.75 px: the input is returned unchanged; from 1.75 px
#                       every change stands
#   change_confidence   between: a change needs confidence >= 0.8 at 0.75 px, linearly
#                       less up to 1.75 px
#   global_max_size     the global pass's largest side (default: model_size, 256)
#   global_resize       'area': the global pass's image and mask area-averaged
# docs/model_zoo.md measures it on the real sets.
_base_ = ['./segrefiner_compact.py']

model = dict(test_cfg=dict(change_confidence=0.8, accurate_shift=(0.75, 1.75),
                           shift_confidence=0.6, global_max_size=512, global_resize='area'))
