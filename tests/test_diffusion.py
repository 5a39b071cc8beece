"""DiscreteDiffusion: schedule, hand-computed transitions, q_sample and sampling."""
from __future__ import annotations

import pytest
import torch

from segrefiner.diffusion import DiscreteDiffusion, ReplayNoise, TorchNoise


def logit(p: float) -> float:
    return float(torch.logit(torch.tensor(p, dtype=torch.float64)))


def test_schedule_is_the_official_linspace():
    d = DiscreteDiffusion()
    assert d.betas_cumprod == pytest.approx([0.8, 0.64, 0.48, 0.32, 0.16, 0.0], abs=1e-15)
    assert d.betas_cumprod_prev == pytest.approx([1.0, 0.8, 0.64, 0.48, 0.32, 0.16], abs=1e-15)
    assert d.default_steps == [5, 4, 3, 2, 1, 0]
    assert d.steps_for(3) == [5, 4, 3]
    with pytest.raises(ValueError):
        d.steps_for(7)
    assert d.check_schedule((5, 2, 0)) == [5, 2, 0]
    for bad in ([], [0, 5], [5, 5, 0], [6, 0], [3, -1]):
        with pytest.raises(ValueError):
            d.check_schedule(bad)


@pytest.mark.parametrize(("t", "prob", "expected"), [
    # conf = 2|p - 0.5|; p_t = conf (bc_prev - bc) / (1 - conf bc), computed by hand.
    (5, 0.5, 0.0),                      # conf 0: nothing becomes fine
    (5, 1.0, 0.16),                     # conf 1: (0.16 - 0) / (1 - 0)
    (4, 1.0, 0.16 / 0.84),              # conf 1: (0.32 - 0.16) / (1 - 0.16)
    (0, 1.0, 1.0),                      # conf 1: (1 - 0.8) / (1 - 0.8)
    (5, 0.75, 0.08),                    # conf 0.5: 0.5 * 0.16
    (4, 0.25, 0.08 / 0.92),             # conf 0.5: 0.5 * 0.16 / (1 - 0.5 * 0.16)
    (0, 0.9, 0.8 * 0.2 / (1 - 0.8 * 0.8)),  # conf 0.8
])
def test_transition_probability_from_an_empty_fine_state(t, prob, expected):
    d = DiscreteDiffusion()
    logits = torch.full((1, 1, 1, 1), logit(prob) if 0 < prob < 1 else (50.0 if prob else -50.0),
                        dtype=torch.float64)
    fine = d.fine_transition(torch.zeros_like(logits), logits, t)
    assert float(fine) == pytest.approx(expected, abs=1e-9)


def test_fine_probability_accumulates_without_going_back():
    # A pixel once fine stays fine: fine' = fine + (1 - fine) p.
    d = DiscreteDiffusion()
    logits = torch.full((1, 1, 1, 1), 50.0, dtype=torch.float64)
    fine = torch.full_like(logits, 0.3)
    assert float(d.fine_transition(fine, logits, 4)) == pytest.approx(0.3 + 0.7 * 0.16 / 0.84)


def test_confident_model_makes_fine_share_follow_the_schedule():
    # With confidence 1 at every step, the fine share after the step at t is bc_prev[t].
    d = DiscreteDiffusion()
    fine = torch.zeros(1, 1, 1, 1, dtype=torch.float64)
    logits = torch.full_like(fine, 50.0)
    for t in d.default_steps:
        fine = d.fine_transition(fine, logits, t)
        assert float(fine) == pytest.approx(d.betas_cumprod_prev[t], abs=1e-12)


def test_strided_schedule_moves_the_fine_share_on_to_the_next_step_run():
    # Steps [5, 2, 0] with confidence 1: after 5 the share is bc[2] = 0.48 (the step run
    # next), after 2 it is bc[0] = 0.8: (0.8 - 0.48) / (1 - 0.48) of the rest, by hand.
    d = DiscreteDiffusion()
    fine = torch.zeros(1, 1, 1, 1, dtype=torch.float64)
    logits = torch.full_like(fine, 50.0)
    fine = d.fine_transition(fine, logits, 5, t_next=2)
    assert float(fine) == pytest.approx(0.48, abs=1e-12)
    fine = d.fine_transition(fine, logits, 2, t_next=0)
    assert float(fine) == pytest.approx(0.48 + 0.52 * (0.32 / 0.52), abs=1e-12)
    # The next step being t - 1 is the official transition, to the bit.
    half = torch.full_like(fine, 0.3)
    for t in range(1, 6):
        assert torch.equal(d.fine_transition(half, logits * 0.01, t, t_next=t - 1),
                           d.fine_transition(half, logits * 0.01, t))


def test_sampling_a_strided_schedule_draws_once_per_step_but_the_last():
    d = DiscreteDiffusion()
    calls = []

    def denoiser(x, t):
        calls.append(int(t[0]))
        return torch.full_like(x[:, :1], 50.0)

    noise = ReplayNoise([torch.full((1, 1, 2, 2), 0.5)] * 2)
    prob, fine = d.sample(denoiser, torch.zeros(1, 3, 2, 2), torch.zeros(1, 1, 2, 2),
                          [5, 2, 0], noise)
    assert calls == [5, 2, 0] and noise.remaining == 0
    assert torch.allclose(fine, torch.ones_like(fine))  # confidence 1 ends all fine
    assert torch.allclose(prob, torch.sigmoid(torch.tensor(50.0)).expand_as(prob))


def test_q_sample_takes_fine_pixels_where_the_draw_is_below_the_schedule():
    d = DiscreteDiffusion()
    gt = torch.ones(2, 1, 1, 3)
    coarse = torch.zeros(2, 1, 1, 3)
    u = torch.tensor([[[[0.1, 0.5, 0.9]]], [[[0.1, 0.5, 0.9]]]])
    x_t = d.q_sample(gt, coarse, torch.tensor([0, 3]), ReplayNoise([u]))
    # t=0: bc 0.8 -> draws below 0.8 are fine; t=3: bc 0.32.
    assert x_t.flatten().tolist() == [1, 1, 0, 1, 0, 0]


def test_sampling_loop_replays_the_official_draws(small_model, cases):
    case = cases["loop"]
    noise = ReplayNoise(case["noise"])
    with torch.no_grad():
        out, fine = small_model.diffusion.sample(
            small_model.denoise_model, case["img"], case["coarse"], case["steps"], noise)
    assert noise.remaining == 0
    assert (out - case["out"]).abs().max() <= 1e-4
    assert (fine - case["fine_probs"]).abs().max() <= 1e-4


def test_replay_noise_refuses_a_wrong_shape_or_too_many_draws():
    noise = ReplayNoise([torch.zeros(1, 2)])
    with pytest.raises(RuntimeError, match="shape"):
        noise((2, 2), torch.device("cpu"))
    noise((1, 2), torch.device("cpu"))
    with pytest.raises(RuntimeError, match="exhausted"):
        noise((1, 2), torch.device("cpu"))


def test_seeded_noise_is_reproducible():
    a = TorchNoise(seed=3)((4,), torch.device("cpu"))
    b = TorchNoise(seed=3)((4,), torch.device("cpu"))
    assert torch.equal(a, b) and ((a >= 0) & (a < 1)).all()


def test_single_step_returns_the_sigmoid_and_draws_nothing():
    d = DiscreteDiffusion()
    logits = torch.tensor([[[[-2.0, 0.0, 3.0]]]])
    noise = ReplayNoise([])
    out, fine = d.sample(lambda x, t: logits, torch.zeros(1, 3, 1, 3), torch.zeros(1, 1, 1, 3),
                         [0], noise)
    assert torch.allclose(out, torch.sigmoid(logits))
    conf = (torch.sigmoid(logits) - 0.5).abs() * 2
    assert torch.allclose(fine, conf * 0.2 / (1 - 0.8 * conf))
