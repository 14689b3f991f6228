"""C3: AnInfoNCE with Λ̂ = κI on the sphere is InfoNCE with τ = 1/(2κ) — τ solved for, in any dimension."""

import numpy as np
import sympy as sp
import torch

from idtheory.claims import infonce_tau
from idtheory.losses import AnInfoNCE, InfoNCE
from idtheory.symbolic import Derivation, Derived, Proof

d = sp.Symbol("d", integer=True, positive=True)
n = sp.Symbol("n", integer=True, positive=True)  # candidates per row
i, j = sp.symbols("i j", integer=True, nonnegative=True)
a, b = sp.IndexedBase("a", real=True), sp.IndexedBase("b", real=True)
lh = sp.IndexedBase("lhat", positive=True)
x = sp.IndexedBase("x", real=True)  # the logits of one row
kappa, tau, c = sp.Symbol("kappa", positive=True), sp.Symbol("tau", positive=True), sp.Symbol("c", real=True)


def total(expr):
    return sp.Sum(expr, (i, 0, d - 1))


def pull_constants(expr):
    """Move factors that do not depend on the summation index out of every sum."""
    return sp.expand(expr.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.factor_terms(e)))


def _numeric() -> bool:
    g = torch.Generator().manual_seed(0)
    xs = torch.nn.functional.normalize(torch.randn(64, 5, generator=g, dtype=torch.float64), dim=1)
    ys = torch.nn.functional.normalize(torch.randn(64, 5, generator=g, dtype=torch.float64), dim=1)
    ok = True
    for k in (0.5, 2.0, 7.0):
        an = AnInfoNCE(5, init=k).double()
        t = float(infonce_tau(an.lam_hat[0].detach()))
        with torch.no_grad():
            ok &= bool(np.isclose(float(an(xs, ys)), float(InfoNCE(t)(xs, ys)), rtol=1e-10))
    return ok


def derivations(mutations=None):
    proof = Proof((mutations or {}).get("isotropic"))
    critic = proof.step(
        "expand", "Expand the AnInfoNCE critic for any diagonal Λ̂.",
        sp.Sum(sp.expand(-lh[i] * (a[i] - b[i]) ** 2), (i, 0, d - 1)).expand(),
        2 * total(lh[i] * a[i] * b[i]) - total(lh[i] * a[i] ** 2) - total(lh[i] * b[i] ** 2))
    on_sphere = {total(a[i] ** 2): 1, total(b[i] ** 2): 1}
    isotropic = proof.step(
        "isotropic", "With Λ̂ = κI and a, b on the unit sphere (Σ a_i² = Σ b_i² = 1) the critic is 2κ aᵀb - 2κ.",
        pull_constants(critic.xreplace({lh[i]: kappa})).subs(on_sphere), 2 * kappa * total(a[i] * b[i]) - 2 * kappa)
    proof.step("shift", "A constant added to every logit of a row leaves its softmax unchanged (any number n of "
               "candidates), so the constant -2κ drops out of the loss.",
               sp.exp(x[j] + c) / sp.Sum(sp.exp(x[i] + c), (i, 1, n)), sp.exp(x[j]) / sp.Sum(sp.exp(x[i]), (i, 1, n)))
    proof.step("temperature", "The rest is InfoNCE's cosine critic aᵀb/τ when the coefficients of aᵀb agree: "
               "solve for τ.", sp.solve(isotropic.coeff(total(a[i] * b[i])) - 1 / tau, tau), [1 / (2 * kappa)])
    return [Derivation(
        name="isotropic",
        claim="C3",
        title="Isotropic AnInfoNCE is InfoNCE",
        statement="On the unit sphere the AnInfoNCE critic with Λ̂ = κI differs from the cosine critic aᵀb/τ by a "
                  "constant exactly when τ = 1/(2κ), so the two losses are then equal.",
        scope="any dimension d and any number of candidates (symbolic); both directions (τ is the unique solution)",
        assumptions=["a, b ∈ S^{d-1}", "κ > 0, τ > 0", "softmax cross-entropy over the candidates of a row"],
        general_d=True,
        steps=proof.steps,
        conclusion=Derived("temperature", lambda solutions: solutions[0]),
        declared=infonce_tau(kappa),
        conclusion_text="τ = 1/(2κ): the losses coincide, so C3's InfoNCE and isotropic AnInfoNCE share their optima.",
        numeric=_numeric,
    )]
