"""Every derivation shipped in idtheory.proofs must be proved step by step, agree with the claim registry
and pass its numerical cross-check; and the verifier itself must reject wrong steps, wrong conclusions and
conclusions that are not computed from the steps."""

import pytest
import sympy as sp

from idtheory.claims import CLAIMS, predicted_group
from idtheory.proving import load_derivations
from idtheory.symbolic import Derivation, Derived, Proof, Step, prove_equal

DERIVATIONS = load_derivations()


@pytest.mark.parametrize("name", sorted(DERIVATIONS))
def test_derivation_is_proved(name):
    derivation = DERIVATIONS[name]
    verdict = derivation.verify()
    assert derivation.claim in CLAIMS
    assert all(s is True for s in verdict.steps), [
        (i + 1, s.because) for i, (s, ok) in enumerate(zip(derivation.steps, verdict.steps)) if ok is not True]
    assert verdict.conclusion_matches, (derivation.conclusion, derivation.declared)
    assert verdict.numeric is True
    assert verdict.proved


def test_every_claim_c1_to_c8_has_a_derivation():
    assert {d.claim for d in DERIVATIONS.values()} >= {f"C{i}" for i in range(1, 9)}


x, y = sp.symbols("x y", real=True)


def _derivation(steps, declared=1, conclusion=None):
    steps = [Step("one", "one is one", sp.Integer(1), 1), *steps]
    return Derivation("toy", "C1", "toy", "toy", "toy scope", [], False, steps, conclusion or Derived("one"),
                      declared)


def test_a_wrong_step_is_reported_unproved():
    good = Step("good", "square of a sum", (x + y) ** 2, x**2 + 2 * x * y + y**2)
    bad = Step("bad", "a sign error", (x - y) ** 2, x**2 + 2 * x * y + y**2)
    verdict = _derivation([good, bad]).verify()
    assert verdict.steps == [True, True, False] and not verdict.proved


def test_undecided_counts_as_not_proved():
    assert prove_equal(sp.Symbol("p", real=True), sp.Symbol("q", real=True)) in (False, None)
    verdict = _derivation([Step("unrelated", "unrelated", sp.Symbol("p"), sp.Symbol("q"))]).verify()
    assert not verdict.proved


def test_a_conclusion_that_disagrees_with_the_claim_fails():
    verdict = _derivation([], declared=predicted_group([1.0, 2.0, 3.0]),
                          conclusion=Derived("one", lambda _: predicted_group([1.0, 1.0, 2.0]))).verify()
    assert not verdict.conclusion_matches and not verdict.proved


def test_a_literal_conclusion_is_refused():
    with pytest.raises(TypeError, match="the conclusion must be Derived from a step, got the literal 1"):
        Derivation("toy", "C1", "toy", "toy", "scope", [], False, [Step("s", "s", 1, 1)], 1, 1)
    with pytest.raises(ValueError, match="derived from step 'missing', which is not one of its steps"):
        Derivation("toy", "C1", "toy", "toy", "scope", [], False, [Step("s", "s", 1, 1)], Derived("missing"), 1)


def test_a_step_computes_and_a_mutation_travels_on():
    proof = Proof({"double": lambda lhs, rhs: (3 * lhs, 3 * rhs)})
    value = proof.step("double", "twice x", 2 * x, x + x)
    assert value == 6 * x and proof.steps[0].rhs == 3 * (x + x) and not proof.unused_mutations()


def test_every_derivation_states_its_scope():
    for d in DERIVATIONS.values():
        assert d.scope and d.assumptions and isinstance(d.general_d, bool), d.name
    general = {d.claim for d in DERIVATIONS.values() if d.general_d}
    assert {"C1", "C2", "C6", "C7"} <= general  # the commutation step, hard negatives, ensembles


def test_a_failing_numerical_cross_check_fails():
    d = _derivation([])
    d.numeric = lambda: False
    assert not d.verify().proved


def test_markdown_rendering_has_statement_steps_and_conclusion():
    d = DERIVATIONS["isotropic"]
    text = d.to_markdown(d.verify())
    assert "**Statement.**" in text and "**Assumptions.**" in text and "**Conclusion** (computed from step" in text
    assert "**Scope.**" in text
    assert text.count("✓") == len(d.steps) and "$$" in text
    assert "\\begin{enumerate}" in d.to_latex()
