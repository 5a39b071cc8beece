# The bundled compact SegRefiner with settings that leave accurate masks alone: its
# refinement changes a pixel of the input only where the model is sure, in proportion to
# how accurate the input looks (the refined boundary's mean shift from the input's), and
# the global pass of large images runs at up to 512 px on an area-averaged image.
#
#   segrefiner refine --config configs/segrefiner/segrefiner_compact_conservative.py ...
#
# test_cfg entries (segrefiner/inference/semantic.py, instance.py):
#   change_confidence   a change of the input needs confidence 2 |p - 0.5| >= this ...
#   accurate_shift      ... in full when the refined boundary moved <= 1 px on average
#                       from the input's, not at all from 2 px, linearly between
#   global_max_size     the global pass's largest side (default: model_size, 256)
#   global_resize       'area': the global pass's image and mask area-averaged
# docs/model_zoo.md measures it on the real sets.
_base_ = ['./segrefiner_compact.py']

model = dict(test_cfg=dict(change_confidence=0.8, accurate_shift=(1.0, 2.0),
                           global_max_size=512, global_resize='area'))
