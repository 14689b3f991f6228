"""Step 1 of the theorem (C1): the optimal critic of the (M+1)-way classification is the log density
ratio up to an anchor-only term; for the anisotropic conditional it is the AnInfoNCE critic with Λ̂ = Λ.
Symbolic M (number of negatives) and symbolic d."""

import numpy as np
import sympy as sp

from idtheory.claims import aninfonce_critic
from idtheory.symbolic import Derivation, Derived, Proof

M = sp.Symbol("M", integer=True, positive=True)  # number of negatives
d = sp.Symbol("d", integer=True, positive=True)  # latent dimension
i, j, k = sp.symbols("i j k", integer=True, positive=True)
p, q = sp.IndexedBase("p", positive=True), sp.IndexedBase("q", positive=True)  # densities at candidate k
pi, m = sp.IndexedBase("pi", positive=True), sp.IndexedBase("m", positive=True)
s = sp.IndexedBase("s", real=True)  # a critic's logits
Q = sp.Symbol("Q", positive=True)  # Π_j q_j over all M+1 candidates
mu = sp.Symbol("mu", real=True)  # Lagrange multiplier of Σ m_k = 1
z, zt, lam = sp.IndexedBase("z", real=True), sp.IndexedBase("zt", real=True), sp.IndexedBase("lambda", positive=True)
log_norm = sp.Function("log_C")(z)  # ln of the conditional's normalizer: a function of the anchor only
log_area = sp.Symbol("log_A", real=True)  # ln |S^{d-1}|: the uniform negatives' log density is -log_A


def _in_range(expr):
    """Index conditions of Kronecker sums over candidates 1 … M+1 (k is a candidate): true."""
    return expr.subs({(k >= 1) & (k <= M + 1): True})


def _numeric() -> bool:
    """Exact expected 3-way cross-entropy on a 5-point space (all candidate triples enumerated): the log
    ratio plus a constant beats every random perturbation of it."""
    rng = np.random.default_rng(0)
    triples = np.array(np.meshgrid(*[np.arange(5)] * 3, indexing="ij")).reshape(3, -1).T

    def expected_ce(crit, pp, qq):
        total = 0.0
        for slot in range(3):  # slot holds the positive, drawn from p; the others from q
            prob = pp[triples[:, slot]] * np.prod([qq[triples[:, o]] for o in range(3) if o != slot], axis=0) / 3
            logits = crit[triples]
            total -= np.sum(prob * (logits[:, slot] - np.log(np.exp(logits).sum(1))))
        return total

    ok = True
    for _ in range(5):
        pp, qq = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
        best = expected_ce(np.log(pp / qq) + 0.7, pp, qq)
        ok &= all(best < expected_ce(np.log(pp / qq) + rng.normal(0, 0.2, 5), pp, qq) for _ in range(20))
    return bool(ok)


def derivations(mutations=None):
    proof = Proof((mutations or {}).get("optimal-critic"))
    # Bayes: candidate k is the positive with prior 1/(M+1); Π_{j≠k} q_j = Q/q_k.
    posterior = proof.step(
        "posterior",
        "Bayes' posterior that candidate k holds the positive, p_k Π_{j≠k} q_j / Σ_l p_l Π_{j≠l} q_j, is the softmax "
        "of the log ratios r_k = ln(p_k/q_k), for any number M of negatives.",
        p[k] * Q / q[k] / sp.Sum(p[j] * Q / q[j], (j, 1, M + 1)),
        sp.exp(sp.log(p[k] / q[k])) / sp.Sum(sp.exp(sp.log(p[j] / q[j])), (j, 1, M + 1)))
    cross_entropy = -sp.Sum(pi[j] * sp.log(m[j]), (j, 1, M + 1)) + mu * (sp.Sum(m[j], (j, 1, M + 1)) - 1)
    stationary = proof.step(
        "gibbs-stationary",
        "Gibbs: the expected cross-entropy -Σ π_j ln m_j of a model m on the simplex (multiplier μ for Σ m = 1) is "
        "stationary where its derivative in m_k vanishes ...",
        _in_range(sp.diff(cross_entropy, m[k]).doit()), mu - pi[k] / m[k])
    m_k = sp.solve(stationary, m[k])[0]
    normalizer = sp.solve(sp.factor_terms(sp.Sum(m_k.subs(k, j), (j, 1, M + 1))) - 1, mu)[0]
    optimum = proof.step(
        "gibbs-solution",
        "... at m_k = π_k/μ, and Σ m_k = 1 with Σ π_k = 1 gives μ = 1: the model equals the posterior.",
        m_k.subs(mu, normalizer.subs(sp.Sum(pi[j], (j, 1, M + 1)), 1)),
        pi[k])
    proof.step("gibbs-convex",
               "The objective is strictly convex in each m_k (curvature π_k/m_k² > 0): that stationary point is the "
               "unique minimum.", sp.diff(-pi[k] * sp.log(m[k]), m[k], 2), pi[k] / m[k] ** 2)
    # The optimal model probability of candidate k, from the optimum, with π the posterior of step 1:
    model = optimum.subs(pi[k], posterior)
    softmax_s = sp.exp(s[k]) / sp.Sum(sp.exp(s[j]), (j, 1, M + 1))
    log_odds = proof.step(
        "log-odds",
        "A critic s gives the model m = softmax(s), whose log odds against candidate 1 are s_k - s_1 ...",
        sp.expand_log(sp.log(softmax_s / softmax_s.subs(k, 1)), force=True), s[k] - s[1])
    optimal_odds = proof.step(
        "optimal-odds",
        "... and at the optimum m equals the posterior of step 1, whose log odds are r_k - r_1.",
        sp.expand_log(sp.log(model / model.subs(k, 1)), force=True),
        sp.log(p[k] / q[k]) - sp.log(p[1] / q[1]))
    critic = proof.step(
        "critic",
        "Solving for s_k: the optimal critic is s_k = r_k + c with c = s_1 - r_1 the same for every candidate "
        "(a function of the anchor alone).",
        sp.solve(log_odds - optimal_odds, s[k])[0], sp.log(p[k] / q[k]) + (s[1] - sp.log(p[1] / q[1])))
    # The optimal logit of candidate k without the common c, at the theory's densities:
    logit = sp.expand_log(critic - s[1] + sp.log(p[1] / q[1]), force=True)
    density = sp.exp(aninfonce_critic(zt, z, lam, d)) / sp.exp(log_norm)
    ratio = proof.step(
        "log-ratio",
        "For p(z̃|z) ∝ exp(-(z̃-z)ᵀΛ(z̃-z)) with normalizer C(z) and uniform negatives 1/|S^{d-1}| the optimal logit "
        "r = ln p - ln p_neg is the AnInfoNCE critic at Λ̂ = Λ plus terms of the anchor alone.",
        sp.expand_log(logit.subs({p[k]: density, q[k]: sp.exp(-log_area)}), force=True),
        aninfonce_critic(zt, z, lam, d) - log_norm + log_area)
    proof.step("anchor-terms",
               "Subtracting its value at z̃ = z removes every anchor-only term (the critic vanishes there).",
               ratio - ratio.subs(zt, z).doit(), aninfonce_critic(zt, z, lam, d))
    return [Derivation(
        name="optimal-critic",
        claim="C1",
        title="The optimal critic is the log density ratio",
        statement="For any number M of negatives, the (M+1)-way softmax classification loss is minimized iff "
                  "s(z, z̃) = ln p(z̃|z) - ln p_neg(z̃) + c(z). With uniform negatives on the sphere and "
                  "p(z̃|z) ∝ exp(-(z̃-z)ᵀΛ(z̃-z)) this is the AnInfoNCE critic with Λ̂ = Λ plus an anchor-only term.",
        scope="any number M ≥ 1 of negatives and any dimension d (both symbolic); the direction 'minimizer ⇒ "
              "log ratio' (and its converse: the minimum is unique)",
        assumptions=["candidates: one positive from p(·|z) in a uniformly random slot, M negatives i.i.d. from p_neg",
                     "p, p_neg > 0", "uniform p_neg on S^{d-1}", "the critic is unrestricted (a universal family)"],
        general_d=True,
        steps=proof.steps,
        conclusion=Derived("anchor-terms"),
        declared=aninfonce_critic(zt, z, lam, d),
        conclusion_text="s*(z, z̃) - s*(z, z) = -(z̃-z)ᵀΛ(z̃-z): inside the AnInfoNCE family at Λ̂ = Λ, h = id.",
        numeric=_numeric,
    )]
