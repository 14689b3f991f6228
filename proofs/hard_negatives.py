"""C6: with hard negatives q(z⁻|z) ∝ exp(β zᵀz⁻) the optimal critic is AnInfoNCE with Λ_eff = Λ - (β/2)I."""

import numpy as np
import sympy as sp

from idtheory.claims import hard_negative_spectrum, predicted_group
from idtheory.symbolic import Derivation, Step

z, zt = sp.Matrix(sp.symbols("z1:4", real=True)), sp.Matrix(sp.symbols("zt1:4", real=True))
lam = sp.symbols("lambda1:4", positive=True)
beta = sp.Symbol("beta", nonnegative=True)
c = sp.Symbol("c", real=True)  # anchor-only normalizer terms
on_sphere = {z[2]: sp.sqrt(1 - z[0] ** 2 - z[1] ** 2), zt[2]: sp.sqrt(1 - zt[0] ** 2 - zt[1] ** 2)}


def _numeric() -> bool:
    """log p - log q at random sphere points equals the Λ_eff critic up to an anchor-only constant; the
    claim registry refuses β ≥ 2 min λ and keeps the tie blocks."""
    rng = np.random.default_rng(0)
    lam_v, b = np.array([1.0, 2.0, 2.0]), 1.5
    x = rng.normal(size=3)
    x /= np.linalg.norm(x)
    y = rng.normal(size=(100, 3))
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    ratio = -(((y - x) ** 2) * lam_v).sum(1) - b * y @ x
    eff = -(((y - x) ** 2) * np.array(hard_negative_spectrum(lam_v, b))).sum(1)
    try:
        hard_negative_spectrum(lam_v, 2.0)
        refused = False
    except ValueError:
        refused = True
    same_blocks = predicted_group(hard_negative_spectrum(lam_v, b)) == predicted_group(lam_v)
    return bool(np.ptp(ratio - eff) < 1e-12 and refused and same_blocks)


def derivations():
    L = sp.diag(*lam)
    log_ratio = -((zt - z).T * L * (zt - z))[0] - beta * (z.T * zt)[0] + c
    eff = sp.diag(*[v - beta / 2 for v in lam])
    instance = {lam[0]: 1, lam[1]: 2, lam[2]: 2, beta: sp.Rational(3, 2)}
    lam1, lam2 = sp.symbols("mu1 mu2", positive=True)
    return [Derivation(
        name="hard-negatives",
        claim="C6",
        title="Hard negatives shift Λ by β/2",
        statement="With negatives from q(z⁻|z) ∝ exp(β zᵀz⁻) the log ratio ln p(z̃|z) - ln q(z̃|z) is, on the sphere, "
                  "-(z̃-z)ᵀ(Λ - (β/2)I)(z̃-z) + c(z): the AnInfoNCE critic at Λ_eff = Λ - (β/2)I, which has the same "
                  "tie groups as Λ and is positive iff β < 2 min λ.",
        assumptions=["z, z̃ on S² (d = 3)", "β ≥ 0", "the optimal-critic step applies with p_neg = q(·|z)"],
        steps=[
            Step("On the sphere zᵀz̃ = 1 - ‖z̃ - z‖²/2.", (z.T * zt)[0].subs(on_sphere),
                 (1 - ((zt - z).T * (zt - z))[0] / 2).subs(on_sphere)),
            Step("So the log ratio is the AnInfoNCE critic at Λ - (β/2)I, plus the anchor-only term c - β.",
                 log_ratio.subs(on_sphere), (-((zt - z).T * eff * (zt - z))[0] + c - beta).subs(on_sphere)),
            Step("Equal λ stay equal and distinct λ stay distinct after the common shift.",
                 (lam1 - beta / 2) - (lam2 - beta / 2), lam1 - lam2),
        ],
        conclusion=eff.subs(instance),
        declared=sp.diag(*hard_negative_spectrum((1, 2, 2), 1.5)),
        conclusion_text="Λ̂ → permuted Λ - (β/2)I; same blocks as Λ; defined for β < 2 min λ "
                        "(idtheory.claims.hard_negative_spectrum refuses larger β).",
        numeric=_numeric,
    )]

