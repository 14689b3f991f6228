"""Augmentation conditionals p(z̃ | z) on the sphere, in the paper's convention.

    p(z̃ | z) ∝ exp(-(z̃ - z)ᵀ Λ (z̃ - z))   on S^{d-1}

On the sphere this is a Fisher–Bingham law, exp(2 (Λz)ᵀ z̃ - z̃ᵀ Λ z̃). ``fisher_bingham`` samples it
exactly by rejection (Kent, Ganeiber & Mardia 2018): a Bingham envelope for the linear term, itself
enveloped by an angular central Gaussian (ACG). ``official`` is the official repository's "rejected
projected normal", which only approximates the law; it is kept for reproduction. The official code
writes exp(-½ …), so its λ is twice the paper's: pass ``lam`` in the paper's convention to both.
"""

from __future__ import annotations

import functools
import itertools

import torch

_MAX_ROUNDS = 10_000


def _acg_beta(lam: torch.Tensor, u: torch.Tensor, iters: int = 5) -> torch.Tensor:
    """Solve F(β) = tr((βI + 2A)⁻¹) - 1 = 0 for β ∈ [1, d], row-wise, where A = diag(λ) - uuᵀ is PSD
    with a null vector.

    In A's eigenvalues this is Kent et al.'s Σ 1/(β + 2a_i) = 1; Sherman–Morrison gives the trace and
    its derivative in O(d). F is convex and decreasing with F(1) ≥ 0, so Newton from β = 1 climbs
    monotonically to the root. The envelope is valid for any β > 0; the root only makes it tightest.
    Five steps reach float precision (measured for d = 3–10, λ from 0.1 to 100; four for d ≤ 4).
    """
    beta = torch.ones(u.shape[0], dtype=u.dtype, device=u.device)
    for _ in range(iters):
        inv_e = 1 / (beta[:, None] + 2 * lam)
        p = u * inv_e
        k = 2 / (1 - 2 * (u * p).sum(1))
        p_sq = (p * p).sum(1)
        trace = inv_e.sum(1) + k * p_sq
        trace_sq = (inv_e * inv_e).sum(1) + 2 * k * (p * p * inv_e).sum(1) + k * k * p_sq * p_sq
        beta = beta + (trace - 1) / trace_sq
    return beta.clamp(1, lam.shape[-1])


def _coordinate_sum(slabs: torch.Tensor) -> torch.Tensor:
    """Σ over the first (coordinate) dimension as d - 1 ordered adds. ``slabs.sum(0)`` may group its adds
    by the size of the slabs, so a run's proposals would round differently alone and in a batch (measured
    at d = 10: one accept/reject decision in seven steps of 512 rows flipped between K = 1 and K = 2)."""
    return functools.reduce(torch.add, slabs.unbind(0))


def fisher_bingham(z: torch.Tensor, lam: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Exact samples of p(z̃|z) ∝ exp(-(z̃-z)ᵀΛ(z̃-z)) on the sphere, one per row of z.

    Envelope chain (Kent, Ganeiber & Mardia 2018, with the linear bound centred at the mode z):
    with b = Λz and q = zᵀΛz = bᵀz, the inequality 2bᵀx ≤ (bᵀx)²/q + q gives
        f(x) = exp(2bᵀx - xᵀΛx) = e^q · exp(-xᵀAx) · exp(-(bᵀx - q)²/q),   A = Λ - bbᵀ/q,
    where A is PSD with null vector z, so f ≤ e^q · Bingham(A). The Bingham part is sampled from an
    angular central Gaussian with Ω = I + 2A/β, whose ratio is bounded by M = exp(-(d-β)/2)·(d/β)^{d/2}.
    A proposal is kept with probability exp(-(bᵀx - q)²/q) × Bingham/(M·ACG) ≤ 1, which leaves exactly f.
    A = Λ - uuᵀ is diagonal plus rank one, so everything is O(d) per row: no eigen-decomposition.
    """
    return fisher_bingham_many(z, lam.to(z.dtype).expand_as(z), [(generator, len(z))])


class _GeneratorDraws:
    """The rows of several processes in consecutive parts, each (generator, rows) drawing from its own
    generator exactly what :func:`fisher_bingham` draws for those rows alone."""

    def __init__(self, parts: list[tuple[torch.Generator, int]], device):
        bounds = list(itertools.accumulate((rows for _, rows in parts), initial=0))
        self.generators = [g for g, _ in parts]
        self.pending = [torch.arange(lo, hi, device=device) for lo, hi in zip(bounds, bounds[1:])]
        self._active: list[int] = []

    def active(self) -> torch.Tensor | None:
        self._active = [k for k, rows in enumerate(self.pending) if rows.numel()]
        if not self._active:
            return None
        return torch.cat([self.pending[k] for k in self._active]) if len(self._active) > 1 else \
            self.pending[self._active[0]]

    def _each(self, draw) -> torch.Tensor:
        drawn = [draw(self.generators[k], self.pending[k].numel()) for k in self._active]
        return torch.cat(drawn, drawn[0].dim() - 2) if len(drawn) > 1 else drawn[0]

    def normal(self, d: int, per_row: int, dtype) -> torch.Tensor:
        return self._each(lambda g, n: torch.randn(d, n, per_row, generator=g, device=g.device, dtype=dtype))

    def uniform(self, d: int, per_row: int, dtype) -> torch.Tensor:  # noqa: ARG002 - the counter draws' signature
        return self._each(lambda g, n: torch.rand(n, per_row, generator=g, device=g.device, dtype=dtype))

    def keep(self, got: torch.Tensor) -> None:
        done = iter(got.split([self.pending[k].numel() for k in self._active]))
        for k in self._active:
            self.pending[k] = self.pending[k][~next(done)]


def fisher_bingham_many(z: torch.Tensor, lam: torch.Tensor, parts) -> torch.Tensor:
    """:func:`fisher_bingham` for several processes at once: rows of ``z`` and of the per-row ``lam``
    (n, d). ``parts``: a list of (generator, rows) — the processes' rows in consecutive parts, each drawn
    from its own generator exactly as :func:`fisher_bingham` would draw them alone — or a
    :class:`idtheory.counters.CounterDraws` (every row drawn by counters in one pass: the engine on CUDA).
    Either way a process's samples do not depend on which others share the call. The arithmetic is
    vectorized over all rows."""
    n_rows, d = z.shape
    dtype = z.dtype
    lam64 = lam.to(dtype)
    b = z * lam64
    q = (b * z).sum(1)
    u = b / q.sqrt()[:, None]
    beta = _acg_beta(lam64, u)
    log_m = -(d - beta) / 2 + d / 2 * torch.log(d / beta)
    # Ω = D - c uuᵀ = D^{1/2}(I - c vvᵀ)D^{1/2}, so y = D^{-1/2}(ε + γ v̂ v̂ᵀε) has covariance Ω⁻¹.
    d_inv_sqrt = (1 + 2 * lam64 / beta[:, None]).rsqrt()
    v = u * d_inv_sqrt
    v_sq = (v * v).sum(1)
    gamma = (1 - 2 / beta * v_sq).rsqrt() - 1
    v_hat = v / v_sq.sqrt()[:, None]
    # Proposals are held coordinate-major, (d, rows, proposals): a sum over coordinates is then d - 1
    # adds of contiguous slabs, and x = y/|y| is never formed for the proposals that are rejected
    # (with b = √q u, bᵀx = √q uᵀx, and xᵀAx = (yᵀΛy)/|y|² - (uᵀx)²).
    # Per-row parameters packed so that a round gathers its rows with one index per pack.
    vectors = torch.cat([d_inv_sqrt, v_hat, gamma[:, None] * v_hat * d_inv_sqrt, u, lam64], 1).T.contiguous()
    scalars = torch.stack([q, q.sqrt(), beta, log_m])
    out = torch.empty_like(z)
    draws = _GeneratorDraws(parts, z.device) if isinstance(parts, list) else parts
    # Acceptance is ~25 % per proposal in d = 4 and ~10 % in d = 10: 8 proposals finish most rows in one
    # round, and doubling them for the stragglers keeps the number of rounds small.
    per_row = 8
    for _ in range(_MAX_ROUNDS):
        rows = draws.active()
        if rows is None:
            return out
        eps = draws.normal(d, per_row, dtype)
        scale, v_hat_r, shift, u_r, lam_r = vectors[:, rows, None].split(d)
        q_r, sqrt_q, beta_r, log_m_r = scalars[:, rows, None]
        y = eps * scale + _coordinate_sum(eps * v_hat_r) * shift
        y_sq = y * y
        inv_norm_sq = 1 / _coordinate_sum(y_sq)
        ux = _coordinate_sum(y * u_r) * inv_norm_sq.sqrt()
        w = _coordinate_sum(y_sq * lam_r) * inv_norm_sq - ux * ux  # xᵀAx
        log_accept = (-w + d / 2 * torch.log1p(2 * w / beta_r) - log_m_r - (sqrt_q * ux - q_r) ** 2 / q_r)
        accept = draws.uniform(d, per_row, dtype).log() < log_accept
        got = accept.any(dim=1)
        first = accept.to(torch.int8).argmax(dim=1)[got]
        out[rows[got]] = y.permute(1, 2, 0)[got, first] * inv_norm_sq[got, first].sqrt()[:, None]
        draws.keep(got)
        per_row = min(per_row * 2, 256)
    left = draws.active()
    raise RuntimeError(f"fisher_bingham: {left.numel()} rows still unsampled after {_MAX_ROUNDS} rounds")


def official(z: torch.Tensor, lam: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The official repository's sampler: z + N(0, Λ_code⁻¹) with Λ_code = 2Λ, kept only if its norm is
    within 0.1 of 1, then projected to the sphere. Not the stated density (the radial shell and the
    projection distort it); kept for reproducing the official runs."""
    std = (1 / (2 * lam)).sqrt()
    out = torch.empty_like(z)
    pending = torch.arange(z.shape[0], device=z.device)
    for _ in range(_MAX_ROUNDS):
        if pending.numel() == 0:
            return out
        x = z[pending] + std * torch.randn(pending.numel(), z.shape[1], generator=generator, device=z.device)
        r = x.norm(dim=1)
        keep = (r - 1).abs() < 0.1
        out[pending[keep]] = x[keep] / r[keep, None]
        pending = pending[~keep]
    raise RuntimeError(f"official sampler: {pending.numel()} rows still unsampled after {_MAX_ROUNDS} rounds")


def laplace(z: torch.Tensor, lam: torch.Tensor, generator: torch.Generator,
            bounds: tuple[float, float] | None = None) -> torch.Tensor:
    """z̃ = z + ε with p(ε_i) ∝ exp(-λ_i |ε_i|), independently per coordinate (the anisotropic L1 law of
    claim C8): λ_i |ε_i| ~ Exp(1) with a random sign. With ``bounds`` the law is restricted to the box
    by redrawing the coordinates that leave it — exact, because the density factorizes."""
    out = z.clone()
    pending = torch.ones_like(z, dtype=torch.bool)
    for _ in range(_MAX_ROUNDS):
        u = torch.rand(z.shape, generator=generator, device=z.device, dtype=z.dtype)
        sign = torch.where(torch.rand(z.shape, generator=generator, device=z.device) < 0.5, -1.0, 1.0)
        out = torch.where(pending, z - sign * torch.log1p(-u) / lam, out)
        if bounds is None:
            return out
        pending = (out < bounds[0]) | (out > bounds[1])
        if not pending.any():
            return out
    raise RuntimeError(f"laplace: {int(pending.sum())} coordinates still outside {bounds}")


#: name -> sampler(z, lam, generator[, bounds]); CONDITIONAL_SPACES says on which latent spaces each is defined
CONDITIONALS = {"exact": fisher_bingham, "official": official, "laplace": laplace}
CONDITIONAL_SPACES = {"exact": ("sphere",), "official": ("sphere",), "laplace": ("box", "euclidean")}

