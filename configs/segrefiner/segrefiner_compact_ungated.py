# The bundled compact SegRefiner keeping every change the model makes: the settings of
# segrefiner_compact.py without the decisions that leave accurate masks alone (deep
# changes, boundary shift, per-pixel confidence). For masks known to be rough, and to
# measure what those decisions cost and save (docs/model_zoo.md).
#
#   segrefiner refine --config configs/segrefiner/segrefiner_compact_ungated.py ...
_base_ = ['./segrefiner_compact.py']

model = dict(test_cfg=dict(deep_change=None, accurate_shift=None, shift_confidence=None,
                           accurate_confidence=None, change_confidence=None),
             instance_test_cfg=dict(_delete_=True))
