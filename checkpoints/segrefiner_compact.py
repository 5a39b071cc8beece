# Config of the bundled default checkpoint (segrefiner_compact.pth): the compact model
# trained by configs/segrefiner/segrefiner_compact_realsets.py, then _anneal.py and
# _mixed.py (three stages, see MODEL_CARD.md); the test settings are those of the first.
_base_ = ['../configs/segrefiner/segrefiner_compact_realsets.py']
