"""DenoiseUNet: the improved-DDPM U-Net of SegRefiner with the official parameter names.

Input: ``x`` (B, in_channels, H, W) float (normalised RGB + current mask) and ``t``
(B,) int64 diffusion step in ``[0, num_timesteps)``. Output: (B, out_channels, H, W)
logits of the fine mask. H and W must be divisible by ``2 ** (len(channel_mult) - 1)``.

Module and parameter names follow the official checkpoints (``input_blocks.N.M``,
``middle_block``, ``output_blocks``, ``out``, ``time_embed``) so a released state_dict
loads with ``strict=True``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from segrefiner.registry import MODELS


def sinusoidal_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """(B,) steps -> (B, dim) float32 ``[cos(t f_k), sin(t f_k)]`` with frequencies
    ``f_k = max_period ** (-k / (dim / 2))``, k = 0 .. dim/2 - 1 (dim even)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32,
                                                           device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class GroupNorm32(nn.GroupNorm):
    """GroupNorm(32) computed in float32 whatever the input dtype (as the official code).

    A bf16 input on CPU goes to torch's mixed-dtype kernel as it is: with float32 weights it
    computes in float32 and rounds the result to bf16, as casting the input to float32 and
    the result back would (where its float32 sums run in another order, a value may round
    to the next bf16), without the two copies, which took about a tenth of a bf16 pass of
    the bundled model on a 2-core Intel Xeon with AMX.
    """

    def __init__(self, channels: int) -> None:
        super().__init__(32, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (x.dtype == torch.bfloat16 and x.device.type == "cpu"
                and self.weight.dtype == torch.float32):
            return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)
        return super().forward(x.float()).type(x.dtype)


class TimestepBlock(nn.Module):
    """A module whose forward takes the step embedding as a second argument."""

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class TimestepSequential(nn.Sequential):
    """Sequential that passes the step embedding to the children that take it."""

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        for layer in self:
            x = layer(x, emb) if isinstance(layer, TimestepBlock) else layer(x)
        return x


class Downsample(nn.Module):
    """Strided 3x3 convolution halving H and W (parameter ``op``)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Upsample(nn.Module):
    """Nearest x2 upsampling followed by a 3x3 convolution (parameter ``conv``)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class ResBlock(TimestepBlock):
    """Residual block; the step embedding is added after ``in_layers`` (no scale-shift)."""

    def __init__(self, channels: int, emb_channels: int, out_channels: int, dropout: float) -> None:
        super().__init__()
        self.in_layers = nn.Sequential(
            GroupNorm32(channels), nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_channels, out_channels))
        self.out_layers = nn.Sequential(
            GroupNorm32(out_channels), nn.SiLU(), nn.Dropout(p=dropout),
            nn.Conv2d(out_channels, out_channels, 3, padding=1))
        self.skip_connection: nn.Module = (
            nn.Identity() if out_channels == channels else nn.Conv2d(channels, out_channels, 1))

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.in_layers(x)
        h = h + self.emb_layers(emb).type(h.dtype)[:, :, None, None]
        h = self.out_layers(h)
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    """Spatial self-attention with the legacy (heads-first) qkv split."""

    def __init__(self, channels: int, num_heads: int) -> None:
        super().__init__()
        if channels % num_heads:
            raise ValueError(f"channels {channels} not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.norm = GroupNorm32(channels)
        self.qkv = nn.Conv1d(channels, channels * 3, 1)
        self.proj_out = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, *spatial = x.shape
        x_flat = x.reshape(b, c, -1)
        qkv = self.qkv(self.norm(x_flat))
        length = qkv.shape[-1]
        head_dim = c // self.num_heads
        # Legacy order: (B*heads, 3*head_dim, T), then split into q, k, v.
        q, k, v = qkv.reshape(b * self.num_heads, 3 * head_dim, length).split(head_dim, dim=1)
        scale = head_dim ** -0.25
        weight = torch.einsum("bct,bcs->bts", q * scale, k * scale)
        weight = torch.softmax(weight.float(), dim=-1).type(weight.dtype)
        h = torch.einsum("bts,bcs->bct", weight, v).reshape(b, c, length)
        return (x_flat + self.proj_out(h)).reshape(b, c, *spatial)


@MODELS.register_module()
class DenoiseUNet(nn.Module):
    """The SegRefiner denoiser (official constructor arguments).

    Args:
        in_channels: input channels (3 image + 1 mask).
        out_channels: output channels (1 logit map).
        model_channels: base width; every level's width is ``model_channels * mult``.
        num_res_blocks: residual blocks per level on the way down.
        attention_strides: downsample rates (1, 2, 4, ...) at which attention is used.
        dropout: dropout inside the residual blocks.
        channel_mult: width multiplier per level.
        num_heads: attention heads on the way down and in the middle.
        num_heads_upsample: heads on the way up; -1 means ``num_heads``.
        learn_time_embd: True (official): the step embedding is a learned table
            ``nn.Embedding(num_timesteps, 4 * model_channels)``; False: improved DDPM's
            sinusoidal embedding of t (``model_channels`` wide) through
            ``time_embed`` = Linear, SiLU, Linear (for processes with many steps, such as
            GaussianMaskDiffusion's 1000, where a table's rows would see few updates).
        num_timesteps: rows of that table (6 in SegRefiner); with the sinusoidal
            embedding, steps must lie in ``[0, num_timesteps)`` all the same.
    """

    def __init__(self,
                 in_channels: int = 4,
                 out_channels: int = 1,
                 model_channels: int = 128,
                 num_res_blocks: int = 2,
                 attention_strides: Sequence[int] = (16, 32),
                 dropout: float = 0.0,
                 channel_mult: Sequence[int] = (1, 1, 2, 2, 4, 4),
                 num_heads: int = 4,
                 num_heads_upsample: int = -1,
                 learn_time_embd: bool = True,
                 num_timesteps: int = 6) -> None:
        super().__init__()
        if num_heads_upsample == -1:
            num_heads_upsample = num_heads
        self.in_channels = in_channels
        self.num_levels = len(channel_mult)
        emb_channels = model_channels * 4
        self.model_channels = model_channels
        self.learn_time_embd = learn_time_embd
        if learn_time_embd:
            self.time_embed: nn.Module = nn.Embedding(num_timesteps, emb_channels)
        else:
            self.time_embed = nn.Sequential(nn.Linear(model_channels, emb_channels), nn.SiLU(),
                                            nn.Linear(emb_channels, emb_channels))

        def res(ch_in: int, ch_out: int) -> ResBlock:
            return ResBlock(ch_in, emb_channels, ch_out, dropout)

        self.input_blocks = nn.ModuleList(
            [TimestepSequential(nn.Conv2d(in_channels, model_channels, 3, padding=1))])
        skip_channels = [model_channels]
        ch, ds = model_channels, 1
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers: list[nn.Module] = [res(ch, mult * model_channels)]
                ch = mult * model_channels
                if ds in attention_strides:
                    layers.append(AttentionBlock(ch, num_heads))
                self.input_blocks.append(TimestepSequential(*layers))
                skip_channels.append(ch)
            if level != len(channel_mult) - 1:
                self.input_blocks.append(TimestepSequential(Downsample(ch)))
                skip_channels.append(ch)
                ds *= 2

        self.middle_block = TimestepSequential(
            res(ch, ch), AttentionBlock(ch, num_heads), res(ch, ch))

        self.output_blocks = nn.ModuleList()
        for level, mult in reversed(list(enumerate(channel_mult))):
            for i in range(num_res_blocks + 1):
                layers = [res(ch + skip_channels.pop(), model_channels * mult)]
                ch = model_channels * mult
                if ds in attention_strides:
                    layers.append(AttentionBlock(ch, num_heads_upsample))
                if level and i == num_res_blocks:
                    layers.append(Upsample(ch))
                    ds //= 2
                self.output_blocks.append(TimestepSequential(*layers))

        self.out = nn.Sequential(
            GroupNorm32(ch), nn.SiLU(), nn.Conv2d(model_channels, out_channels, 3, padding=1))

    @property
    def size_divisor(self) -> int:
        """H and W of the input must be multiples of this."""
        return 2 ** (self.num_levels - 1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """(B, in_channels, H, W), (B,) int64 -> (B, out_channels, H, W) logits."""
        if self.learn_time_embd:
            emb = self.time_embed(t)
        else:
            dtype = self.time_embed[0].weight.dtype
            emb = self.time_embed(sinusoidal_embedding(t, self.model_channels).to(dtype))
        h = x.type(emb.dtype)
        skips = []
        for block in self.input_blocks:
            h = block(h, emb)
            skips.append(h)
        h = self.middle_block(h, emb)
        for block in self.output_blocks:
            h = block(torch.cat([h, skips.pop()], dim=1), emb)
        return self.out(h)
