# Config of the bundled default checkpoint (segrefiner_compact.pth): the compact model
# trained by configs/segrefiner/segrefiner_compact_realsets.py (see MODEL_CARD.md).
_base_ = ['../configs/segrefiner/segrefiner_compact_realsets.py']
