"""C5: without output normalization every Λ̂ attains the optimum: h is only identified up to a linear map."""

import numpy as np
import sympy as sp

from idtheory.claims import lam_hat_identified, linear_optimum
from idtheory.symbolic import Derivation, Derived, Proof

t = sp.Symbol("t", real=True)
lh = sp.symbols("lhat1:3", positive=True)
lam = sp.symbols("lambda1:3", positive=True)
z, zt, b = (sp.Matrix(sp.symbols(f"{n}1:3", real=True)) for n in ("z", "zt", "b"))
R = sp.Matrix([[sp.cos(t), -sp.sin(t)], [sp.sin(t), sp.cos(t)]])


def _numeric() -> bool:
    """The family's Λ̂-distances equal the true Λ-distances for random Λ̂, R, b, pairs."""
    rng = np.random.default_rng(0)
    f = sp.lambdify((lh, lam, t, z, zt, b), _gap(), "numpy")
    return all(abs(f(rng.uniform(0.1, 9, 2), rng.uniform(0.1, 9, 2), rng.uniform(0, 6.3), rng.normal(size=2),
                     rng.normal(size=2), rng.normal(size=2))) < 1e-9 for _ in range(50))


def _gap():
    A = linear_optimum(lh, R, lam)
    h = lambda v: A * v + b  # noqa: E731
    return ((h(zt) - h(z)).T * sp.diag(*lh) * (h(zt) - h(z)))[0] - ((zt - z).T * sp.diag(*lam) * (zt - z))[0]


def derivations(mutations=None):
    proof = Proof((mutations or {}).get("unnormalized"))
    A = linear_optimum(lh, R, lam)
    gram = proof.step("gram", "AᵀΛ̂A = Λ^{1/2} Rᵀ R Λ^{1/2} = Λ for the family's linear part, whatever Λ̂.",
                      sp.simplify(A.T * sp.diag(*lh) * A), sp.diag(*lam))
    delta = zt - z
    proof.step("distances", "Hence the Λ̂-distance of outputs, δᵀ(AᵀΛ̂A)δ, equals the Λ-distance of latents for every "
               "Λ̂, t and b: the optimality condition holds.", _gap(), (delta.T * (gram - sp.diag(*lam)) * delta)[0])
    return [Derivation(
        name="unnormalized",
        claim="C5",
        title="Without normalization Λ̂ is not identified",
        statement="For every positive diagonal Λ̂, rotation R and offset b, h(z) = Λ̂^{-1/2} R Λ^{1/2} z + b gives "
                  "‖h(z̃)-h(z)‖²_Λ̂ = ‖z̃-z‖²_Λ, so it attains the optimal critic: only a linear map is identified.",
        scope="d = 2 with R a rotation by t; the direction 'every member of C5's family is optimal' (that nothing "
              "else is, for affine h, is the isometry derivation)",
        assumptions=["outputs unconstrained", "Λ, Λ̂ positive diagonal"],
        general_d=False,
        steps=proof.steps,
        # Λ̂ would be identified if the optimality condition constrained it: does any Λ̂ symbol survive in it?
        conclusion=Derived("gram", lambda g: bool((g - sp.diag(*lam)).free_symbols & set(lh))),
        declared=lam_hat_identified(normalized=False),
        conclusion_text="The optimality condition AᵀΛ̂A = Λ holds for every Λ̂ along C5's family (no Λ̂ survives in it): "
                        "Λ̂ is not identified without the sphere constraint.",
        numeric=_numeric,
    )]
