"""Models: the denoiser, losses, data preprocessor and the SegRefiner model."""
from segrefiner.models.crm import CRM
from segrefiner.models.data_preprocessor import RefinerDataPreprocessor
from segrefiner.models.denoiser import DenoiseUNet
from segrefiner.models.losses import MaskBCELoss, TextureL1Loss
from segrefiner.models.segrefiner import SegRefiner

__all__ = ["CRM", "DenoiseUNet", "MaskBCELoss", "RefinerDataPreprocessor", "SegRefiner",
           "TextureL1Loss"]
