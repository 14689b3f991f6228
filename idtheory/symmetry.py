"""Symmetry evidence (no training): a loss must be exactly invariant under every element of the
predicted group — with Λ̂ permuted along with the outputs — and not under a generic element outside it.
This shows the group is no smaller than predicted; recovery checks show it is no larger."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .indeterminacy import Indeterminacy
from .process import GenerativeProcess


@dataclass(frozen=True)
class SymmetryResult:
    group: str
    within: float  # largest |ΔL| over sampled elements of the predicted group
    outside: float  # smallest |ΔL| over generic rotations mixing two different tie groups (inf if none)

    def holds(self, tol: float = 1e-9) -> bool:
        """Invariant under the group, and (if anything lies outside it) broken outside it."""
        return self.within <= tol and self.outside > 1e3 * tol


def _pair_rotation(d: int, i: int, j: int, angle: float) -> torch.Tensor:
    r = torch.eye(d, dtype=torch.float64)
    c, s = math.cos(angle), math.sin(angle)  # float64: a float32 angle leaves a 1e-8 non-orthogonality
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def check_symmetry(
    make_loss: Callable[[Sequence[float]], nn.Module],
    lam: Sequence[float],
    seed: int = 0,
    batch: int = 128,
    elements: int = 8,
) -> SymmetryResult:
    """Evaluate ``make_loss(Λ̂)`` at Λ̂ = Λ on true latent pairs, then on transformed pairs.

    ``make_loss`` builds the loss for a given Λ̂ (losses without Λ̂ may ignore it). An element of
    the predicted group is a permutation of positions composed with orthogonal maps inside tie
    blocks; Λ̂ is permuted with it. Outside elements rotate two coordinates of different tie groups
    by a generic angle, with Λ̂ left as it is.
    """
    group = Indeterminacy.from_spectrum(lam)
    d = group.dim
    process = GenerativeProcess(lam=tuple(lam))
    sampler = process.sampler("cpu", seed=seed)
    z, zt = (t.double() for t in sampler.latent_pairs(batch))
    gen = torch.Generator().manual_seed(seed)

    def value(lam_hat, transform):
        with torch.no_grad():
            return float(make_loss(lam_hat).double()(z @ transform.T, zt @ transform.T))

    base = value(tuple(lam), torch.eye(d, dtype=torch.float64))
    within = 0.0
    for _ in range(elements):
        perm = torch.randperm(d, generator=gen)
        element = torch.eye(d, dtype=torch.float64)[perm] @ group.sample(gen)
        within = max(within, abs(value(tuple(lam[int(k)] for k in perm), element) - base))
    outside = float("inf")
    for a in group.blocks:
        for b in group.blocks:
            if a < b:
                angle = 0.3 + torch.rand(1, generator=gen).item()  # generic: away from 0 and π/2
                outside = min(outside, abs(value(tuple(lam), _pair_rotation(d, a[0], b[0], angle)) - base))
    return SymmetryResult(group.name, within, outside)
