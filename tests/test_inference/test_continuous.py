"""CRM's multi-resolution loop, checked with stand-in networks whose outputs are known."""
from __future__ import annotations

import torch

from segrefiner.inference.continuous import (
    ContinuousTestCfg,
    final_mask,
    mask_png,
    multiscale_probs,
    pad_reflect,
    query_image,
    refine_continuous,
    scaled_size,
)
from segrefiner.utils.coords import nearest_index


class MaskEcho:
    """features: the mask channel itself; query: its value at the nearest cell times
    ``gain`` (a logit), so each scale's probability is sigmoid(gain * resized mask)."""

    def __init__(self, gain: float = 4.0) -> None:
        self.gain = gain
        self.feature_sizes: list[tuple[int, int]] = []

    def features(self, x: torch.Tensor) -> torch.Tensor:
        self.feature_sizes.append(tuple(x.shape[-2:]))
        return x[:, 3:4]

    def query(self, feat, coord, cell):
        _, _, h, w = feat.shape
        iy, ix = nearest_index(coord[..., 0], h), nearest_index(coord[..., 1], w)
        return (feat[0, 0][iy, ix] * self.gain)[..., None]


def test_scaled_size_rounds_half_to_even():
    assert scaled_size(385, 545, 0.125) == (48, 68)  # 48.125, 68.125
    assert scaled_size(100, 36, 0.125) == (12, 4)  # 12.5 -> 12, 4.5 -> 4
    assert scaled_size(100, 44, 0.125) == (12, 6)  # 5.5 -> 6
    assert scaled_size(4, 4, 0.1) == (1, 1)


def test_reflect_padding_mirrors_without_repeating_the_edge():
    x = torch.arange(4.0).view(1, 1, 1, 4).expand(1, 1, 4, 4)
    assert pad_reflect(x, 2)[0, 0, 0].tolist() == [2, 1, 0, 1, 2, 3, 2, 1]


def test_each_scale_runs_at_its_size_and_feeds_the_next():
    net = MaskEcho(gain=4.0)
    img = torch.zeros(1, 3, 36, 60)
    seg = -torch.ones(1, 1, 36, 60)
    seg[..., 10:26, 20:40] = 1
    cfg = ContinuousTestCfg(scales=(0.25, 0.5, 1.0), pad=4, query_chunk=1000)
    probs = multiscale_probs(net, img, seg, cfg)
    assert net.feature_sizes == [(11, 17), (22, 34), (44, 68)]
    assert all(p.shape == (1, 1, 44, 68) for p in probs)
    # At scale 1 the mask channel is the previous probability mapped to 2 p - 1.
    expected = torch.sigmoid(4.0 * (probs[1] - 0.5) * 2)
    assert torch.allclose(probs[2], expected, atol=1e-6)
    # An unchanged interior pixel of the object: sigmoid(4 * 1) at the first scale.
    assert abs(float(probs[0][0, 0, 22, 34]) - float(torch.sigmoid(torch.tensor(4.0)))) < 1e-6


def test_chunking_changes_no_value():
    net = MaskEcho()
    feat = torch.randn(1, 1, 9, 13)
    whole = query_image(net, feat, 31, 45, chunk=10**6)
    pieces = query_image(net, feat, 31, 45, chunk=97)
    assert torch.equal(whole, pieces)


def test_an_empty_mask_stays_empty():
    probs = multiscale_probs(MaskEcho(gain=-50.0), torch.zeros(1, 3, 20, 20),
                             -torch.ones(1, 1, 20, 20), ContinuousTestCfg(pad=2))
    assert all(float(p.abs().max()) == 0 for p in probs)


def test_the_8_bit_output_truncates_and_the_mask_is_above_128():
    prob = torch.tensor([128.99 / 255, 129.0 / 255 + 1e-6, 1.0, 0.0])
    assert mask_png(prob).tolist() == [128, 129, 255, 0]
    coarse = torch.full((4,), 255, dtype=torch.uint8).repeat(300)  # sum >= 32 * 32
    assert final_mask(prob.repeat(300), coarse)[:4].tolist() == [0, 1, 1, 0]


def test_a_nearly_empty_input_mask_is_kept():
    coarse = torch.zeros(10, 10, dtype=torch.uint8)
    coarse[0, :4] = 255  # 4 * 255 = 1020 < 1024
    assert torch.equal(final_mask(torch.ones(10, 10), coarse), (coarse > 128).to(torch.uint8))
    coarse[0, 4] = 255  # 1275: the probability decides
    assert int(final_mask(torch.ones(10, 10), coarse).sum()) == 100


def test_refine_crops_the_padding_and_binarises():
    net = MaskEcho(gain=6.0)
    coarse = torch.zeros(30, 40, dtype=torch.bool)
    coarse[5:25, 8:30] = True
    mask, prob = refine_continuous(net, torch.zeros(1, 3, 30, 40), coarse,
                                   ContinuousTestCfg(scales=(0.5, 1.0), pad=6))
    assert mask.shape == prob.shape == (30, 40) and mask.dtype == torch.uint8
    assert torch.equal(mask.bool()[8:22, 11:27], torch.ones(14, 16, dtype=torch.bool))
    assert not mask.bool()[:3].any()


def test_features_in_strips_equal_the_whole_map():
    """max_feature_mb: the head computed strip by strip and each strip queried gives the
    whole-map result up to float rounding (the released ResNet-50 head, random weights)."""
    from segrefiner.models.crm import CRM

    torch.manual_seed(0)
    model = CRM().eval()
    img = torch.randn(1, 3, 90, 130)
    seg = -torch.ones(1, 1, 90, 130)
    seg[..., 20:70, 30:100] = 1
    with torch.no_grad():
        whole = multiscale_probs(model, img, seg, ContinuousTestCfg(scales=(0.5, 1.0)))
        strips = multiscale_probs(model, img, seg,
                                  ContinuousTestCfg(scales=(0.5, 1.0), max_feature_mb=0.2))
        x = torch.cat([img, seg], dim=1)
        feat = model.features(x)
        parts = model.feature_parts(x)
        rows = torch.cat([model.feature_rows(parts, s, min(s + 6, feat.shape[2]))
                          for s in range(0, feat.shape[2], 6)], dim=2)
    assert torch.allclose(rows, feat, rtol=1e-5, atol=1e-5 * float(feat.abs().max()))
    for a, b in zip(whole, strips, strict=True):
        assert float((a - b).abs().max()) < 1e-5
