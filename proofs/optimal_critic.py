"""Step 1 of the theorem (C1): the optimal critic of the (M+1)-way classification is the log density
ratio up to an anchor-only term; for the anisotropic conditional it is the AnInfoNCE critic with Λ̂ = Λ."""

import numpy as np
import sympy as sp

from idtheory.claims import aninfonce_critic
from idtheory.symbolic import Derivation, Step

p1, p2, p3, q1, q2, q3 = sp.symbols("p1:4 q1:4", positive=True)
r = [sp.log(p1 / q1), sp.log(p2 / q2), sp.log(p3 / q3)]
c = sp.Symbol("c", real=True)
m, pi = sp.symbols("m pi", positive=True)
z, zt = sp.Matrix(sp.symbols("z1:4", real=True)), sp.Matrix(sp.symbols("zt1:4", real=True))
lam = sp.Matrix(sp.symbols("lambda1:4", positive=True))
log_norm = sp.Function("log_C")(*z)  # ln of the conditional's normalizer: a function of the anchor only
log_area = sp.Symbol("log_A", real=True)  # ln |S^{d-1}|: the uniform negatives' log density is -log_A


def _numeric() -> bool:
    """Exact expected 3-way cross-entropy on a 5-point space (all candidate triples enumerated): the log
    ratio plus a constant beats every random perturbation of it."""
    rng = np.random.default_rng(0)
    triples = np.array(np.meshgrid(*[np.arange(5)] * 3, indexing="ij")).reshape(3, -1).T

    def expected_ce(s, p, q):
        total = 0.0
        for k in range(3):  # slot k holds the positive, drawn from p; the others from q
            prob = p[triples[:, k]] * np.prod([q[triples[:, j]] for j in range(3) if j != k], axis=0) / 3
            logits = s[triples]
            total -= np.sum(prob * (logits[:, k] - np.log(np.exp(logits).sum(1))))
        return total

    ok = True
    for _ in range(5):
        p, q = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
        best = expected_ce(np.log(p / q) + 0.7, p, q)
        ok &= all(best < expected_ce(np.log(p / q) + rng.normal(0, 0.2, 5), p, q) for _ in range(20))
    return bool(ok)


def derivations():
    posterior3 = p1 * q2 * q3 / (p1 * q2 * q3 + q1 * p2 * q3 + q1 * q2 * p3)
    softmax3 = sp.exp(r[0] + c) / sum(sp.exp(ri + c) for ri in r)
    ce = -(pi * sp.log(m) + (1 - pi) * sp.log(1 - m))
    log_ratio = -((zt - z).T * sp.diag(*lam) * (zt - z))[0] - log_norm + log_area
    return [Derivation(
        name="optimal-critic",
        claim="C1",
        title="The optimal critic is the log density ratio",
        statement="For any number of negatives, the (M+1)-way softmax classification loss is minimized iff "
                  "s(z, z̃) = ln p(z̃|z) - ln p_neg(z̃) + c(z). With uniform negatives on the sphere and "
                  "p(z̃|z) ∝ exp(-(z̃-z)ᵀΛ(z̃-z)) this is the AnInfoNCE critic with Λ̂ = Λ plus an anchor-only term.",
        assumptions=["candidates: one positive from p(·|z), M negatives i.i.d. from p_neg (shown for M = 1 and 2)",
                     "p, p_neg > 0", "uniform p_neg on S^{d-1}; shown for d = 3"],
        steps=[
            Step("M = 1: Bayes' posterior that slot 1 holds the positive is a logistic function of the log-ratio "
                 "difference r₁ - r₂ (r = ln p/p_neg).",
                 p1 * q2 / (p1 * q2 + p2 * q1), 1 / (1 + sp.exp(r[1] - r[0]))),
            Step("M = 2: the posterior of slot 1 is the softmax of the log ratios, whatever anchor-only c is added.",
                 posterior3, softmax3),
            Step("Gibbs: the expected cross-entropy -(π ln m + (1-π) ln(1-m)) has derivative (m - π)/(m(1-m)) in "
                 "the model probability m: stationary exactly at m = π ...",
                 sp.diff(ce, m), (m - pi) / (m * (1 - m))),
            Step("... with curvature 1/(π(1-π)) > 0 for π ∈ (0, 1): the unique minimum, so the softmax must equal "
                 "the posterior, i.e. s = r + c(z).",
                 sp.diff(ce, m, 2).subs(m, pi), 1 / (pi * (1 - pi))),
            Step("For the anisotropic conditional and uniform negatives the log ratio is the AnInfoNCE critic with "
                 "Λ̂ = Λ plus terms of the anchor alone.",
                 log_ratio, aninfonce_critic(z, zt, lam) + (log_area - log_norm)),
        ],
        conclusion=log_ratio + log_norm - log_area,
        declared=aninfonce_critic(z, zt, lam),
        conclusion_text="s*(z, z̃) = -(z̃-z)ᵀΛ(z̃-z) + c(z): inside the AnInfoNCE family at Λ̂ = Λ, h = id.",
        numeric=_numeric,
    )]
