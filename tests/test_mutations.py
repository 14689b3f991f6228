"""Deliberately broken AnInfoNCE variants (idtheory/mutants.py) must each be flagged by the suite:
by the cheap optimum check (the theory's minimizer h = id, Λ̂ = Λ is not stationary for them) or,
where that cannot see the bug (output normalization removed is a property of the encoder), by the C1
recovery check trained on the quick profile's C1 example."""

import pytest

from idtheory import suite
from idtheory.mutants import MUTANTS

EXAMPLE, SEED = suite.draw_examples(suite.CASES["C1"], 1)[0]


def test_correct_aninfonce_is_stationary_at_the_optimum():
    [outcome] = suite.optimum_outcomes()
    assert outcome.passed, outcome.criteria


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_flagged(name):
    cls, normalize = MUTANTS[name]
    [optimum] = suite.optimum_outcomes(make_loss=lambda lam_hat: cls(len(lam_hat), init=lam_hat, negatives="anchors"),
                                       name=name)
    if not optimum.passed:
        return  # flagged without training
    assert normalize is False or name == "positive-as-negative", f"{name} looks stationary: {optimum.criteria}"
    [outcome] = suite.run_one(suite.case_c1(EXAMPLE, SEED, loss=lambda p: cls(p.dim), normalize=normalize, name=name))
    assert outcome.error is None, outcome.error
    assert not outcome.passed, f"{name} passed both the optimum and the C1 recovery check: {outcome.criteria}"
