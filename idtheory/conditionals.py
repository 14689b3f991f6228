"""Augmentation conditionals p(z̃ | z) on the sphere, in the paper's convention.

    p(z̃ | z) ∝ exp(-(z̃ - z)ᵀ Λ (z̃ - z))   on S^{d-1}

On the sphere this is a Fisher–Bingham law, exp(2 (Λz)ᵀ z̃ - z̃ᵀ Λ z̃). ``fisher_bingham`` samples it
exactly by rejection (Kent, Ganeiber & Mardia 2018): a Bingham envelope for the linear term, itself
enveloped by an angular central Gaussian (ACG). ``official`` is the official repository's "rejected
projected normal", which only approximates the law; it is kept for reproduction. The official code
writes exp(-½ …), so its λ is twice the paper's: pass ``lam`` in the paper's convention to both.
"""

from __future__ import annotations

import torch

_MAX_ROUNDS = 10_000


def _acg_beta(lam: torch.Tensor, u: torch.Tensor, iters: int = 8) -> torch.Tensor:
    """Solve F(β) = tr((βI + 2A)⁻¹) - 1 = 0 for β ∈ [1, d], row-wise, where A = diag(λ) - uuᵀ is PSD
    with a null vector.

    In A's eigenvalues this is Kent et al.'s Σ 1/(β + 2a_i) = 1; Sherman–Morrison gives the trace and
    its derivative in O(d). F is convex and decreasing with F(1) ≥ 0, so Newton from β = 1 climbs
    monotonically to the root. The envelope is valid for any β > 0; the root only makes it tightest.
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
    n_rows, d = z.shape
    dtype = z.dtype
    zz, lam64 = z, lam.to(dtype)
    b = zz * lam64
    q = (b * zz).sum(1)
    u = b / q.sqrt()[:, None]
    beta = _acg_beta(lam64, u)
    log_m = -(d - beta) / 2 + d / 2 * torch.log(d / beta)
    # Ω = D - c uuᵀ = D^{1/2}(I - c vvᵀ)D^{1/2}, so y = D^{-1/2}(ε + γ v̂ v̂ᵀε) has covariance Ω⁻¹.
    d_inv_sqrt = (1 + 2 * lam64 / beta[:, None]).rsqrt()
    v = u * d_inv_sqrt
    v_sq = (v * v).sum(1)
    gamma = (1 - 2 / beta * v_sq).rsqrt() - 1
    v_hat = v / v_sq.sqrt()[:, None]

    out = torch.empty_like(zz)
    pending = torch.arange(n_rows, device=z.device)
    per_row = 16  # acceptance is ~10% for the official spectra: most rows finish in the first round
    for _ in range(_MAX_ROUNDS):
        if pending.numel() == 0:
            return out
        k = pending.numel()
        eps = torch.randn(k, per_row, d, generator=generator, device=z.device, dtype=dtype)
        vh = v_hat[pending, None, :]
        y = (eps + gamma[pending, None, None] * vh * (eps * vh).sum(-1, keepdim=True)) * d_inv_sqrt[pending, None]
        x = y / y.norm(dim=-1, keepdim=True)
        ux = (x * u[pending, None, :]).sum(-1)
        w = ((x * x) * lam64).sum(-1) - ux * ux  # xᵀAx
        bx = (x * b[pending, None, :]).sum(-1)
        qp = q[pending, None]
        log_accept = (
            -w + d / 2 * torch.log1p(2 * w / beta[pending, None]) - log_m[pending, None] - (bx - qp) ** 2 / qp
        )
        accept = torch.rand(k, per_row, generator=generator, device=z.device, dtype=dtype).log() < log_accept
        got = accept.any(dim=1)
        first = accept.to(torch.int8).argmax(dim=1)
        out[pending[got]] = x[got, first[got]]
        pending = pending[~got]
        # More proposals per row for the stragglers keeps the number of rounds small.
        per_row = min(per_row * 2, 256)
    raise RuntimeError(f"fisher_bingham: {pending.numel()} rows still unsampled after {_MAX_ROUNDS} rounds")


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

