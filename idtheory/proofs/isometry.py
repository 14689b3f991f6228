"""Steps 2–4 of the theorem: the optimum makes h a Λ̂/Λ isometry (AᵀΛ̂A = Λ for affine h, C5), and on the
sphere an affine h must be orthogonal with no offset (C1–C3)."""

import numpy as np
import sympy as sp
from scipy.stats import ortho_group

from idtheory.claims import linear_optimum, sphere_affine_maps
from idtheory.symbolic import Derivation, Derived, Proof

d1, d2, z1, z2, t = sp.symbols("delta1 delta2 z1 z2 t", real=True)
lh = sp.symbols("lhat1:3", positive=True)
lam = sp.symbols("lambda1:3", positive=True)
A2 = sp.Matrix(2, 2, sp.symbols("A11 A12 A21 A22", real=True))
b2 = sp.Matrix(sp.symbols("b1:3", real=True))
K = sp.Matrix(2, 3, sp.symbols("k1:7", real=True))  # second-order coefficients of a generic smooth h
ROTATION = sp.Matrix([[sp.cos(t), -sp.sin(t)], [sp.sin(t), sp.cos(t)]])

D = 3  # the sphere constraint is shown in d = 3
Z = sp.Matrix(sp.symbols(f"z1:{D + 1}", real=True))
A3 = sp.Matrix(D, D, sp.symbols(f"a1:{D * D + 1}", real=True))
B3 = sp.Matrix(sp.symbols(f"b1:{D + 1}", real=True))
G3 = sp.Matrix(D, D, lambda r, s: sp.Symbol(f"G{min(r, s) + 1}{max(r, s) + 1}", real=True))  # symmetric Gram
V3 = sp.Matrix(sp.symbols(f"v1:{D + 1}", real=True))  # Aᵀb
beta, c, radius = sp.Symbol("beta", real=True), sp.Symbol("c", real=True), sp.Integer(1)


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


def _coefficients(poly_expr, variables) -> list:
    """The coefficients of a polynomial of degree ≤ 2: quadratic (z_r z_s, r ≤ s), linear, constant."""
    poly = sp.Poly(poly_expr, *variables)
    n = len(variables)
    monomials = [variables[r] * variables[s] for r in range(n) for s in range(r, n)] + list(variables) + [1]
    return [poly.coeff_monomial(m) for m in monomials]


def isometry(mutations=None) -> Derivation:
    proof = Proof(mutations)
    z, delta = sp.Matrix([z1, z2]), sp.Matrix([d1, d2])
    Lh, L = sp.diag(*lh), sp.diag(*lam)

    def h(v):  # generic second-order map: affine part A v + b plus quadratic terms
        return A2 * v + b2 + K * sp.Matrix([v[0] ** 2, v[0] * v[1], v[1] ** 2])

    dist = ((h(z + delta) - h(z)).T * Lh * (h(z + delta) - h(z)))[0]
    J = h(z).jacobian([z1, z2])
    proof.step("hessian", "The Hessian in z̃ at z̃ = z of ‖h(z̃)-h(z)‖²_Λ̂ is 2JᵀΛ̂J (higher-order terms of h drop "
               "out); that of ‖z̃-z‖²_Λ is 2Λ, so the optimum's identity gives JᵀΛ̂J = Λ at every z.",
               sp.hessian(dist, (d1, d2)).subs({d1: 0, d2: 0}), 2 * J.T * Lh * J)
    # For affine h = Az + b (assumed: a map with constant JᵀΛ̂J = Λ is affine):
    gram = A2.T * Lh * A2
    gap = proof.step(
        "affine-gap", "For affine h the optimum's identity reads ‖Aδ‖²_Λ̂ - ‖δ‖²_Λ = δᵀ(AᵀΛ̂A - Λ)δ = 0, δ = z̃ - z.",
        sp.expand(((A2 * delta).T * Lh * (A2 * delta) - delta.T * L * delta)[0]),
        sp.expand((delta.T * (gram - L) * delta)[0]))
    proof.step("polarization", "A quadratic form that vanishes for every δ has a vanishing matrix (half its "
               "Hessian): AᵀΛ̂A - Λ = 0.", sp.hessian(gap, (d1, d2)) / 2, gram - L)
    family = linear_optimum(lh, ROTATION, lam)
    return Derivation(
        name="isometry",
        claim="C5",
        title="At the optimum h is a Λ̂/Λ isometry: AᵀΛ̂A = Λ",
        statement="If ‖h(z̃)-h(z)‖²_Λ̂ = ‖z̃-z‖²_Λ for all pairs, then differentiating twice at z̃ = z gives "
                  "JᵀΛ̂J = Λ; for affine h(z) = Az + b the identity holds iff AᵀΛ̂A = Λ, which is the Gram matrix of "
                  "C5's family Λ̂^{-1/2} R Λ^{1/2}.",
        scope="d = 2; the Hessian step for a generic second-order h; the direction 'optimal distances ⇒ AᵀΛ̂A = Λ' "
              "(the converse is the 'unnormalized' derivation)",
        assumptions=["h affine (a smooth h with constant JᵀΛ̂J = Λ is affine: assumed, not derived here)",
                     "Λ, Λ̂ positive diagonal"],
        general_d=False,
        steps=proof.steps,
        conclusion=Derived("polarization", lambda form: sp.expand(gram - form)),  # the Gram at which it vanishes
        declared=sp.simplify(family.T * sp.diag(*lh) * family),
        conclusion_text="h is affine with AᵀΛ̂A = Λ, i.e. A = Λ̂^{-1/2} R Λ^{1/2} with R orthogonal (C5's family).",
        numeric=_numeric_isometry,
    )


def sphere_constraint(mutations=None) -> Derivation:
    proof = Proof(mutations)
    norm_sq = proof.step(
        "expand", "‖Az + b‖² = zᵀGz + 2vᵀz + β with G = AᵀA, v = Aᵀb, β = bᵀb.",
        sp.expand(((A3 * Z + B3).T * (A3 * Z + B3))[0]),
        sp.expand((Z.T * (A3.T * A3) * Z)[0] + 2 * ((A3.T * B3).T * Z)[0] + (B3.T * B3)[0]))
    del norm_sq  # from here on in the symbols G, v, β
    # ‖Az+b‖² - 1 vanishes on the whole sphere, and a polynomial of degree ≤ 2 that does is c(zᵀz - 1):
    residual = sp.expand((Z.T * G3 * Z)[0] + 2 * (V3.T * Z)[0] + beta - radius**2 - c * ((Z.T * Z)[0] - 1))
    coefficients = _coefficients(residual, list(Z))
    stated = [G3[r, s] * (1 if r == s else 2) - (c if r == s else 0) for r in range(D) for s in range(r, D)]
    stated += [2 * V3[r] for r in range(D)] + [beta - radius**2 + c]
    coefficients = proof.step(
        "coefficients", "‖Az+b‖² = 1 on the sphere means ‖Az+b‖² - 1 = c(zᵀz - 1) for a constant c (the sphere's "
        "polynomials of degree ≤ 2 are the multiples of zᵀz - 1); its coefficients, quadratic, linear and constant, "
        "must all vanish.", coefficients, stated)
    linear = coefficients[len(stated) - D - 1: len(stated) - 1]
    offset = proof.step("offset", "The linear coefficients give v = Aᵀb = 0, so b = 0 for invertible A.",
                        sp.solve([e.subs(dict(zip(V3, A3.T * B3))) for e in linear], list(B3), dict=True),
                        [{bi: 0 for bi in B3}])
    scale = proof.step("scale", "With b = 0, β = bᵀb = 0 and the constant coefficient fixes c.",
                       sp.solve(coefficients[-1].subs(beta, (B3.T * B3)[0]).subs(offset[0]), c), [1])
    quadratic = [e.subs(c, scale[0]) for e in coefficients[: len(stated) - D - 1]]
    unknowns = sorted(set(G3), key=str)
    gram = proof.step("gram", "The quadratic coefficients then fix the Gram matrix G = AᵀA.",
                      sp.solve(quadratic, unknowns, dict=True),
                      [{g: (1 if str(g)[1] == str(g)[2] else 0) for g in unknowns}])
    proof.step("orthogonal", "Together: AᵀA = I and b = 0.", (G3.subs(gram[0]), B3.subs(offset[0])),
               (sp.eye(D), sp.zeros(D, 1)))
    return Derivation(
        name="sphere-constraint",
        claim="C1",
        title="Normalized outputs force b = 0 and AᵀA = I",
        statement="If ‖Az + b‖ = 1 for every unit z and A is invertible, then b = 0 and AᵀA = I: h(z) = Oz with O "
                  "orthogonal (and OᵀΛ̂O = Λ from the isometry step).",
        scope="d = 3 by coefficient matching on a general symbolic z (the argument is entrywise, the same in every d); "
              "the direction 'sphere to sphere ⇒ orthogonal, no offset'",
        assumptions=["A invertible (it is, being a Λ̂/Λ isometry)", "h affine (as in the isometry derivation)",
                     "a polynomial of degree ≤ 2 vanishing on S^{d-1} (d ≥ 2) is a multiple of zᵀz - 1"],
        general_d=False,
        steps=proof.steps,
        conclusion=Derived("orthogonal"),
        declared=sphere_affine_maps(D),
        conclusion_text="h(z) = Oz with O orthogonal (AᵀA = I, b = 0), hence OᵀΛ̂O = Λ.",
        numeric=_numeric_sphere,
    )


def derivations(mutations=None):
    mutations = mutations or {}
    return [isometry(mutations.get("isometry")), sphere_constraint(mutations.get("sphere-constraint"))]
