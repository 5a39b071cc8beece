"""The mask processes beside DiscreteDiffusion, against values known independently:
GaussianMaskDiffusion's schedule, forward statistics, DDIM with the true x0 and the DDPM
posterior; NoDiffusion's one pass; IterativeRefinement's deterministic chain."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from segrefiner.diffusion import (
    DiscreteDiffusion,
    GaussianMaskDiffusion,
    IterativeRefinement,
    NoDiffusion,
    TorchNoise,
    build_process,
    normal_draws,
)
from segrefiner.models import SegRefiner


class NoDraws:
    """A noise source that must not be drawn from."""

    def __call__(self, shape, device):
        raise AssertionError("this process is deterministic: it drew noise")


class RecordingDenoiser:
    """Returns fixed logits (B, 1, S, S) whatever the input, and records each call."""

    def __init__(self, logits: torch.Tensor) -> None:
        self.logits, self.calls = logits, []

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.calls.append((x.clone(), t.clone()))
        return self.logits.expand(x.shape[0], -1, -1, -1)


def cosine_f(t: float, steps: int, s: float = 0.008) -> float:
    return math.cos((t / steps + s) / (1 + s) * math.pi / 2) ** 2


def test_cosine_schedule_telescopes_to_the_closed_form():
    # prod_{k<=t} f(k+1)/f(k) = f(t+1)/f(0) wherever no beta is clipped at 0.999.
    d = GaussianMaskDiffusion()
    closed = np.array([cosine_f(t + 1, 1000) / cosine_f(0, 1000) for t in range(1000)])
    assert np.allclose(d.alphas_cumprod[:990], closed[:990], rtol=1e-9, atol=0)
    assert np.all(np.diff(d.alphas_cumprod) < 0)
    assert d.alphas_cumprod[0] > 0.9999 and d.alphas_cumprod[-1] < 1e-6


def test_normal_draws_are_standard_normal():
    z = normal_draws(TorchNoise(seed=0), (400_000,), torch.device("cpu")).double()
    assert abs(float(z.mean())) < 5 / math.sqrt(4e5)
    assert float(z.var()) == pytest.approx(1.0, abs=0.01)
    assert float((z.abs() < 1).double().mean()) == pytest.approx(0.6827, abs=0.003)


@pytest.mark.parametrize("t", [0, 50, 300, 700, 999])
def test_forward_process_has_the_schedules_mean_and_variance(t):
    d = GaussianMaskDiffusion()
    n = 200_000
    mask = (torch.arange(n) % 2).float().view(1, 1, 1, n)  # half foreground, half background
    x0 = d.mask_signal(mask)
    eps = normal_draws(TorchNoise(seed=t), x0.shape, x0.device)
    x_t = d.q_sample(x0, torch.tensor([t]), eps).double()
    abar = cosine_f(t + 1, 1000) / cosine_f(0, 1000)
    for value in (0.0, 1.0):
        sample = x_t[mask == value]
        mean = math.sqrt(abar) * (0.1 if value else -0.1)
        sd = math.sqrt(1 - abar)
        assert float(sample.mean()) == pytest.approx(mean, abs=6 * sd / math.sqrt(n / 2) + 1e-12)
        assert float(sample.var()) == pytest.approx(sd ** 2, rel=0.02, abs=1e-12)


def test_training_input_is_clamped_and_rescaled_to_unit_range():
    d = GaussianMaskDiffusion()
    mask = torch.ones(1, 1, 64, 64)
    x = d.training_input(mask, torch.zeros_like(mask), torch.tensor([999]), TorchNoise(seed=0))
    assert x.shape == (1, 1, 64, 64) and x.min() >= 0 and x.max() <= 1
    # At t = 0 the signal dominates (noise sd 0.0065 against 0.1): every foreground pixel
    # reads above 0.5, and the value is the clamped, rescaled sample itself.
    x = d.training_input(mask, torch.zeros_like(mask), torch.tensor([0]), TorchNoise(seed=0))
    eps = normal_draws(TorchNoise(seed=0), mask.shape, mask.device)
    abar = d.alphas_cumprod[0]
    expected = ((math.sqrt(abar) * 0.1 + math.sqrt(1 - abar) * eps).clamp(-0.1, 0.1) / 0.1 + 1) / 2
    assert torch.allclose(x, expected, atol=1e-6) and float(x.min()) > 0.5
    both = GaussianMaskDiffusion(coarse_channel=True)
    x = both.training_input(mask, torch.zeros_like(mask), torch.tensor([5]), TorchNoise(seed=0))
    assert x.shape == (1, 2, 64, 64) and torch.equal(x[:, 1], torch.zeros(1, 64, 64))


def true_mask_case() -> tuple[torch.Tensor, RecordingDenoiser]:
    gt = torch.zeros(2, 1, 16, 16)
    gt[0, :, 4:12, 4:12] = 1
    gt[1, :, :, 8:] = 1
    # sigmoid(+-1000) is exactly 1 / 0 in float32: the denoiser predicts x0 exactly.
    return gt, RecordingDenoiser(torch.where(gt.bool(), 1000.0, -1000.0)[:1])


@pytest.mark.parametrize("num_steps", [1, 2, 3, 7, 50, 101])
def test_ddim_fed_the_true_x0_returns_it_at_every_step_count(num_steps):
    gt, _ = true_mask_case()
    d = GaussianMaskDiffusion(start_step=100, sampling_steps=num_steps)
    denoiser = RecordingDenoiser(torch.where(gt.bool(), 1000.0, -1000.0))
    coarse = torch.zeros_like(gt)
    img = torch.zeros(2, 3, 16, 16)
    prob, confidence = d.sample(denoiser, img, coarse, noise=TorchNoise(seed=1))
    assert torch.equal(prob, gt) and torch.equal(confidence, torch.ones_like(gt))
    steps = d.default_steps
    assert len(denoiser.calls) == num_steps == len(steps) and steps[0] == 100
    # eta = 0 keeps the noise that the first prediction implies, eps_hat = (x_start -
    # sqrt(abar_100) x0) / sqrt(1 - abar_100): each later input is the true x0 noised to
    # its step with eps_hat.
    eps = normal_draws(TorchNoise(seed=1), gt.shape, gt.device).double()
    x0 = d.mask_signal(gt).double()
    abar = torch.as_tensor(d.alphas_cumprod)
    x_start = abar[100].sqrt() * d.mask_signal(coarse).double() + (1 - abar[100]).sqrt() * eps
    eps_hat = (x_start - abar[100].sqrt() * x0) / (1 - abar[100]).sqrt()
    for (x, t), step in zip(denoiser.calls, steps, strict=True):
        assert t.tolist() == [step, step]
        if step == 100:
            expected = x_start
        else:
            expected = abar[step].sqrt() * x0 + (1 - abar[step]).sqrt() * eps_hat
        assert torch.allclose(x[:, 3:].double(), d.network_mask(expected), atol=1e-5)


def test_ddim_step_to_minus_one_is_the_prediction_itself():
    d = GaussianMaskDiffusion(eta=1.0)
    x0_hat = torch.randn(1, 1, 4, 4)
    assert torch.equal(d.ddim_step(torch.randn(1, 1, 4, 4), x0_hat, 0, -1, None), x0_hat)


def test_t_steps_with_eta_one_are_the_closed_form_ddpm_posterior():
    # q(x_{t-1} | x_t, x0): mean sqrt(abar_{t-1}) beta_t / (1 - abar_t) x0
    # + sqrt(alpha_t) (1 - abar_{t-1}) / (1 - abar_t) x_t, variance
    # beta_t (1 - abar_{t-1}) / (1 - abar_t); the sampler run over all T steps must
    # follow it with the same draws, x0 being the denoiser's prediction at each step.
    steps = 1000
    d = GaussianMaskDiffusion(num_timesteps=steps, sampling_steps=steps, eta=1.0)
    assert d.default_steps == list(range(steps - 1, -1, -1))
    gen = torch.Generator().manual_seed(3)
    weights = torch.randn(1, 1, 4, 4, generator=gen, dtype=torch.float64)

    def denoiser(x, t):  # logits depending on the current mask input and on t
        return (4 * (x[:, 3:] - 0.5) * weights + 1e-3 * t.view(-1, 1, 1, 1)).float()

    img = torch.zeros(1, 3, 4, 4)
    coarse = (weights > 0).float()
    trace = []
    d.sample(denoiser, img, coarse, noise=TorchNoise(seed=5),
             on_step=lambda t, p: trace.append(p.double()))

    abar = np.concatenate([d.alphas_cumprod, [1.0]])  # abar[-1] = 1 (after the last step)
    noise = TorchNoise(seed=5)
    x = d.q_sample(d.mask_signal(coarse), torch.tensor([steps - 1]),
                   normal_draws(noise, coarse.shape, coarse.device)).double()
    for i, t in enumerate(range(steps - 1, -1, -1)):
        inputs = torch.cat([img, d.network_mask(x).float()], dim=1)
        p = torch.sigmoid(denoiser(inputs, torch.tensor([t])).double())
        assert torch.allclose(p, trace[i], atol=1e-5), t
        x0 = (2 * p - 1) * 0.1
        a_t, a_prev = abar[t], abar[t - 1]
        beta = 1 - a_t / a_prev
        mean = (math.sqrt(a_prev) * beta / (1 - a_t) * x0
                + math.sqrt(1 - beta) * (1 - a_prev) / (1 - a_t) * x)
        var = beta * (1 - a_prev) / (1 - a_t)
        z = normal_draws(noise, coarse.shape, coarse.device).double() if t > 0 else 0
        x = mean + math.sqrt(var) * z
    assert torch.allclose(x, (2 * trace[-1] - 1) * 0.1, atol=1e-5)


def test_gaussian_schedules_and_checks():
    d = GaussianMaskDiffusion(start_step=100, sampling_steps=5, local_start_step=20)
    assert d.default_steps == [100, 80, 60, 39, 19]
    assert d.steps_for(1) == [100] and d.max_steps == 101
    assert d.global_steps() == d.default_steps and d.local_steps() == [20]
    assert GaussianMaskDiffusion().default_steps[0] == 999
    for bad in (dict(start_step=1000), dict(eta=1.5), dict(scale=0), dict(sampling_steps=0),
                dict(start_step=3, sampling_steps=5)):
        with pytest.raises(ValueError):
            GaussianMaskDiffusion(**bad)


def test_no_diffusion_is_one_forward_pass():
    d = NoDiffusion()
    logits = torch.randn(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    denoiser = RecordingDenoiser(logits)
    img, coarse = torch.randn(3, 3, 8, 8), (torch.rand(3, 1, 8, 8) > 0.5).float()
    prob, confidence = d.sample(denoiser, img, coarse, noise=NoDraws())
    assert len(denoiser.calls) == 1
    x, t = denoiser.calls[0]
    assert torch.equal(x, torch.cat([img, coarse], dim=1)) and t.tolist() == [0, 0, 0]
    assert torch.equal(prob, torch.sigmoid(logits).expand(3, -1, -1, -1))
    assert torch.equal(confidence, (prob - 0.5).abs() * 2)
    assert d.training_steps(4, torch.device("cpu"), coarse_end_prob=0.5).tolist() == [0] * 4
    gt = torch.ones_like(coarse)
    assert torch.equal(d.training_input(gt, coarse, torch.zeros(3, dtype=torch.long), NoDraws()),
                       coarse)
    with pytest.raises(ValueError):
        d.check_schedule([1])


def test_iterative_refinement_feeds_each_thresholded_prediction_forward():
    logits_by_step = {5: 1.0, 4: -2.0, 3: 3.0}

    class StepDenoiser(RecordingDenoiser):
        def __call__(self, x, t):
            self.calls.append((x.clone(), t.clone()))
            sign = torch.where(torch.arange(8) % 2 == 0, 1.0, -1.0).view(1, 1, 1, 8)
            return (logits_by_step[int(t[0])] * sign).expand(x.shape[0], 1, 8, 8)

    d = IterativeRefinement()
    denoiser = StepDenoiser(None)
    img, coarse = torch.zeros(1, 3, 8, 8), torch.ones(1, 1, 8, 8)
    seen = []
    prob, _ = d.sample(denoiser, img, coarse, [5, 4, 3], noise=NoDraws(),
                       on_step=lambda t, x: seen.append(x))
    inputs = [x[:, 3:] for x, _ in denoiser.calls]
    even = (torch.arange(8) % 2 == 0).float().view(1, 1, 1, 8).expand(1, 1, 8, 8)
    assert torch.equal(inputs[0], coarse)
    assert torch.equal(inputs[1], even)            # step 5: +1 on even columns
    assert torch.equal(inputs[2], 1 - even)        # step 4: -2 flips it
    expected = torch.sigmoid(3.0 * (2 * even - 1))
    assert torch.allclose(prob, expected) and torch.equal(seen[-1], prob)
    # Its training is DiscreteDiffusion's.
    assert IterativeRefinement().betas_cumprod == DiscreteDiffusion().betas_cumprod


def test_model_builds_its_process_from_config_and_checks_the_input_channels():
    unet = dict(type="DenoiseUNet", in_channels=4, model_channels=32, num_res_blocks=1,
                channel_mult=(1, 2), attention_strides=(2,), num_heads=2)
    assert isinstance(SegRefiner(unet).diffusion, DiscreteDiffusion)
    model = SegRefiner(unet, diffusion=dict(type="NoDiffusion"))
    assert isinstance(model.diffusion, NoDiffusion)
    with pytest.raises(ValueError, match=r"in_channels is 4.*needs 5"):
        SegRefiner(unet, diffusion=dict(type="GaussianMaskDiffusion", coarse_channel=True))
    with pytest.raises(ValueError, match="not both"):
        build_process(dict(type="NoDiffusion"), dict(num_timesteps=6))
    sinusoidal = dict(unet, in_channels=5, learn_time_embd=False, num_timesteps=1000)
    model = SegRefiner(sinusoidal, diffusion=dict(type="GaussianMaskDiffusion",
                                                  coarse_channel=True))
    x, t = torch.randn(2, 5, 16, 16), torch.tensor([0, 999])
    assert model.denoise_model(x, t).shape == (2, 1, 16, 16)


def test_sinusoidal_embedding_values():
    from segrefiner.models.denoiser import sinusoidal_embedding

    emb = sinusoidal_embedding(torch.tensor([0, 3]), 8)
    freqs = [10000 ** (-k / 4) for k in range(4)]
    expected = [[math.cos(3 * f) for f in freqs] + [math.sin(3 * f) for f in freqs]]
    assert torch.equal(emb[0], torch.tensor([1.0] * 4 + [0.0] * 4))
    assert torch.allclose(emb[1], torch.tensor(expected[0]), atol=1e-6)


def test_refiner_checks_steps_against_the_process():
    from segrefiner.apis.refiner import check_diffusion_settings
    from segrefiner.utils.errors import UserError

    unet = dict(type="DenoiseUNet", in_channels=4, model_channels=32, num_res_blocks=1,
                channel_mult=(1, 2), attention_strides=(2,), num_heads=2,
                learn_time_embd=False, num_timesteps=1000)
    model = SegRefiner(unet, diffusion=dict(type="GaussianMaskDiffusion", start_step=9))
    check_diffusion_settings(model, 10, None, None)  # ten DDIM steps from step 9
    with pytest.raises(UserError, match="steps"):
        check_diffusion_settings(model, 11, None, None)
