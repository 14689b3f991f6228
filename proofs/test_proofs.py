"""Every derivation in proofs/ must be proved step by step, agree with the claim registry and pass its
numerical cross-check; and the verifier itself must reject wrong steps and wrong conclusions."""

import pytest
import sympy as sp

from idtheory.claims import CLAIMS, predicted_group
from idtheory.proving import load_derivations
from idtheory.symbolic import Derivation, Step, prove_equal

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


def _derivation(steps, conclusion=1, declared=1):
    return Derivation("toy", "C1", "toy", "toy", [], steps, conclusion, declared)


def test_a_wrong_step_is_reported_unproved():
    good = Step("square of a sum", (x + y) ** 2, x**2 + 2 * x * y + y**2)
    bad = Step("a sign error", (x - y) ** 2, x**2 + 2 * x * y + y**2)
    verdict = _derivation([good, bad]).verify()
    assert verdict.steps == [True, False] and not verdict.proved


def test_undecided_counts_as_not_proved():
    assert prove_equal(sp.Symbol("p", real=True), sp.Symbol("q", real=True)) in (False, None)
    verdict = _derivation([Step("unrelated", sp.Symbol("p"), sp.Symbol("q"))]).verify()
    assert not verdict.proved


def test_a_conclusion_that_disagrees_with_the_claim_fails():
    verdict = _derivation([], conclusion=predicted_group([1.0, 1.0, 2.0]),
                          declared=predicted_group([1.0, 2.0, 3.0])).verify()
    assert not verdict.conclusion_matches and not verdict.proved


def test_a_failing_numerical_cross_check_fails():
    d = _derivation([])
    d.numeric = lambda: False
    assert not d.verify().proved


def test_markdown_rendering_has_statement_steps_and_conclusion():
    d = DERIVATIONS["isotropic"]
    text = d.to_markdown(d.verify())
    assert "**Statement.**" in text and "**Assumptions.**" in text and "**Conclusion.**" in text
    assert text.count("✓") == len(d.steps) and "$$" in text
    assert "\\begin{enumerate}" in d.to_latex()
