"""Deliberately broken AnInfoNCE variants must be caught by the suite's C1 recovery check (trained on
the quick profile's C1 example), while the cheap evidence shows what each one breaks."""

import pytest

from idtheory import suite
from idtheory.mutants import MUTANTS

EXAMPLE, SEED = suite.draw_examples(suite.CASES["C1"], 1)[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_fails_c1_recovery(name):
    cls, normalize = MUTANTS[name]
    [outcome] = suite.case_c1(EXAMPLE, SEED, loss=lambda p: cls(p.dim), normalize=normalize, name=name)
    assert outcome.error is None, outcome.error
    assert not outcome.passed, f"{name} passed the C1 recovery check: {outcome.criteria}"
