"""C8: with an anisotropic L1 (Laplace) conditional on the box and the critic -Σ λ̂_i |a_i - b_i|, the
optimum is a signed permutation with per-axis scaling (plus an offset) — even inside a tie of Λ."""

import numpy as np
import sympy as sp
from scipy.stats import ortho_group

from idtheory.claims import lp_scales
from idtheory.symbolic import Derivation, Derived, Proof

lam, lh = sp.symbols("lambda1:3", positive=True), sp.symbols("lhat1:3", positive=True)
z, delta = sp.Matrix(sp.symbols("z1:3", real=True)), sp.Matrix(sp.symbols("delta1:3", real=True))
A = sp.Matrix(2, 2, sp.symbols("a11 a12 a21 a22", real=True))
b = sp.Matrix(sp.symbols("b1:3", real=True))
s = sp.symbols("s1:3", real=True)
S = sp.symbols("S1:3", positive=True)  # |s_i|
x, y = sp.symbols("x y", real=True)
v, w = sp.symbols("v w", nonnegative=True)
t = sp.Symbol("t", positive=True)
norm_z, volume = sp.symbols("N V", positive=True)  # the conditional's normalizer N(z), the box's volume


def weighted_l1(weights, vec) -> sp.Expr:
    return sum(wt * sp.Abs(e) for wt, e in zip(weights, vec))


def excess(p, q) -> sp.Expr:
    """|p+q| + |p-q| - 2|p| - 2|q|: zero iff p q = 0 (the lemma below shows it is -2 min(|p|, |q|))."""
    return sp.Abs(p + q) + sp.Abs(p - q) - 2 * sp.Abs(p) - 2 * sp.Abs(q)


def _numeric() -> bool:
    """Weighted ℓ1 distances on random pairs: kept by a signed permutation scaled as lp_scales says; not
    kept by a rotation inside a tie of Λ (p = 1, nor p = 3) — which does keep them for p = 2 (C2)."""
    rng = np.random.default_rng(0)
    lam_v = np.array([2.0, 2.0, 5.0])
    perm, signs = np.array([2, 0, 1]), np.array([1.0, -1.0, -1.0])
    lam_hat = np.array([1.0, 3.0, 0.5])  # λ̂ of output i, matched to latent perm[i]
    scales = np.array(lp_scales(lam_v[perm], lam_hat, 1.0))
    a = np.zeros((3, 3))
    a[np.arange(3), perm] = signs * scales
    zs, zt = rng.uniform(-1, 1, (200, 3)), rng.uniform(-1, 1, (200, 3))

    def dist(weights, d, p):
        return (weights * np.abs(d) ** p).sum(1)

    kept = np.allclose(dist(lam_hat, (zt - zs) @ a.T, 1), dist(lam_v, zt - zs, 1))
    rot = np.eye(3)
    rot[:2, :2] = ortho_group.rvs(2, random_state=3)
    moved = {p: np.allclose(dist(lam_v, (zt - zs) @ rot.T, p), dist(lam_v, zt - zs, p)) for p in (1, 2, 3)}
    return bool(kept and not moved[1] and moved[2] and not moved[3])


def derivations(mutations=None):
    proof = Proof((mutations or {}).get("lp-isometry"))
    h = lambda u: A * u + b  # noqa: E731 - a linear candidate with an offset
    diff = h(z + delta) - h(z)
    dist_hat = weighted_l1(lh, A * delta)
    at = lambda d1, d2: dist_hat.subs({delta[0]: d1, delta[1]: d2}, simultaneous=True)  # noqa: E731
    rows = [(A[i, 0], A[i, 1]) for i in range(2)]
    diag = sp.diag(*s)
    instance = {lam[0]: 2, lam[1]: 2, lh[0]: 1, lh[1]: 4}  # a tie in Λ: C8 says it does not matter
    proof.step("log-ratio", "With a uniform marginal on the box, ln p(z̃|z) - ln p(z̃) is the L1 critic at Λ plus an "
         "anchor-only term c(z) = ln V - ln N(z).",
         sp.log(sp.exp(-weighted_l1(lam, delta)) / norm_z) - sp.log(1 / volume),
         -weighted_l1(lam, delta) + sp.log(volume) - sp.log(norm_z))
    proof.step("offset", "The offset cancels in differences: h(z + δ) - h(z) = Aδ.", diff, A * delta)
    proof.step("axis", "Along an axis, δ = t e₁, the identity reads t Σ_i λ̂_i |a_i1| = t λ₁ (a weighted column norm).",
         at(t, 0), t * weighted_l1(lh, A[:, 0]))
    proof.step("lemma", "Lemma: for p ≥ q ≥ 0 (p = v + w, q = v), |p+q| + |p-q| - 2|p| - 2|q| = -2q "
               "= -2 min(|p|, |q|) ...",
         excess(v + w, v), -2 * v)
    proof.step("lemma-sign-p", "... and the expression is unchanged by p ↦ -p ...", excess(-x, y), excess(x, y))
    proof.step("lemma-sign-q", "... q ↦ -q ...", excess(x, -y), excess(x, y))
    proof.step("lemma-swap", "... and p ↔ q, so it equals -2 min(|p|, |q|) for all real p, q: zero iff p q = 0.",
         excess(y, x), excess(x, y))
    proof.step("rows", "The identities at δ = t(e₁ + e₂) and t(e₁ - e₂), minus twice those at t e₁ and t e₂, give "
         "t Σ_i λ̂_i excess(a_i1, a_i2) = 2t(λ₁+λ₂) - 2t(λ₁+λ₂) = 0; each term is ≤ 0 and λ̂_i > 0, so "
         "every row has a_i1 a_i2 = 0: with A invertible, A = P diag(s).",
         at(t, t) + at(t, -t) - 2 * at(t, 0) - 2 * at(0, t),
         t * sum(lh[i] * excess(*rows[i]) for i in range(2)))
    identity = proof.step("diagonal", "For A = diag(s) (P = I; a permutation relabels the outputs) the identity is "
         "Σ_i (λ̂_i |s_i| - λ_i) |δ_i| = 0 for all δ, i.e. λ̂_i |s_i| = λ_i.",
         weighted_l1(lh, diag * delta) - weighted_l1(lam, delta),
         sum((lh[i] * sp.Abs(s[i]) - lam[i]) * sp.Abs(delta[i]) for i in range(2)))
    proof.step("scales", "Each coefficient of |δ_i| must vanish: solve for |s_i|.",
               [sp.solve(sp.expand(identity.replace(sp.Abs, lambda e: sp.Mul(*map(sp.Abs, sp.Mul.make_args(e)))))
                         .coeff(sp.Abs(delta[i])).subs(sp.Abs(s[i]), S[i]), S[i]) for i in range(2)],
               [[lam[0] / lh[0]], [lam[1] / lh[1]]])
    return [Derivation(
        name="lp-isometry",
        claim="C8",
        title="Anisotropic L1: signed permutation with per-axis scaling, ties or not",
        statement="With latents uniform on a box and p(z̃|z) ∝ exp(-Σ λ_i |z̃_i - z_i|), the optimal critic "
                  "-Σ λ̂_i |h_i(z̃) - h_i(z)| needs Σ λ̂_i |h_i(z̃) - h_i(z)| = Σ λ_i |z̃_i - z_i|. For h(z) = Az + b "
                  "this forces every row of A to have a single non-zero entry: A = P diag(s), a signed "
                  "permutation with scaling, and λ̂_π(i) |s_i| = λ_i — whether or not λ has ties (unlike p = 2, "
                  "where a rotation inside a tie keeps the quadratic form).",
        scope="d = 2, p = 1 (the case the checks train); the direction 'optimum ⇒ scaled signed permutation', "
              "evaluated at λ = (2, 2), λ̂ = (1, 4) — a tie — against the registry",
        assumptions=["h affine and invertible (assumed, not derived)", "the optimal-critic step with uniform "
                     "negatives on the box"],
        general_d=False,
        steps=proof.steps,
        conclusion=Derived("scales", lambda roots: sp.Matrix([r[0] for r in roots]).subs(instance)),
        declared=sp.Matrix(lp_scales((2, 2), (1, 4), 1)),
        conclusion_text="h(z) = P diag(s) z + b with |s_i| = (λ_π(i)/λ̂_i)^{1/p} (idtheory.claims.lp_scales): "
                        "signed permutation × scaling + offset, ties or not — for λ = (2, 2), λ̂ = (1, 4): "
                        "|s| = (2, 1/2).",
        numeric=_numeric,
    )]
