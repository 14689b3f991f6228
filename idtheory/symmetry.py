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
    make_loss: Callable[[tuple[int, ...]], nn.Module],
    process: GenerativeProcess | Sequence[float],
    seed: int = 0,
    batch: int = 128,
    elements: int = 8,
    group: Indeterminacy | None = None,
) -> SymmetryResult:
    """Evaluate a loss on true latent pairs (h = id), then on pairs transformed by group elements.

    ``make_loss(perm)`` builds the loss with its Λ̂ (every family's, for ensembles) at the process's
    Λ permuted by ``perm`` (``perm = range(d)``: Λ̂ = Λ; losses without Λ̂ may ignore it). An element
    of the predicted ``group`` (default: Λ's tie groups) is a permutation of positions composed with
    orthogonal maps inside blocks, with Λ̂ permuted along; outside elements rotate two coordinates of
    different blocks by a generic angle, with Λ̂ left as it is.
    """
    if not isinstance(process, GenerativeProcess):
        process = GenerativeProcess(lam=tuple(process))
    group = group or Indeterminacy.from_spectrum(process.lam)
    d = group.dim
    sampler = process.sampler("cpu", seed=seed)
    z = sampler.latents(batch)
    views = [t.double() for t in (z, *sampler.positives(z))]
    gen = torch.Generator().manual_seed(seed)

    def value(perm, transform):
        a, *positives = (v @ transform.T for v in views)
        with torch.no_grad():
            return float(make_loss(tuple(perm)).double()(a, positives if len(positives) > 1 else positives[0]))

    base = value(range(d), torch.eye(d, dtype=torch.float64))
    within = 0.0
    for _ in range(elements):
        perm = torch.randperm(d, generator=gen)  # output i carries latent perm[i], so Λ̂_i = λ_perm[i]
        element = torch.eye(d, dtype=torch.float64)[perm] @ group.sample(gen)
        within = max(within, abs(value(perm.tolist(), element) - base))
    outside = float("inf")
    for a in group.blocks:
        for b in group.blocks:
            if a < b:
                angle = 0.3 + torch.rand(1, generator=gen).item()  # generic: away from 0 and π/2
                outside = min(outside, abs(value(range(d), _pair_rotation(d, a[0], b[0], angle)) - base))
    return SymmetryResult(group.name, within, outside)


def check_affine_symmetry(lam: Sequence[float], seed: int = 0, batch: int = 128, elements: int = 8) -> SymmetryResult:
    """C5, outputs not normalized: AnInfoNCE with Λ̂ is exactly invariant under every affine map
    h ↦ Λ̂'^{-1/2} R Λ̂^{1/2} h + b (R orthogonal, b any, Λ̂' any positive diagonal) with Λ̂ replaced by Λ̂'
    — so nothing beyond a linear map is identified, and Λ̂ is not — but not under a nonlinear map."""
    from .losses import AnInfoNCE

    process = GenerativeProcess(lam=tuple(lam))
    d = process.dim
    z, zt = (t.double() for t in process.sampler("cpu", seed=seed).latent_pairs(batch))
    gen = torch.Generator().manual_seed(seed)
    lam_t = torch.tensor(process.lam, dtype=torch.float64)

    def value(lam_hat, fn):
        with torch.no_grad():
            return float(AnInfoNCE(d, init=tuple(lam_hat.tolist()), negatives="anchors").double()(fn(z), fn(zt)))

    base = value(lam_t, lambda x: x)
    within = 0.0
    for _ in range(elements):
        rotation = Indeterminacy.orthogonal(d).sample(gen)
        new = torch.exp(torch.randn(d, generator=gen, dtype=torch.float64))
        shift = torch.randn(d, generator=gen, dtype=torch.float64)
        linear = torch.diag(new.rsqrt()) @ rotation @ torch.diag(lam_t.sqrt())
        within = max(within, abs(value(new, lambda x, m=linear, b=shift: x @ m.T + b) - base))
    outside = abs(value(lam_t, lambda x: x + 0.3 * x * x) - base)
    return SymmetryResult("affine (C5)", within, outside)


@dataclass(frozen=True)
class OptimumResult:
    at_optimum: float  # largest |t| of the mean gradient over the loss's parameters at Λ̂ = Λ, h = id
    perturbed: float  # the same at Λ̂ = 1.5 Λ


def check_optimum(make_loss: Callable[[Sequence[float]], nn.Module], lam: Sequence[float] | GenerativeProcess,
                  seed: int = 0, batch: int = 16, batches: int = 1500) -> OptimumResult:
    """The theory's minimizer h = id, Λ̂ = Λ is a stationary point of the expected loss (C1: the optimal
    critic is the log density ratio, for any number of negatives): the per-batch gradients w.r.t. the
    loss's parameters average to zero within their standard error. ``make_loss(Λ̂)`` builds the loss with
    its parameters at Λ̂ and the theory's anchor negatives. Small batches (few negatives) make deviations
    from the optimal critic most visible (measured: the positive counted twice gives |t| = 12 with 15
    negatives, 3.9 with 255, against 1.2 and 1.6 for AnInfoNCE). ``lam`` may be a process (its Λ is used)."""
    from .plugins import call_loss

    process = lam if isinstance(lam, GenerativeProcess) else GenerativeProcess(lam=tuple(lam))
    lam = process.lam

    def t_statistic(lam_hat) -> float:
        sampler = process.sampler("cpu", seed=seed)
        loss = make_loss(tuple(lam_hat)).double()
        params = [p for p in loss.parameters()]
        for p in params:
            p.requires_grad_(True)
        grads = []
        for _ in range(batches):
            z, zt = (t.double() for t in sampler.latent_pairs(batch))
            grads.append(torch.cat([g.flatten() for g in torch.autograd.grad(call_loss(loss, z, zt), params)]))
        g = torch.stack(grads)
        return float((g.mean(0).abs() / (g.std(0) / math.sqrt(batches) + 1e-300)).max())

    return OptimumResult(t_statistic(lam), t_statistic([1.5 * v for v in lam]))
