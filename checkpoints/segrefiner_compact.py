# Config of the bundled default checkpoint (segrefiner_compact.pth): the compact model
# trained by configs/segrefiner/segrefiner_compact_realsets.py, then _anneal.py, _mixed.py,
# _smooth.py, _coarse_end.py, _coarse_end_long.py, _coarse_end_more.py and
# _coarse_end_restart.py (stages 1-4 and 7-10, see MODEL_CARD.md); the test settings are
# those of the first.
_base_ = ['../configs/segrefiner/segrefiner_compact_realsets.py']
