"""CRM's network and implicit decoder against recorded official outputs
(tests/fixtures/crm_head.pt, cut from the public CRM behaviour bundle) and against
independent formulations (grid_sample)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from helpers import FIXTURES

from segrefiner.conformance import check_state_dict_layout, scaled_deviation
from segrefiner.models.crm import CRM, crm_losses
from segrefiner.models.implicit_query import query_logits
from segrefiner.utils.checkpoint import extract_state_dict
from segrefiner.utils.coords import SHIFT_EPS, centre_coords, nearest_index, pixel_grid

TOL = 1e-4


@pytest.fixture(scope="module")
def recorded() -> dict:
    return torch.load(FIXTURES / "crm_head.pt", weights_only=True)


@pytest.fixture(scope="module")
def partial_crm(recorded) -> CRM:
    """The released architecture with the fixture's weights (stem, layer1, head, MLP)."""
    model = CRM()
    weights = {k: v.float() if v.is_floating_point() else v
               for k, v in extract_state_dict(recorded["state_dict"]).items()}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    assert not unexpected
    assert missing and all(k.startswith(("feats.layer2.", "feats.layer3.", "feats.layer4."))
                           for k in missing)
    return model.eval()


def case(recorded: dict, kind: str, tag: str | None = None) -> dict:
    return next(c for c in recorded["cases"]
                if c["kind"] == kind and (tag is None or c.get("tag") == tag))


def test_released_key_layout():
    problems = check_state_dict_layout(CRM(), FIXTURES / "crm_state_dict.tsv")
    assert problems == []
    assert len(CRM().state_dict()) == 367


def test_compact_model_drops_layer4_and_scales_channels():
    model = CRM(base_width=8, blocks=(1, 1, 1, 0), with_layer4=False)
    assert not any(k.startswith("feats.layer4") for k in model.state_dict())
    feat = model.eval().features(torch.zeros(1, 4, 66, 98))
    assert feat.shape == (1, 32, 33, 49)  # 4 x base width, stride 2 with ceil


def test_normalisation_stem_layer1_and_head_match_the_recording(recorded, partial_crm):
    features = case(recorded, "features")
    img = partial_crm.data_preprocessor.image_tensor(features["image_u8"].numpy())
    assert scaled_deviation(img, features["img"]) <= 1e-6
    with torch.no_grad():
        x = torch.cat([features["img"], features["seg"]], dim=1)
        feats = partial_crm.feats
        x1 = feats.relu(feats.bn1(feats.conv1(x)))
        x2 = feats.layer1(feats.maxpool(x1))
        feat = partial_crm.aspp_(features["x1"], features["x2"], features["x3"])
    assert x1.shape == (1, 64, 33, 49) and x2.shape == (1, 256, 17, 25)
    assert scaled_deviation(x1, features["x1"]) <= TOL
    assert scaled_deviation(x2, features["x2"]) <= TOL
    assert scaled_deviation(feat, features["feat"]) <= TOL


@pytest.mark.parametrize("tag", ["grid66x98", "grid132x196", "random"])
def test_queries_match_the_recording(recorded, partial_crm, tag):
    query = case(recorded, "query", tag)
    with torch.no_grad():
        logits = partial_crm.query(query["feat"], query["coord"], query["cell"])
    assert scaled_deviation(logits, query["logits"]) <= TOL


def test_grid_queries_use_pixel_centre_grids(recorded):
    query = case(recorded, "query", "grid66x98")
    assert torch.allclose(query["coord"][0], pixel_grid(66, 98), atol=1e-7)
    assert torch.allclose(query["cell"][0], torch.tensor([2 / 66, 2 / 98]).expand(66 * 98, 2))


def test_losses_match_the_recording(recorded):
    loss_case = case(recorded, "train_loss")
    weights = {k.removesuffix("_weight"): v for k, v in loss_case["weights"].items()}
    assert weights == dict(ce=1.0, l1=0.5, l2=0.5, grad=2.0)
    losses = crm_losses(loss_case["logits"], loss_case["gt"], weights)
    for name in ("gt_sobel", "pred_sobel", "ce_loss", "l1_loss", "l2_loss", "grad_loss", "loss"):
        assert scaled_deviation(losses[name], loss_case[name]) <= TOL, name


def test_nearest_index_is_grid_sample_nearest():
    torch.manual_seed(0)
    for size in (7, 33, 128):
        coord = torch.rand(4000) * 2 - 1
        ties = centre_coords(size) + 1.0 / size  # cell borders, shifted as the decoder does
        coord = torch.cat([coord, (ties[:-1] + SHIFT_EPS).clamp(-1 + 1e-6, 1 - 1e-6)])
        values = torch.arange(size, dtype=torch.float32).view(1, 1, 1, size)
        grid = torch.stack([coord, torch.zeros_like(coord)], dim=-1).view(1, 1, -1, 2)
        picked = F.grid_sample(values, grid, mode="nearest", align_corners=False).view(-1)
        assert torch.equal(nearest_index(coord, size), picked.long())


def reference_query(feat, coord, cell, mlp):
    """The decoder written the way LIIF states it: grid_sample of the features and of the
    cell centres, relative offsets, area-weighted ensemble (independent of query_logits)."""
    _, _, h, w = feat.shape
    ys, xs = torch.meshgrid(centre_coords(h), centre_coords(w), indexing="ij")
    feat_coord = torch.stack([ys, xs])[None].expand(feat.shape[0], 2, h, w)
    preds, areas = [], []
    for vy in (-1, 1):
        for vx in (-1, 1):
            c = coord.clone()
            c[..., 0] += vy / h + 1e-6
            c[..., 1] += vx / w + 1e-6
            c.clamp_(-1 + 1e-6, 1 - 1e-6)
            grid = c.flip(-1).unsqueeze(1)
            q_feat = F.grid_sample(feat, grid, mode="nearest", align_corners=False)[:, :, 0]
            q_coord = F.grid_sample(feat_coord, grid, mode="nearest", align_corners=False)[:, :, 0]
            rel = (coord - q_coord.permute(0, 2, 1)) * torch.tensor([h, w])
            rel_cell = cell * torch.tensor([h, w])
            inp = torch.cat([q_feat.permute(0, 2, 1), rel, coord, rel_cell], dim=-1)
            preds.append(mlp(inp))
            areas.append((rel[..., 0] * rel[..., 1]).abs() + 1e-9)
    total = sum(areas)
    return sum(p * (a / total).unsqueeze(-1) for p, a in zip(preds, areas[::-1], strict=True))


def test_query_equals_the_grid_sample_formulation():
    torch.manual_seed(1)
    model = CRM(base_width=8, blocks=(1, 1, 1, 0), with_layer4=False).eval()
    feat = torch.randn(2, 32, 9, 13)
    coord = torch.rand(2, 500, 2) * 2 - 1
    cell = torch.rand(2, 500, 2) * 0.1
    with torch.no_grad():
        ours = query_logits(feat, coord, cell, model.imnet)
        ref = reference_query(feat, coord, cell, model.imnet)
    assert torch.allclose(ours, ref, atol=1e-5, rtol=1e-5)


def test_query_on_a_row_strip_equals_the_full_map():
    torch.manual_seed(2)
    model = CRM(base_width=8, blocks=(1, 1, 1, 0), with_layer4=False).eval()
    feat = torch.randn(1, 32, 20, 11)
    coord = pixel_grid(40, 22)[22 * 16:22 * 24][None]  # rows 16-23 of a 40-row image
    cell = torch.full_like(coord, 0.05)
    with torch.no_grad():
        full = query_logits(feat, coord, cell, model.imnet)
        strip = query_logits(feat[:, :, 6:14], coord, cell, model.imnet, row_offset=6,
                             full_height=20)
    assert torch.equal(full, strip)


def test_pixel_grid_holds_pixel_centres():
    grid = pixel_grid(3, 4)
    assert grid.shape == (12, 2)
    expected_y = torch.tensor([-2 / 3, 0.0, 2 / 3]).repeat_interleave(4)
    expected_x = torch.tensor([-0.75, -0.25, 0.25, 0.75]).repeat(3)
    assert torch.allclose(grid[:, 0], expected_y, atol=1e-7)
    assert torch.allclose(grid[:, 1], expected_x, atol=1e-7)
