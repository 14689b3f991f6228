"""C6, for any dimension and any diagonal Λ: with hard negatives q(z⁻|z) ∝ exp(β zᵀz⁻) the optimal critic
is AnInfoNCE with Λ_eff = Λ - (β/2)I."""

import numpy as np
import sympy as sp

from idtheory.claims import hard_negative_spectrum, predicted_group
from idtheory.proofs._common import d, i, pull_constants, summand
from idtheory.symbolic import Derivation, Derived, Proof

z, u = sp.IndexedBase("z", real=True), sp.IndexedBase("u", real=True)  # anchor, and z̃ - z
lam = sp.IndexedBase("lambda", positive=True)
beta = sp.Symbol("beta", nonnegative=True)
log_c, log_cq = sp.symbols("log_C log_C_q", real=True)  # anchor-only log normalizers of p(·|z), q(·|z)
mu1, mu2 = sp.symbols("mu1 mu2", positive=True)
#: spectra and β the derived weights are compared on with idtheory.claims.hard_negative_spectrum
INSTANCES = [((1, 2, 2), sp.Rational(3, 2)), ((2, 3, 5, 7), sp.Integer(1)), ((4, 4, 4, 4, 9), sp.Rational(7, 2))]


def total(expr):
    return sp.Sum(expr, (i, 0, d - 1))


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


def weights_at(weight: sp.Expr):
    """The derived per-coordinate weight evaluated on each instance (λ, β)."""
    return [tuple(weight.subs({lam[i]: v, beta: b}) for v in spectrum) for spectrum, b in INSTANCES]


def derivations(mutations=None):
    proof = Proof((mutations or {}).get("hard-negatives"))
    positive = sp.exp(-total(lam[i] * u[i] ** 2) - log_c)  # p(z̃|z), z̃ = z + u
    negative = sp.exp(beta * total(z[i] * (z[i] + u[i])) - log_cq)  # q(z̃|z)
    ratio = proof.step(
        "log-ratio", "The optimal critic with negatives from q is ln p(z̃|z) - ln q(z̃|z) (optimal-critic step); "
        "write z̃ = z + u.",
        sp.expand_log(sp.log(positive) - sp.log(negative), force=True),
        -total(lam[i] * u[i] ** 2) - beta * total(z[i] * (z[i] + u[i])) - log_c + log_cq)
    cross = proof.step(
        "sphere", "Both on the unit sphere: Σ z_i² = 1 and Σ (z_i + u_i)² = 1, hence Σ z_i u_i = -Σ u_i²/2.",
        sp.solve(pull_constants(total((z[i] + u[i]) ** 2)).subs(total(z[i] ** 2), 1) - 1, total(z[i] * u[i]))[0],
        -total(u[i] ** 2) / 2)
    effective = proof.step(
        "effective", "Substituting: the log ratio is a weighted sum of squares of u = z̃ - z plus an anchor-only "
        "constant -β - ln C(z) + ln C_q(z).",
        pull_constants(ratio).subs({total(z[i] ** 2): 1, total(z[i] * u[i]): cross}),
        pull_constants(-total((lam[i] - beta / 2) * u[i] ** 2)) - beta - log_c + log_cq)
    proof.step("weights", "The weight of u_i² is λ_i - β/2: the AnInfoNCE critic at Λ_eff = Λ - (β/2)I.",
               -summand(effective).coeff(u[i] ** 2), lam[i] - beta / 2)
    proof.step("blocks", "A common shift keeps equal λ equal and distinct λ distinct: Λ_eff has Λ's tie groups "
               "(and is positive iff β < 2 min λ).", (mu1 - beta / 2) - (mu2 - beta / 2), mu1 - mu2)
    return [Derivation(
        name="hard-negatives",
        claim="C6",
        title="Hard negatives shift Λ by β/2",
        statement="With negatives from q(z⁻|z) ∝ exp(β zᵀz⁻) the log ratio ln p(z̃|z) - ln q(z̃|z) is, on the sphere, "
                  "-(z̃-z)ᵀ(Λ - (β/2)I)(z̃-z) + c(z): the AnInfoNCE critic at Λ_eff = Λ - (β/2)I, which has the same "
                  "tie groups as Λ and is positive iff β < 2 min λ.",
        scope="any dimension d and any positive diagonal Λ (symbolic d and λ_i); the optimal critic, hence "
              f"Λ̂ → permuted Λ_eff; the derived weights are compared with the registry on {len(INSTANCES)} instances",
        assumptions=["z, z̃ on S^{d-1}", "β ≥ 0", "the optimal-critic step applies with p_neg = q(·|z)",
                     "identifiability up to the group then follows from steps 2–5 with Λ_eff in place of Λ"],
        general_d=True,
        steps=proof.steps,
        conclusion=Derived("weights", weights_at),
        declared=[hard_negative_spectrum(spectrum, b) for spectrum, b in INSTANCES],
        conclusion_text="Λ̂ → permuted Λ - (β/2)I; same blocks as Λ; defined for β < 2 min λ "
                        "(idtheory.claims.hard_negative_spectrum refuses larger β).",
        numeric=_numeric,
    )]
