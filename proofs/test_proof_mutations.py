"""The proof-mutation suite: one wrong step at a time, each must turn its derivation's verdict to
"not proved". Most mutations change both sides of a step consistently — a wrong premise or a wrong
computation carried through — so that only a conclusion computed from the steps can catch them; the
first two survived the derivations before conclusions were derived (τ = 1/κ; ‖Az + b‖ = 2)."""

import pytest
import sympy as sp

from idtheory.proving import load_derivations


def both(fn):
    """The same change on both sides of a step: the step still holds, the error travels on."""
    return lambda lhs, rhs: (fn(lhs), fn(rhs))


def scaled(base: str, factor):
    """Every entry of the indexed vector ``base`` (e.g. λ_i) multiplied by ``factor``."""
    def fn(expr):
        if isinstance(expr, (list, tuple)):
            return type(expr)(fn(e) for e in expr)
        return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base.name == base, lambda e: factor * e)
    return fn


kappa, beta = sp.Symbol("kappa", positive=True), sp.Symbol("beta", nonnegative=True)
l1, l2 = sp.symbols("lambda1 lambda2", positive=True)
lh1, lh2 = sp.symbols("lhat1 lhat2", positive=True)
signs = sp.symbols("s1:3", real=True)

MUTATIONS = {
    # the two survivors of the audit
    "isotropic: τ = 1/κ instead of 1/(2κ)": ("isotropic", "temperature", both(lambda v: [1 / kappa])),
    "sphere-constraint: ‖Az + b‖ = 2": ("sphere-constraint", "coefficients", both(lambda c: [*c[:-1], c[-1] - 3])),
    # wrong computations carried through
    "isotropic: cross term without its factor 2": ("isotropic", "isotropic", both(lambda e: e / 2)),
    "isotropic: critic with the wrong sign": ("isotropic", "expand", both(lambda e: -e)),
    "optimal-critic: conditional exp(-½ …) (the code's convention)": ("optimal-critic", "log-ratio",
                                                                        both(scaled("lambda", sp.Rational(1, 2)))),
    "optimal-critic: posterior squared": ("optimal-critic", "posterior", both(lambda e: e**2)),
    "optimal-critic: Gibbs optimum m = π²": ("optimal-critic", "gibbs-solution", both(lambda e: e**2)),
    "optimal-critic: anchor terms kept": ("optimal-critic", "anchor-terms",
                                          lambda lhs, rhs: (lhs + sp.Symbol("log_A"), rhs + sp.Symbol("log_A"))),
    "isometry: target distance 2‖δ‖²_Λ": ("isometry", "affine-gap", both(lambda e: e.subs({l1: 2 * l1, l2: 2 * l2}))),
    "isometry: polarization without the half": ("isometry", "polarization", both(lambda e: 2 * e)),
    "sphere-constraint: offset b = e₁": ("sphere-constraint", "offset",
                                         both(lambda sols: [{b: (1 if str(b) == "b1" else 0) for b in sols[0]}])),
    "sphere-constraint: scale c = 2": ("sphere-constraint", "scale", both(lambda c: [2])),
    "solution-sets: commutator λ̂_i + λ_j": ("solution-sets", "commutator", both(scaled("lambda", -1))),
    "solution-sets: rule λ̂_i - 2λ_j": ("solution-sets", "rule", both(scaled("lambda", 2))),
    "ensembles: rule that constrains nothing": ("ensembles", "rule", both(lambda e: 0 * e)),
    "ensembles: commutator of Λ_f with itself": ("ensembles", "commutator", both(scaled("lambda", 0))),
    "hard-negatives: Σ zᵢuᵢ = -Σ uᵢ² (half lost)": ("hard-negatives", "sphere", both(lambda e: 2 * e)),
    "hard-negatives: q ∝ exp(-β zᵀz⁻)": ("hard-negatives", "log-ratio", both(lambda e: e.subs(beta, -beta))),
    "hard-negatives: weights λ_i": ("hard-negatives", "weights", both(lambda e: e + beta / 2)),
    "fisher-bingham: derivative ∝ λ₁ + λ₂": ("fisher-bingham", "anchor-derivative", both(lambda e: e.subs(l2, -l2))),
    "infonce-misspecified: no obstruction": ("infonce-misspecified", "obstruction", both(lambda e: 0 * e)),
    "unnormalized: Gram Λ̂ instead of Λ": ("unnormalized", "gram", both(lambda m: sp.diag(lh1, lh2))),
    "lp-isometry: |s_i|² instead of |s_i|": ("lp-isometry", "diagonal",
                                            both(lambda e: e.xreplace({sp.Abs(s): sp.Abs(s) ** 2 for s in signs}))),
    "lp-isometry: scales λ̂/λ": ("lp-isometry", "scales", both(lambda roots: [[1 / r[0]] for r in roots])),
}


def test_unmutated_derivations_are_proved():
    assert all(d.verify().proved for d in load_derivations().values())


@pytest.mark.parametrize("label", sorted(MUTATIONS))
def test_a_mutation_is_caught(label):
    derivation, step, mutation = MUTATIONS[label]
    mutated = load_derivations(mutations={derivation: {step: mutation}})[derivation]
    verdict = mutated.verify()
    assert not verdict.proved, (label, verdict.steps, verdict.conclusion)


def test_the_suite_is_large_and_reaches_every_derivation():
    assert len(MUTATIONS) >= 20
    assert {d for d, _, _ in MUTATIONS.values()} == set(load_derivations())


def test_a_mutation_of_an_unknown_step_is_an_error():
    with pytest.raises(ValueError, match=r"unknown step\(s\) \['no-such-step'\]"):
        load_derivations(mutations={"isotropic": {"no-such-step": both(lambda e: e)}})
