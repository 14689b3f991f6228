"""The conditional on the sphere is Fisher–Bingham, and its normalizer depends on z unless Λ ∝ I
(the reason positives are not exactly uniform, and a premise of C4)."""

import numpy as np
import sympy as sp

from idtheory.claims import anisotropic
from idtheory.proofs._common import d, i, pull_constants
from idtheory.symbolic import Derivation, Derived, Proof

z, zt = sp.IndexedBase("z", real=True), sp.IndexedBase("zt", real=True)
lam = sp.IndexedBase("lambda", positive=True)
l1, l2 = sp.symbols("lambda1 lambda2", positive=True)
theta, phi = sp.symbols("theta phi", real=True)
SPECTRA = [(1, 3), (2, 2), (5, 1), (7, 7)]


def total(expr):
    return sp.Sum(expr, (i, 0, d - 1))


def _numeric() -> bool:
    """Quadrature of C(z) = ∫ exp(-(u-z)ᵀΛ(u-z)) dθ over S¹ at several z: varies iff Λ is anisotropic."""
    th = np.linspace(0, 2 * np.pi, 20001)[:-1]
    u = np.stack([np.cos(th), np.sin(th)], 1)

    def norm(lam_v, angle):
        zz = np.array([np.cos(angle), np.sin(angle)])
        return np.exp(-(((u - zz) ** 2) * lam_v).sum(1)).mean() * 2 * np.pi

    aniso = [norm(np.array([1.0, 3.0]), a) for a in np.linspace(0, np.pi / 2, 5)]
    iso = [norm(np.array([2.0, 2.0]), a) for a in np.linspace(0, np.pi / 2, 5)]
    return bool(np.ptp(aniso) > 1e-2 * np.mean(aniso) and np.ptp(iso) < 1e-10 * np.mean(iso))


def varies(derivative: sp.Expr) -> list[bool]:
    """Whether the derived φ-derivative of the normalizer is non-zero somewhere, for each spectrum."""
    return [sp.simplify(derivative.subs({l1: a, l2: b})) != 0 for a, b in SPECTRA]


def derivations(mutations=None):
    proof = Proof((mutations or {}).get("fisher-bingham"))
    proof.step("expand", "Expand the quadratic form (any d): the density in z̃ is exp(2(Λz)ᵀz̃ - z̃ᵀΛz̃) times a "
               "factor of the anchor alone — a Fisher–Bingham density.",
               pull_constants(-total(lam[i] * (zt[i] - z[i]) ** 2)),
               pull_constants(2 * total(lam[i] * z[i] * zt[i]) - total(lam[i] * zt[i] ** 2)
                              - total(lam[i] * z[i] ** 2)))
    u = sp.Matrix([sp.cos(theta), sp.sin(theta)])
    z2 = sp.Matrix([sp.cos(phi), sp.sin(phi)])
    exponent = -((u - z2).T * sp.diag(l1, l2) * (u - z2))[0]
    # C(z; εΛ) = ∫ exp(ε·exponent) dθ = 2π + ε ∫ exponent dθ + O(ε²): its first-order coefficient.
    first_order = proof.step(
        "first-order", "d = 2, z = (cos φ, sin φ): the first-order coefficient of C(z; εΛ) in ε is ∫ -(u-z)ᵀΛ(u-z) dθ.",
        sp.integrate(sp.expand(exponent), (theta, 0, 2 * sp.pi)),
        -sp.pi * (l1 + l2) - 2 * sp.pi * (l1 * sp.cos(phi) ** 2 + l2 * sp.sin(phi) ** 2))
    proof.step("anchor-derivative", "Its derivative along the circle of anchors is 2π(λ₁-λ₂) sin 2φ: zero for all φ "
               "iff λ₁ = λ₂.", sp.diff(first_order, phi), 2 * sp.pi * (l1 - l2) * sp.sin(2 * phi))
    return [Derivation(
        name="fisher-bingham",
        claim="C4",
        title="The anisotropic conditional is Fisher–Bingham; its normalizer depends on z",
        statement="On S^{d-1}, exp(-(z̃-z)ᵀΛ(z̃-z)) = exp(2(Λz)ᵀz̃ - z̃ᵀΛz̃)·exp(-zᵀΛz): a Fisher–Bingham density "
                  "in z̃. In d = 2 its normalizer C(z) varies with z unless λ₁ = λ₂.",
        scope="the Fisher–Bingham form for any d; the anchor dependence of the normalizer in d = 2, to first order "
              f"in the concentration, evaluated on {len(SPECTRA)} spectra against the registry",
        assumptions=["z, z̃ unit vectors", "C(z; εΛ) is analytic in ε, so a z-dependent first-order coefficient "
                     "makes C depend on z for all but isolated ε"],
        general_d=False,
        steps=proof.steps,
        conclusion=Derived("anchor-derivative", varies),
        declared=[anisotropic(spectrum) for spectrum in SPECTRA],
        conclusion_text="∂_φ C ∝ (λ₁ - λ₂): the normalizer depends on the anchor exactly when Λ is anisotropic, so "
                        "the positives' marginal is not exactly uniform and in-batch negatives from both views are "
                        "off the theory.",
        numeric=_numeric,
    )]
