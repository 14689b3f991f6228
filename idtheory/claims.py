"""The claims of the theory (C1–C8, the README's claim table): one source of truth for the proofs and checks.

Each claim names its setting and its prediction in words, and where the prediction is a function of
the process (a group, a spectrum) it is computed here, so that a derivation's conclusion and a
numerical check compare against the same object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from . import _arguments
from .indeterminacy import Indeterminacy, common_refinement


@dataclass(frozen=True)
class Claim:
    id: str
    setting: str
    prediction: str


CLAIMS = {c.id: c for c in (
    Claim("C1", "AnInfoNCE, normalized f, all λ distinct",
          "h(z) = P S z (signed permutation); Λ̂ = a permutation of Λ, scale included"),
    Claim("C2", "AnInfoNCE, ties in Λ",
          "h orthogonal and block-diagonal (after a permutation) over the groups of equal λ; Λ̂ = permuted Λ"),
    Claim("C3", "Λ = κI (vMF case), AnInfoNCE or InfoNCE",
          "h orthogonal, any rotation; Λ̂ = κI; AnInfoNCE with Λ̂ = κI is InfoNCE with τ = 1/(2κ)"),
    Claim("C4", "plain InfoNCE (isotropic critic), anisotropic Λ",
          "misspecified: no isotropic critic equals the optimal one; the most-augmented latents are lost"),
    Claim("C5", "AnInfoNCE without output normalization",
          "only linear: h(z) = Λ̂^{-1/2} R Λ^{1/2} z + b, R orthogonal; Λ̂ not identified"),
    Claim("C6", "hard negatives q(z⁻|z) ∝ exp(β zᵀz⁻)",
          "Λ_eff = Λ - (β/2) I: same blocks as Λ; Λ̂ → permuted Λ_eff; needs β < 2 min λ"),
    Claim("C7", "ensemble of AnInfoNCE over augmentation families Λ_k, one shared encoder",
          "block-orthogonal over the common refinement of the tie groups of all Λ_k"),
    Claim("C8", "anisotropic Lp (p ≠ 2) on box or R^d latents, unnormalized outputs",
          "signed permutation × element-wise scaling + offset, ties or not"),
)}


def predicted_group(lam: Sequence[float], rtol: float = 0.05) -> Indeterminacy:
    """C1–C3: block-orthogonal over the tie groups of Λ (signed permutation if all distinct)."""
    return Indeterminacy.from_spectrum(lam, rtol)


def ensemble_group(lams: Sequence[Sequence[float]], rtol: float = 0.05) -> Indeterminacy:
    """C7: the common refinement of every family's tie groups."""
    return common_refinement(*(Indeterminacy.from_spectrum(lam, rtol) for lam in lams))


def hard_negative_spectrum(lam: Sequence[float], beta: float) -> tuple[float, ...]:
    """C6: Λ_eff = Λ - (β/2) I, defined (positive) only for 0 ≤ β < 2 min λ."""
    lam = _arguments.spectrum(lam)
    if not 0 <= beta < 2 * min(lam):
        raise ValueError(f"beta must satisfy 0 <= beta < 2 min λ = {2 * min(lam)}, got {beta!r}")
    return tuple(v - beta / 2 for v in lam)


def lp_scales(lam: Sequence, lam_hat: Sequence, p: float) -> tuple:
    """C8: the per-axis scales |s_i| = (λ_i / λ̂_i)^{1/p} of the optimum h = P diag(s) z + b, for λ̂ matched
    to λ (output i on latent i); exact (sympy Rationals) for sympy or integer input."""
    if len(lam) != len(lam_hat):
        raise ValueError(f"lam has {len(lam)} entries but lam_hat has {len(lam_hat)}")
    if all(isinstance(v, (int, sp.Basic)) for v in (*lam, *lam_hat, p)):
        return tuple((sp.sympify(a) / b) ** sp.Rational(1, p) for a, b in zip(lam, lam_hat))
    return tuple((a / b) ** (1 / p) for a, b in zip(lam, lam_hat))


def aninfonce_critic(a, b, lam, dim=None) -> sp.Expr:
    """The AnInfoNCE critic -(a-b)ᵀ diag(λ) (a-b), symbolically: for column matrices, or for
    ``sympy.IndexedBase`` vectors of symbolic dimension ``dim`` (a sum over i = 0 … dim-1)."""
    if dim is not None:
        i = sp.Symbol("i", integer=True, nonnegative=True)
        return -sp.Sum(lam[i] * (a[i] - b[i]) ** 2, (i, 0, dim - 1))
    diff = a - b
    return -(diff.T * sp.diag(*lam) * diff)[0, 0]


def anisotropic(lam: Sequence[float]) -> bool:
    """C4's premise: Λ is not a multiple of I — then the conditional's normalizer depends on the anchor and no
    isotropic (InfoNCE) critic equals the optimal one."""
    return predicted_group(lam).name != "orthogonal"


def lam_hat_identified(normalized: bool) -> bool:
    """C1 vs C5: Λ̂ is identified (up to the permutation) with sphere-normalized outputs, not without."""
    return bool(normalized)


def sphere_affine_maps(dim: int) -> tuple[sp.Matrix, sp.Matrix]:
    """C1–C3: an affine map z -> Az + b of the unit sphere into itself has Gram matrix AᵀA = I and offset b = 0."""
    return sp.eye(dim), sp.zeros(dim, 1)


def infonce_tau(kappa):
    """C3: the temperature at which InfoNCE equals AnInfoNCE with Λ̂ = κI on the sphere."""
    return 1 / (2 * kappa)


def linear_optimum(lam_hat: Sequence, rotation: sp.Matrix, lam: Sequence) -> sp.Matrix:
    """C5: the linear part Λ̂^{-1/2} R Λ^{1/2} of every optimum without output normalization."""
    return sp.diag(*[1 / sp.sqrt(v) for v in lam_hat]) * rotation * sp.diag(*[sp.sqrt(v) for v in lam])
