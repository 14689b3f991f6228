"""Deliberately broken AnInfoNCE variants: each must be caught by the suite (tests/test_mutations.py)
and shows in an identifiability profile what it loses. Never use them for anything else."""

from __future__ import annotations

import torch
from torch import nn

from .losses import AnInfoNCE


class CrossTermUnscaled(AnInfoNCE):
    """Λ̂ not applied to the cross term: 2aᵀb - aᵀΛ̂a - bᵀΛ̂b instead of 2aᵀΛ̂b - …"""

    def critic(self, a, b):
        lam = self.lam_hat
        return 2 * a @ b.T - ((a * a) @ lam)[:, None] - ((b * b) @ lam)[None, :]

    def pair_critic(self, a, b):
        lam = self.lam_hat
        return 2 * (a * b).sum(1) - (a * a) @ lam - (b * b) @ lam


class PositiveAsNegative(AnInfoNCE):
    """The positive is also counted among the negatives (it appears twice in the normalizer)."""

    def forward(self, a, p, negatives=None):
        logits, labels = self.logits(a, p, negatives)
        logits = torch.cat([logits, logits.gather(1, labels[:, None])], dim=1)
        return nn.functional.cross_entropy(logits, labels)


class SignError(AnInfoNCE):
    """A sign error in the critic: +(a-b)ᵀΛ̂(a-b)."""

    def critic(self, a, b):
        return -super().critic(a, b)

    def pair_critic(self, a, b):
        return -super().pair_critic(a, b)


class FrozenLambda(AnInfoNCE):
    """Λ̂ frozen at 1: InfoNCE with τ = 1/2 in disguise."""

    def __init__(self, dim, init=None, **kwargs):
        super().__init__(dim, init=1.0, learnable=False, **kwargs)


#: name -> (loss class, whether the encoder's outputs are normalized)
MUTANTS = {
    "cross-term-unscaled": (CrossTermUnscaled, True),
    "positive-as-negative": (PositiveAsNegative, True),
    "sign-error": (SignError, True),
    "no-normalization": (AnInfoNCE, False),
    "frozen-lambda": (FrozenLambda, True),
}
