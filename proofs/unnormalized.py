"""C5: without output normalization every Λ̂ attains the optimum: h is only identified up to a linear map."""

import numpy as np
import sympy as sp

from idtheory.claims import linear_optimum
from idtheory.symbolic import Derivation, Step

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


def derivations():
    A = linear_optimum(lh, R, lam)
    return [Derivation(
        name="unnormalized",
        claim="C5",
        title="Without normalization Λ̂ is not identified",
        statement="For every positive diagonal Λ̂, rotation R and offset b, h(z) = Λ̂^{-1/2} R Λ^{1/2} z + b gives "
                  "‖h(z̃)-h(z)‖²_Λ̂ = ‖z̃-z‖²_Λ, so it attains the optimal critic: only a linear map is identified.",
        assumptions=["outputs unconstrained", "shown in d = 2 with R a rotation by t"],
        steps=[
            Step("AᵀΛ̂A = Λ^{1/2} Rᵀ R Λ^{1/2} = Λ for the family's linear part.",
                 A.T * sp.diag(*lh) * A, sp.diag(*lam)),
            Step("Hence the Λ̂-distance of outputs equals the Λ-distance of latents, whatever Λ̂, t and b.",
                 _gap(), 0),
        ],
        conclusion=sorted(map(str, sp.simplify(_gap()).free_symbols & set(lh))),
        declared=[],
        conclusion_text="The optimality condition does not involve Λ̂ at all (no Λ̂ symbol survives): any Λ̂ "
                        "pairs with a linear h. Λ̂ is not identified without the sphere constraint.",
        numeric=_numeric,
    )]
