"""The conditional on the sphere is Fisher–Bingham, and its normalizer depends on z unless Λ ∝ I
(the reason positives are not exactly uniform, and a premise of C4)."""

import numpy as np
import sympy as sp

from idtheory.symbolic import Derivation, Step

z, zt = sp.Matrix(sp.symbols("z1:4", real=True)), sp.Matrix(sp.symbols("zt1:4", real=True))
lam = sp.symbols("lambda1:4", positive=True)
L = sp.diag(*lam)
l1, l2, eps = sp.symbols("lambda1 lambda2 epsilon", positive=True)
theta, phi = sp.symbols("theta phi", real=True)


def _numeric() -> bool:
    """Quadrature of C(z) = ∫ exp(-(u-z)ᵀΛ(u-z)) dθ over S¹ at several z: varies iff Λ is anisotropic."""
    th = np.linspace(0, 2 * np.pi, 20001)[:-1]
    u = np.stack([np.cos(th), np.sin(th)], 1)

    def norm(lam, angle):
        zz = np.array([np.cos(angle), np.sin(angle)])
        return np.exp(-(((u - zz) ** 2) * lam).sum(1)).mean() * 2 * np.pi

    aniso = [norm(np.array([1.0, 3.0]), a) for a in np.linspace(0, np.pi / 2, 5)]
    iso = [norm(np.array([2.0, 2.0]), a) for a in np.linspace(0, np.pi / 2, 5)]
    return bool(np.ptp(aniso) > 1e-2 * np.mean(aniso) and np.ptp(iso) < 1e-10 * np.mean(iso))


def derivations():
    u = sp.Matrix([sp.cos(theta), sp.sin(theta)])
    z2 = sp.Matrix([sp.cos(phi), sp.sin(phi)])
    L2 = sp.diag(l1, l2)
    exponent = -((u - z2).T * L2 * (u - z2))[0]
    # C(z; εΛ) = ∫ exp(ε·exponent) dθ = 2π + ε ∫ exponent dθ + O(ε²): its first-order coefficient.
    first_order = sp.integrate(sp.expand(exponent), (theta, 0, 2 * sp.pi))
    return [Derivation(
        name="fisher-bingham",
        claim="C4",
        title="The anisotropic conditional is Fisher–Bingham; its normalizer depends on z",
        statement="On S^{d-1}, exp(-(z̃-z)ᵀΛ(z̃-z)) = exp(2(Λz)ᵀz̃ - z̃ᵀΛz̃)·exp(-zᵀΛz): a Fisher–Bingham density "
                  "in z̃. In d = 2 its normalizer C(z) varies with z unless λ₁ = λ₂.",
        assumptions=["z, z̃ unit vectors (identity shown in d = 3)",
                     "d = 2 for the normalizer; C(z; εΛ) is analytic in ε, so a z-dependent first-order "
                     "coefficient makes C depend on z for all but isolated ε"],
        steps=[
            Step("Expand the quadratic form.", -((zt - z).T * L * (zt - z))[0],
                 2 * (z.T * L * zt)[0] - (zt.T * L * zt)[0] - (z.T * L * z)[0]),
            Step("d = 2, z = (cos φ, sin φ): the first-order coefficient of C(z; εΛ) in ε is ∫ -(u-z)ᵀΛ(u-z) dθ.",
                 first_order, -sp.pi * (l1 + l2) - 2 * sp.pi * (l1 * sp.cos(phi) ** 2 + l2 * sp.sin(phi) ** 2)),
            Step("Its derivative along the circle of anchors is 2π(λ₁-λ₂) sin 2φ: zero for all φ iff λ₁ = λ₂.",
                 sp.diff(first_order, phi), 2 * sp.pi * (l1 - l2) * sp.sin(2 * phi)),
            Step("Isotropic check: with λ₁ = λ₂ = κ the coefficient is the constant -4πκ.",
                 first_order.subs(l2, l1), -4 * sp.pi * l1),
        ],
        conclusion=sp.diff(first_order, phi).subs(phi, sp.pi / 4),
        declared=2 * sp.pi * (l1 - l2),
        conclusion_text="∂_φ C ∝ (λ₁ - λ₂): the normalizer depends on the anchor unless Λ ∝ I, so the positives' "
                        "marginal is not exactly uniform and in-batch negatives from both views are off the theory.",
        numeric=_numeric,
    )]
