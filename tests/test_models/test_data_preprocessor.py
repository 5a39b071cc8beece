"""RefinerDataPreprocessor: ImageNet normalisation by hand, inputs left as they were."""
import numpy as np
import pytest
import torch

from segrefiner.models.data_preprocessor import RefinerDataPreprocessor


def test_normalisation_by_hand_in_both_units():
    pixel = np.array([[[255, 0, 128]]], dtype=np.uint8)  # (1, 1, 3) RGB
    segrefiner = RefinerDataPreprocessor()  # mean / std in 0..255 units
    crm = RefinerDataPreprocessor((0.485, 0.456, 0.406), (0.229, 0.224, 0.225), scale=255.0)
    by_hand = [(255 - 123.675) / 58.395, (0 - 116.28) / 57.12, (128 - 103.53) / 57.375]
    crm_by_hand = [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (128 / 255 - 0.406) / 0.225]
    out = segrefiner.image_tensor(pixel)
    assert out.shape == (1, 3, 1, 1) and out.dtype == torch.float32
    assert out.flatten().tolist() == pytest.approx(by_hand, rel=1e-6)
    assert crm.image_tensor(pixel).flatten().tolist() == pytest.approx(crm_by_hand, rel=1e-6)


def test_normalize_returns_a_new_tensor_and_leaves_a_float_input_alone():
    preprocessor = RefinerDataPreprocessor()
    img = torch.full((1, 3, 2, 2), 123.675)
    out = preprocessor.normalize(img)
    assert torch.equal(img, torch.full((1, 3, 2, 2), 123.675))
    assert out[0, 0].abs().max() < 1e-6 and out.data_ptr() != img.data_ptr()


def test_batch_of_mixed_sizes_becomes_a_list():
    preprocessor = RefinerDataPreprocessor()
    images = [torch.zeros(3, 4, 5, dtype=torch.uint8), torch.zeros(3, 6, 5, dtype=torch.uint8)]
    inputs = preprocessor(dict(inputs=images, data_samples=None))["inputs"]
    assert [tuple(x.shape) for x in inputs] == [(1, 3, 4, 5), (1, 3, 6, 5)]
    same = preprocessor(dict(inputs=images[:1] * 2, data_samples=None))["inputs"]
    assert same.shape == (2, 3, 4, 5)
    assert same[0, 1, 0, 0].item() == pytest.approx(-116.28 / 57.12, rel=1e-6)
