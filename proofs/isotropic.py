"""C3: AnInfoNCE with Λ̂ = κI on the sphere is InfoNCE with τ = 1/(2κ)."""

import numpy as np
import sympy as sp
import torch

from idtheory.claims import infonce_tau
from idtheory.losses import AnInfoNCE, InfoNCE
from idtheory.symbolic import Derivation, Step

d = 3
a, b = sp.Matrix(sp.symbols("a1:4", real=True)), sp.Matrix(sp.symbols("b1:4", real=True))
lam = sp.symbols("lambda1:4", positive=True)
kappa = sp.Symbol("kappa", positive=True)
L = sp.diag(*lam)


def _numeric() -> bool:
    g = torch.Generator().manual_seed(0)
    x = torch.nn.functional.normalize(torch.randn(64, 5, generator=g, dtype=torch.float64), dim=1)
    y = torch.nn.functional.normalize(torch.randn(64, 5, generator=g, dtype=torch.float64), dim=1)
    ok = True
    for k in (0.5, 2.0, 7.0):
        an = AnInfoNCE(5, init=k).double()
        tau = float(infonce_tau(an.lam_hat[0].detach()))
        with torch.no_grad():
            ok &= bool(np.isclose(float(an(x, y)), float(InfoNCE(tau)(x, y)), rtol=1e-10))
    return ok


def derivations():
    c0, c1, c2 = sp.symbols("s0:3", real=True)
    shift = sp.Symbol("c", real=True)
    softmax = sp.exp(c0) / (sp.exp(c0) + sp.exp(c1) + sp.exp(c2))
    tau = sp.Symbol("tau", positive=True)
    on_sphere = {a[2]: sp.sqrt(1 - a[0] ** 2 - a[1] ** 2), b[2]: sp.sqrt(1 - b[0] ** 2 - b[1] ** 2)}
    return [Derivation(
        name="isotropic",
        claim="C3",
        title="Isotropic AnInfoNCE is InfoNCE",
        statement="On the unit sphere the AnInfoNCE critic with Λ̂ = κI differs from the cosine critic "
                  "aᵀb/τ, τ = 1/(2κ), by a constant, so the two losses are equal.",
        assumptions=["a, b ∈ S^{d-1} (shown for d = 3)", "κ > 0", "softmax over any number of candidates"],
        steps=[
            Step("Expanded logit identity for any diagonal Λ̂.",
                 -(a.T * L * a)[0] / 2 - (b.T * L * b)[0] / 2 + (a.T * L * b)[0], -((a - b).T * L * (a - b))[0] / 2),
            Step("With Λ̂ = κI the critic is -κ(aᵀa + bᵀb) + 2κ aᵀb.",
                 -kappa * ((a - b).T * (a - b))[0], -kappa * ((a.T * a)[0] + (b.T * b)[0]) + 2 * kappa * (a.T * b)[0]),
            Step("On the sphere aᵀa = bᵀb = 1, so the critic is 2κ aᵀb - 2κ.",
                 (-kappa * ((a - b).T * (a - b))[0]).subs(on_sphere),
                 (2 * kappa * (a.T * b)[0] - 2 * kappa).subs(on_sphere)),
            Step("2κ aᵀb = aᵀb/τ exactly when τ = 1/(2κ).", 2 * kappa * (a.T * b)[0],
                 ((a.T * b)[0] / tau).subs(tau, 1 / (2 * kappa))),
            Step("A constant added to every logit of a row leaves the softmax unchanged.",
                 softmax.subs({c0: c0 + shift, c1: c1 + shift, c2: c2 + shift}), softmax),
        ],
        conclusion=1 / (2 * kappa),
        declared=infonce_tau(kappa),
        conclusion_text="τ = 1/(2κ): the losses coincide, so C3's InfoNCE and isotropic AnInfoNCE share their optima.",
        numeric=_numeric,
    )]
