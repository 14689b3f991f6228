"""Steps 2–4 of the theorem: the optimum makes h a Λ̂/Λ isometry, which on the sphere is orthogonal."""

import numpy as np
import sympy as sp
from scipy.stats import ortho_group

from idtheory.symbolic import Derivation, Step

d1, d2, z1, z2 = sp.symbols("delta1 delta2 z1 z2", real=True)
lh = sp.symbols("lhat1:3", positive=True)
lam = sp.symbols("lambda1:3", positive=True)
A = sp.Matrix(2, 2, sp.symbols("A11 A12 A21 A22", real=True))
b = sp.Matrix(sp.symbols("b1:3", real=True))
K = sp.Matrix(2, 3, sp.symbols("k1:7", real=True))  # second-order coefficients of a generic smooth h


def _numeric_isometry() -> bool:
    """A = Λ̂^{-1/2} R Λ^{1/2} (R orthogonal) satisfies AᵀΛ̂A = Λ; a random A does not."""
    rng = np.random.default_rng(0)
    lam_v, lh_v = rng.uniform(1, 5, 4), rng.uniform(1, 5, 4)
    a = np.diag(lh_v**-0.5) @ ortho_group.rvs(4, random_state=1) @ np.diag(lam_v**0.5)
    rand = rng.normal(size=(4, 4))
    return bool(np.allclose(a.T @ np.diag(lh_v) @ a, np.diag(lam_v))
                and not np.allclose(rand.T @ np.diag(lh_v) @ rand, np.diag(lam_v)))


def _numeric_sphere() -> bool:
    """Orthogonal A keeps unit vectors on the sphere; adding any b ≠ 0 or scaling breaks it."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(1000, 3))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    o = ortho_group.rvs(3, random_state=2)
    norms = [np.linalg.norm(z @ m.T + s, axis=1) for m, s in ((o, 0), (o, 0.1), (1.1 * o, 0))]
    return bool(np.allclose(norms[0], 1) and not np.allclose(norms[1], 1) and not np.allclose(norms[2], 1))


def derivations():
    z, delta = sp.Matrix([z1, z2]), sp.Matrix([d1, d2])
    Lh, L = sp.diag(*lh), sp.diag(*lam)

    def h(v):  # generic second-order map: affine part A v + b plus quadratic terms
        quad = sp.Matrix([v[0] ** 2, v[0] * v[1], v[1] ** 2])
        return A * v + b + K * quad

    dist = ((h(z + delta) - h(z)).T * Lh * (h(z + delta) - h(z)))[0]
    hess = sp.hessian(dist, (d1, d2)).subs({d1: 0, d2: 0})
    J = h(z).jacobian([z1, z2])
    lin = ((A * (z + delta) - A * z).T * Lh * (A * (z + delta) - A * z))[0]
    quad_form = sp.Matrix(2, 2, sp.symbols("M11 M12 M12 M22", real=True))
    w = sp.Matrix([z1, z2])
    norm_sq = ((A * w + b).T * (A * w + b))[0]
    neg = norm_sq.subs({z1: -z1, z2: -z2}, simultaneous=True)
    return [
        Derivation(
            name="isometry",
            claim="C5",
            title="At the optimum h is a Λ̂/Λ isometry: JᵀΛ̂J = Λ",
            statement="If ‖h(z̃)-h(z)‖²_Λ̂ = ‖z̃-z‖²_Λ for all pairs, then differentiating twice at z̃ = z gives "
                      "JᵀΛ̂J = Λ; for linear h(z) = Az + b the identity holds iff AᵀΛ̂A = Λ.",
            assumptions=["h smooth (shown with a generic second-order h in d = 2)", "Λ, Λ̂ positive diagonal"],
            steps=[
                Step("The Hessian in z̃ at z̃ = z of ‖h(z̃)-h(z)‖²_Λ̂ is 2JᵀΛ̂J (higher-order terms of h drop out).",
                     hess, 2 * J.T * Lh * J),
                Step("The Hessian of ‖z̃-z‖²_Λ is 2Λ, so matching them gives JᵀΛ̂J = Λ.",
                     sp.hessian(((delta).T * L * delta)[0], (d1, d2)), 2 * L),
                Step("For linear h the Λ̂-distance is the quadratic form of AᵀΛ̂A in z̃ - z ...",
                     lin, (delta.T * A.T * Lh * A * delta)[0]),
                Step("... and a symmetric matrix is fixed by its quadratic form (polarization), so the identity "
                     "for all pairs is AᵀΛ̂A = Λ.",
                     sp.hessian((delta.T * quad_form * delta)[0], (d1, d2)) / 2, quad_form),
            ],
            conclusion=hess / 2,
            declared=J.T * Lh * J,
            conclusion_text="h is affine with AᵀΛ̂A = Λ, i.e. A = Λ̂^{-1/2} R Λ^{1/2} with R orthogonal (C5's family).",
            numeric=_numeric_isometry,
        ),
        Derivation(
            name="sphere-constraint",
            claim="C1",
            title="Normalized outputs force b = 0 and AᵀA = I",
            statement="If ‖Az + b‖ = 1 for every unit z, then b = 0 (for invertible A) and AᵀA = I.",
            assumptions=["A invertible (it is, being a Λ̂/Λ isometry)", "shown in d = 2"],
            steps=[
                Step("Adding the constraint at z and -z isolates the even part: zᵀAᵀAz + bᵀb - 1 = 0.",
                     (norm_sq + neg) / 2 - 1, (w.T * A.T * A * w)[0] + (b.T * b)[0] - 1),
                Step("Subtracting isolates the odd part 4bᵀAz, which must vanish for all z: Aᵀb = 0, so b = 0.",
                     norm_sq - neg, 4 * (b.T * A * w)[0]),
                Step("With b = 0 the even part says zᵀAᵀAz = zᵀz on the sphere, hence everywhere by homogeneity; "
                     "by polarization AᵀA = I.",
                     ((w.T * A.T * A * w)[0]).subs({z1: 1, z2: 0}), (A.T * A)[0, 0]),
            ],
            conclusion=sp.solve(list(A.T * b), list(b), dict=True),
            declared=[{b[0]: 0, b[1]: 0}],
            conclusion_text="h(z) = Oz with O orthogonal and OᵀΛ̂O = Λ.",
            numeric=_numeric_sphere,
        ),
    ]
